import { describe, expect, it } from 'vitest';
import { harness, scriptedIntegration, single } from './helpers';

// Semantics from the Amazon States Language spec and docs.aws.amazon.com/step-functions/latest/dg/
// (concepts-input-output-filtering.html, state-pass.html, state-choice.html, state-wait.html, ...).

describe('Pass', () => {
  it('places Result at ResultPath inside the raw input', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', Result: { ok: true }, ResultPath: '$.r' }), { a: 1 });
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({ a: 1, r: { ok: true } });
  });

  it('renders Parameters from the InputPath-filtered input and the context object', async () => {
    const h = harness();
    const result = await h.run(
      single({
        Type: 'Pass',
        InputPath: '$.inner',
        Parameters: { 'v.$': '$.v', 'state.$': '$$.State.Name' },
        OutputPath: '$.v',
      }),
      { inner: { v: 7 } },
    );
    expect(JSON.parse(result.output!)).toBe(7);
  });

  it('records PassStateEntered and PassStateExited between the execution events', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass' }));
    expect(h.historyTypes(result.arn)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    const entered = h.sfn.getExecutionHistory(result.arn).items[1]!;
    expect(entered.details).toEqual({
      stateEnteredEventDetails: { name: 'S', input: '{}', inputDetails: { truncated: false } },
    });
  });
});

describe('Task', () => {
  it('applies InputPath, Parameters, ResultSelector, ResultPath and OutputPath in that order', async () => {
    const task = scriptedIntegration((request) => ({ echoed: request.parameters, extra: 'x' }));
    const h = harness([task]);
    const result = await h.run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::test:run',
        InputPath: '$.job',
        Parameters: { 'name.$': '$.name' },
        ResultSelector: { 'got.$': '$.echoed.name' },
        ResultPath: '$.result',
        OutputPath: '$.result',
      }),
      { job: { name: 'render' }, other: 1 },
    );
    expect(task.calls[0]!.parameters).toEqual({ name: 'render' });
    expect(task.calls[0]!.action).toBe('run');
    expect(JSON.parse(result.output!)).toEqual({ got: 'render' });
  });

  it('records TaskScheduled, TaskStarted and TaskSucceeded with resourceType and resource', async () => {
    const h = harness([scriptedIntegration(() => 'done')]);
    const result = await h.run(single({ Type: 'Task', Resource: 'arn:aws:states:::test:run.sync' }));
    expect(h.historyTypes(result.arn)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = h.sfn.getExecutionHistory(result.arn).items[2]!.details as Record<
      string,
      Record<string, unknown>
    >;
    expect(scheduled.taskScheduledEventDetails).toMatchObject({
      resourceType: 'test',
      resource: 'run.sync',
      region: 'us-east-1',
      parameters: '{}',
    });
  });
});

describe('Choice', () => {
  const machine = {
    StartAt: 'C',
    States: {
      C: {
        Type: 'Choice',
        Choices: [{ Variable: '$.n', NumericGreaterThan: 10, Next: 'Big' }],
        Default: 'Small',
      },
      Big: { Type: 'Pass', Result: 'big', End: true },
      Small: { Type: 'Pass', Result: 'small', End: true },
    },
  };

  it('follows the first matching rule', async () => {
    expect(JSON.parse((await harness().run(machine, { n: 11 })).output!)).toBe('big');
  });

  it('follows Default when no rule matches', async () => {
    expect(JSON.parse((await harness().run(machine, { n: 3 })).output!)).toBe('small');
  });

  it('fails with States.NoChoiceMatched when no rule matches and there is no Default', async () => {
    const noDefault = {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 10, Next: 'Big' }] },
        Big: { Type: 'Succeed' },
      },
    };
    const result = await harness().run(noDefault, { n: 3 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.NoChoiceMatched');
  });
});

describe('Wait', () => {
  it('waits Seconds on the clock', async () => {
    const h = harness();
    const result = await h.run({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 30, End: true } } });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.stopDate! - result.startDate).toBe(30_000);
  });

  it('waits until TimestampPath', async () => {
    const h = harness();
    const until = new Date(h.clock.now() + 90_000).toISOString();
    const result = await h.run(
      { StartAt: 'W', States: { W: { Type: 'Wait', TimestampPath: '$.until', End: true } } },
      { until },
    );
    expect(result.stopDate! - result.startDate).toBe(90_000);
  });

  it('waits SecondsPath', async () => {
    const h = harness();
    const result = await h.run(
      { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.s', End: true } } },
      { s: 5 },
    );
    expect(result.stopDate! - result.startDate).toBe(5_000);
  });
});

