import { describe, expect, it } from 'vitest';
import { fail, hang, harness, scriptedIntegration, single } from './helpers';

// Retry/Catch semantics: docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
const TASK = 'arn:aws:states:::test:run';

describe('Retry', () => {
  it('uses IntervalSeconds 1, BackoffRate 2 and MaxAttempts 3 by default', async () => {
    const task = scriptedIntegration(() => fail('Boom'));
    const h = harness([task]);
    const result = await h.run(single({ Type: 'Task', Resource: TASK, Retry: [{ ErrorEquals: ['Boom'] }] }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'Boom' });
    expect(task.calls).toHaveLength(4);
    expect(h.clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it('never retries when MaxAttempts is 0', async () => {
    const task = scriptedIntegration(() => fail('Boom'));
    await harness([task]).run(
      single({ Type: 'Task', Resource: TASK, Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 0 }] }),
    );
    expect(task.calls).toHaveLength(1);
  });

  it('caps the delay at MaxDelaySeconds', async () => {
    const task = scriptedIntegration(() => fail('Boom'));
    const h = harness([task]);
    await h.run(
      single({
        Type: 'Task',
        Resource: TASK,
        Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 3, BackoffRate: 3, MaxAttempts: 4, MaxDelaySeconds: 20 }],
      }),
    );
    expect(h.clock.sleeps).toEqual([3000, 9000, 20000, 20000]);
  });

  it('draws a FULL jitter delay uniformly in [0, delay]', async () => {
    const task = scriptedIntegration(() => fail('Boom'));
    const h = harness([task], { random: () => 0.25 });
    await h.run(
      single({
        Type: 'Task',
        Resource: TASK,
        Retry: [{ ErrorEquals: ['Boom'], IntervalSeconds: 4, MaxAttempts: 2, JitterStrategy: 'FULL' }],
      }),
    );
    expect(h.clock.sleeps).toEqual([1000, 2000]);
  });

  it('uses the first matching retrier and keeps a separate attempt count per retrier', async () => {
    const errors = ['A', 'B', 'A', 'B', 'A'];
    const task = scriptedIntegration((_, call) => (call <= errors.length ? fail(errors[call - 1]!) : 'ok'));
    const h = harness([task]);
    const result = await h.run(
      single({
        Type: 'Task',
        Resource: TASK,
        Retry: [
          { ErrorEquals: ['A'], MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 1 },
          { ErrorEquals: ['B', 'A'], MaxAttempts: 2, IntervalSeconds: 10, BackoffRate: 1 },
        ],
      }),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(h.clock.sleeps).toEqual([1000, 10000, 1000, 10000, 1000]);
  });

  it('does not fall through to a later retrier once the matching one is exhausted', async () => {
    const task = scriptedIntegration(() => fail('A'));
    await harness([task]).run(
      single({
        Type: 'Task',
        Resource: TASK,
        Retry: [
          { ErrorEquals: ['A'], MaxAttempts: 1 },
          { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
        ],
      }),
    );
    expect(task.calls).toHaveLength(2);
  });

  it('counts every retry as a state transition', async () => {
    const task = scriptedIntegration((_, call) => (call < 3 ? fail('Boom') : 'ok'));
    const result = await harness([task]).run(
      single({ Type: 'Task', Resource: TASK, Retry: [{ ErrorEquals: ['Boom'] }] }),
    );
    expect(result.stateTransitions).toBe(3);
  });

  it('exposes the retry number as $$.State.RetryCount', async () => {
    const task = scriptedIntegration((request, call) => (call < 3 ? fail('Boom') : request.parameters));
    const result = await harness([task]).run(
      single({
        Type: 'Task',
        Resource: TASK,
        Parameters: { 'retry.$': '$$.State.RetryCount' },
        Retry: [{ ErrorEquals: ['Boom'] }],
      }),
    );
    expect(JSON.parse(result.output!)).toEqual({ retry: 2 });
  });
});

const withCatch = (task: object, catchers: object[]): object => ({
  StartAt: 'T',
  States: {
    T: { Type: 'Task', Resource: TASK, ...task, Catch: catchers, End: true },
    Handled: { Type: 'Pass', End: true },
  },
});

describe('Catch', () => {
  it('States.TaskFailed catches a task error', async () => {
    const task = scriptedIntegration(() => fail('Batch.ClientException', 'bad'));
    const result = await harness([task]).run(withCatch({}, [{ ErrorEquals: ['States.TaskFailed'], Next: 'Handled' }]), {
      a: 1,
    });
    expect(result.status).toBe('SUCCEEDED');
    // ResultPath defaults to $: the error output replaces the input.
    expect(JSON.parse(result.output!)).toEqual({ Error: 'Batch.ClientException', Cause: 'bad' });
  });

  it('States.TaskFailed does not catch States.Timeout', async () => {
    const task = scriptedIntegration(hang);
    const result = await harness([task]).run(
      withCatch({ TimeoutSeconds: 5 }, [{ ErrorEquals: ['States.TaskFailed'], Next: 'Handled' }]),
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('States.ALL catches States.Timeout', async () => {
    const task = scriptedIntegration(hang);
    const result = await harness([task]).run(
      withCatch({ TimeoutSeconds: 5 }, [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }]),
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!).Error).toBe('States.Timeout');
  });

  it('uses the first matching catcher and places {Error, Cause} at its ResultPath', async () => {
    const task = scriptedIntegration(() => fail('Custom', 'why'));
    const result = await harness([task]).run(
      withCatch({}, [
        { ErrorEquals: ['Other'], Next: 'Handled' },
        { ErrorEquals: ['Custom'], ResultPath: '$.error', Next: 'Handled' },
        { ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'Handled' },
      ]),
      { keep: true },
    );
    expect(JSON.parse(result.output!)).toEqual({ keep: true, error: { Error: 'Custom', Cause: 'why' } });
  });

  it('catches only after the retriers are exhausted', async () => {
    const task = scriptedIntegration(() => fail('Boom'));
    const result = await harness([task]).run({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: TASK,
          Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['Boom'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(task.calls).toHaveLength(3);
  });

  it('does not catch States.Runtime, even with States.ALL', async () => {
    const result = await harness().run({
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'X', States: { X: { Type: 'Pass', InputPath: '$.missing', End: true } } }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});

describe('timeouts', () => {
  it('times a task out after TimeoutSeconds with States.Timeout and aborts its signal', async () => {
    const task = scriptedIntegration(hang);
    const h = harness([task]);
    const result = await h.run(single({ Type: 'Task', Resource: TASK, TimeoutSeconds: 30 }));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(result.stopDate! - result.startDate).toBe(30_000);
    expect(task.calls[0]!.signal.aborted).toBe(true);
    expect(h.historyTypes(result.arn)).toContain('TaskTimedOut');
  });

  it('reads TimeoutSecondsPath from the effective input', async () => {
    const task = scriptedIntegration(hang);
    const result = await harness([task]).run(single({ Type: 'Task', Resource: TASK, TimeoutSecondsPath: '$.t' }), {
      t: 7,
    });
    expect(result.stopDate! - result.startDate).toBe(7_000);
  });

  it('ends the execution as TIMED_OUT after the machine TimeoutSeconds and aborts running tasks', async () => {
    const task = scriptedIntegration(hang);
    const h = harness([task]);
    const result = await h.run({
      TimeoutSeconds: 60,
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: TASK, End: true } },
    });
    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(task.calls[0]!.signal.aborted).toBe(true);
    expect(h.historyTypes(result.arn).at(-1)).toBe('ExecutionTimedOut');
  });
});

describe('StopExecution', () => {
  it('aborts the execution and the signal of its running task', async () => {
    const task = scriptedIntegration(hang);
    const h = harness([task]);
    const arn = h.start(single({ Type: 'Task', Resource: TASK }));
    await h.clock.advance(0);
    h.sfn.stopExecution(arn, { error: 'User.Stop', cause: 'enough' });
    const result = await h.sfn.waitForExecution(arn);
    expect(result).toMatchObject({ status: 'ABORTED', error: 'User.Stop', cause: 'enough' });
    await h.clock.advance(0);
    expect(task.calls[0]!.signal.aborted).toBe(true);
    expect(h.historyTypes(arn).at(-1)).toBe('ExecutionAborted');
  });
});
