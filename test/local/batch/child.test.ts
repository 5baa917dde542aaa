import { describe, expect, it } from 'vitest';
import { loadPrepareInvocation } from '../../../local/batch/child';

const module = new URL('./fixtures/report-arguments.mjs', import.meta.url).href;
const job = { command: ['true'], environment: {}, image: 'img', attemptName: 'fanout-1' };

describe('loadPrepareInvocation', () => {
  it('calls the export with the job alone when no options are named, as an export with an optional second parameter expects', async () => {
    const prepare = await loadPrepareInvocation({ module, exportName: 'reportArguments' });
    expect(await prepare(job)).toEqual({ command: ['arguments', '[]'], environment: {} });
  });

  it('passes the options as the second argument when they are named', async () => {
    const prepare = await loadPrepareInvocation({
      module,
      exportName: 'reportArguments',
      options: { engine: ['podman'] },
    });
    expect(await prepare(job)).toEqual({ command: ['arguments', '[{"engine":["podman"]}]'], environment: {} });
  });
});
