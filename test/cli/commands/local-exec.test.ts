import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localExec } from '../../../cli/commands/local-exec';
import { captureIo } from '../aws-stack';

describe('fanout local exec of a definition that calls no AWS service', () => {
  const scratch = () => mkdtempSync(join(tmpdir(), 'fanout-local-exec-'));

  it('runs it on the engine alone, starting no local service', async () => {
    const dir = scratch();
    const definition = join(dir, 'pass.json');
    writeFileSync(
      definition,
      JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, End: true } } }),
    );
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    const io = captureIo();
    const state = join(dir, 'state');
    const code = await localExec({ definition, input, dir: state, json: true }, io);
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.at(-1)!)).toEqual({
      status: 'SUCCEEDED',
      output: { ok: true },
      error: null,
      cause: null,
      stateTransitions: 1,
    });
    // The local cloud creates its state directory (DynamoDB, S3, ...) as it starts; nothing started here.
    expect(existsSync(state)).toBe(false);
  });

  it('reports a Fail state without Error or Cause with both null', async () => {
    const dir = scratch();
    const definition = join(dir, 'fail.json');
    writeFileSync(definition, JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail' } } }));
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    const io = captureIo();
    const code = await localExec({ definition, input, dir: join(dir, 'state'), json: true }, io);
    expect(code).toBe(1);
    expect(JSON.parse(io.stdout.at(-1)!)).toMatchObject({ status: 'FAILED', error: null, cause: null });
  });
});
