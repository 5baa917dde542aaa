import { describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program';
import { writeRunRecord } from '../../../run';
import { tempDir } from '../../e2e/helpers';
import { captureIo } from '../aws-stack';
import { runRecord } from '../local-state';

describe('fanout resume (refusals)', () => {
  it('points a run that has ended at the retry command, as it runs inside this project', async () => {
    const dir = tempDir('fanout-resume-');
    writeRunRecord(dir, runRecord('ended', { status: 'FAILED' }));
    const io = captureIo();
    expect(await runCli(['resume', 'ended', '--dir', dir], io)).toBe(2);
    // The tests run inside fanout's checkout, where a bare `fanout` is not on the PATH.
    expect(io.stderr.join('\n')).toContain(`(re-run its failures with npx fanout retry ended --dir ${dir})`);
  });
});