describe('Succeed and Fail', () => {
  it('Succeed ends the execution with its (filtered) input', async () => {
    const result = await harness().run(
      { StartAt: 'Done', States: { Done: { Type: 'Succeed', InputPath: '$.a' } } },
      { a: [1] },
    );
    expect(JSON.parse(result.output!)).toEqual([1]);
  });

  it('Fail reports Error and Cause', async () => {
    const result = await harness().run({
      StartAt: 'F',
      States: { F: { Type: 'Fail', Error: 'Custom.Error', Cause: 'why' } },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'Custom.Error', cause: 'why' });
  });

  it('Fail reads ErrorPath and CausePath from its input', async () => {
    const result = await harness().run(
      { StartAt: 'F', States: { F: { Type: 'Fail', ErrorPath: '$.e', CausePath: '$.c' } } },
      { e: 'Dyn.Error', c: 'dynamic cause' },
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'Dyn.Error', cause: 'dynamic cause' });
  });
});

describe('Parallel', () => {
  it('outputs the branch results in branch order', async () => {
    const result = await harness().run(
      single({
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Pass', Result: 'a', End: true } } },
          {
            StartAt: 'B',
            States: { B: { Type: 'Wait', Seconds: 1, Next: 'B2' }, B2: { Type: 'Pass', Result: 'b', End: true } },
          },
        ],
      }),
    );
    expect(JSON.parse(result.output!)).toEqual(['a', 'b']);
  });

  it('fails with the failing branch error and stops the other branches', async () => {
    const slow = scriptedIntegration(
      (request) =>
        new Promise((_, reject) => request.signal.addEventListener('abort', () => reject(request.signal.reason))),
    );
    const h = harness([slow]);
    const result = await h.run(
      single({
        Type: 'Parallel',
        Branches: [
          { StartAt: 'Slow', States: { Slow: { Type: 'Task', Resource: 'arn:aws:states:::test:run', End: true } } },
          { StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'Branch.Boom', Cause: 'c' } } },
        ],
      }),
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'Branch.Boom' });
    expect(slow.calls[0]!.signal.aborted).toBe(true);
    expect(h.historyTypes(result.arn)).toContain('ParallelStateFailed');
  });
});

describe('inline Map', () => {
  it('runs ItemSelector with $$.Map.Item.Index and Value over ItemsPath', async () => {
    const result = await harness().run(
      single({
        Type: 'Map',
        ItemsPath: '$.items',
        ItemSelector: { 'i.$': '$$.Map.Item.Index', 'v.$': '$$.Map.Item.Value', 'tag.$': '$.tag' },
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
        ResultPath: '$.out',
      }),
      { items: ['x', 'y'], tag: 't' },
    );
    expect(JSON.parse(result.output!).out).toEqual([
      { i: 0, v: 'x', tag: 't' },
      { i: 1, v: 'y', tag: 't' },
    ]);
  });

  it('never runs more than MaxConcurrency iterations at once', async () => {
    let running = 0;
    let peak = 0;
    const task = scriptedIntegration(async (request) => {
      running++;
      peak = Math.max(peak, running);
      await request.clock.sleep(1000);
      running--;
      return null;
    });
    const result = await harness([task]).run(
      single({
        Type: 'Map',
        MaxConcurrency: 2,
        Iterator: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::test:run', End: true } } },
      }),
      [1, 2, 3, 4, 5],
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(task.calls).toHaveLength(5);
    expect(peak).toBe(2);
  });

  it('records MapStateStarted with the item count and one MapIterationStarted per item', async () => {
    const h = harness();
    const result = await h.run(
      single({ Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } }),
      [1, 2, 3],
    );
    const types = h.historyTypes(result.arn);
    expect(types.filter((type) => type === 'MapIterationStarted')).toHaveLength(3);
    expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
    const started = h.sfn.getExecutionHistory(result.arn).items.find((event) => event.type === 'MapStateStarted')!;
    expect(started.details).toEqual({ mapStateStartedEventDetails: { length: 3 } });
  });

  it('fails with the first failing iteration error', async () => {
    const result = await harness().run(
      single({
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'C',
          States: {
            C: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 2, Next: 'F' }], Default: 'P' },
            P: { Type: 'Pass', End: true },
            F: { Type: 'Fail', Error: 'Item.Bad' },
          },
        },
      }),
      [1, 2, 3],
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'Item.Bad' });
  });
});

describe('payload limit', () => {
  it('fails with States.DataLimitExceeded when a task returns more than 256 KiB', async () => {
    const big = scriptedIntegration(() => 'x'.repeat(256 * 1024 + 1));
    const result = await harness([big]).run(single({ Type: 'Task', Resource: 'arn:aws:states:::test:run' }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
  });
});

describe('state transitions', () => {
  it('counts one transition per state entered', async () => {
    const result = await harness().run({
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Wait', Seconds: 1, Next: 'C' }, C: { Type: 'Succeed' } },
    });
    expect(result.stateTransitions).toBe(3);
  });
});
