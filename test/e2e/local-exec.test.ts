import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFanout, tempDir } from './helpers';

// `fanout local exec` contract: the last stdout line is
// {status, output, error, cause, stateTransitions}; exit 0 SUCCEEDED, 1 other terminal
// status, 2 invalid definition or input.
describe('fanout local exec', () => {
  let dir: string;
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  };

  beforeAll(() => {
    dir = tempDir();
  });

  it('runs a definition to completion and prints the result contract', async () => {
    const definition = file('ok.json', {
      StartAt: 'Add',
      States: {
        Add: { Type: 'Pass', Parameters: { 'sum.$': 'States.MathAdd($.a, $.b)' }, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const input = file('ok-input.json', { a: 2, b: 40 });
    const run = await runFanout([
      'local',
      'exec',
      '--definition',
      definition,
      '--input',
      input,
      '--dir',
      join(dir, 'state'),
      '--json',
    ]);
    expect(run.code, run.stderr).toBe(0);
    // Two states entered: Add and Done.
    expect(run.json()).toEqual({
      status: 'SUCCEEDED',
      output: { sum: 42 },
      error: null,
      cause: null,
      stateTransitions: 2,
    });
  });

  it('reads the input from stdin with -', async () => {
    const definition = file('echo.json', { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } });
    const run = await runFanout(
      ['local', 'exec', '--definition', definition, '--input', '-', '--dir', join(dir, 'state'), '--json'],
      '{"x":1}',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.json()).toMatchObject({ status: 'SUCCEEDED', output: { x: 1 } });
  });

  it('exits 1 with the error and cause of a failed execution', async () => {
    const definition = file('fail.json', {
      StartAt: 'Boom',
      States: { Boom: { Type: 'Fail', Error: 'Custom.Error', Cause: 'it broke' } },
    });
    const input = file('empty.json', {});
    const run = await runFanout([
      'local',
      'exec',
      '--definition',
      definition,
      '--input',
      input,
      '--dir',
      join(dir, 'state'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(run.json()).toEqual({
      status: 'FAILED',
      output: null,
      error: 'Custom.Error',
      cause: 'it broke',
      stateTransitions: 1,
    });
  });

  it('exits 2 naming the state and field of an unsupported feature', async () => {
    const definition = file('credentials.json', {
      StartAt: 'P',
      States: {
        P: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Credentials: { RoleArn: 'r' }, End: true },
      },
    });
    const input = file('empty2.json', {});
    const run = await runFanout([
      'local',
      'exec',
      '--definition',
      definition,
      '--input',
      input,
      '--dir',
      join(dir, 'state'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/state "P": field Credentials/);
  });

  it('exits 2 for a definition that is not valid States Language', async () => {
    const definition = file('invalid.json', { StartAt: 'Missing', States: { P: { Type: 'Pass', End: true } } });
    const input = file('empty3.json', {});
    const run = await runFanout([
      'local',
      'exec',
      '--definition',
      definition,
      '--input',
      input,
      '--dir',
      join(dir, 'state'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/invalid definition/);
  });

  it('exits 2 for input that is not JSON', async () => {
    const definition = file('echo2.json', { StartAt: 'Echo', States: { Echo: { Type: 'Pass', End: true } } });
    const input = file('bad-input.json', '{not json');
    const run = await runFanout([
      'local',
      'exec',
      '--definition',
      definition,
      '--input',
      input,
      '--dir',
      join(dir, 'state'),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not valid JSON/);
  });
});
