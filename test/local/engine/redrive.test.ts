import { describe, expect, it } from 'vitest';
import { flaky, harness, serviceError, settle } from './helpers';

// Semantics: docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html,
// API_DescribeExecution.html (redriveCount, redriveDate, redriveStatus, redriveStatusReason),
// API_ExecutionRedrivenEventDetails.html, API_ListExecutions.html (redriveFilter),
// and the developer guide page dg/redrive-executions.html (Distributed Map: redrive-map-run.test.ts).

const DAY_MS = 24 * 3600 * 1000;

const task = (key: string, next?: string): object => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::test:run',
  Parameters: { key, 'redrives.$': '$$.Execution.RedriveCount' },
  ResultPath: `$.${key}`,
  ...(next ? { Next: next } : { End: true }),
});

describe('RedriveExecution of a failed Task (redrive-executions.html)', () => {
  const machine = { StartAt: 'A', States: { A: task('a', 'B'), B: task('b', 'C'), C: task('c') } };

  it('continues at the failed state with its input and does not rerun the states that succeeded', async () => {
    const failing = new Set(['b']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(machine, { start: 1 });
    expect(first).toMatchObject({ status: 'FAILED', error: 'Work.Failed' });

    failing.clear();
    const { redriveDate } = h.sfn.redriveExecution({ executionArn: first.arn });
    expect(redriveDate).toBe(h.clock.now());
    // The execution is RUNNING again as soon as the redrive is accepted (API_RedriveExecution.html).
    expect(h.sfn.describeExecution(first.arn).status).toBe('RUNNING');
    const second = await settle(h.sfn, h.clock, first.arn);

    expect(second.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ a: 1, b: 2, c: 1 });
    expect(JSON.parse(second.output!)).toEqual({ start: 1, a: { done: 'a' }, b: { done: 'b' }, c: { done: 'c' } });
    // The failed state is entered again with the input it received the first time.
    const enteredB = h.sfn
      .getExecutionHistory(first.arn, { maxResults: 1000 })
      .items.filter((event) => event.type === 'TaskStateEntered')
      .map((event) => event.details!.stateEnteredEventDetails as { name: string; input: string })
      .filter((details) => details.name === 'B');
    expect(enteredB.map((details) => JSON.parse(details.input))).toEqual([
      { start: 1, a: { done: 'a' } },
      { start: 1, a: { done: 'a' } },
    ]);
  });

  it('counts redrives in $$.Execution.RedriveCount', async () => {
    const failing = new Set(['b']);
    const { integration, seen } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(machine);
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    await settle(h.sfn, h.clock, first.arn);
    expect(seen.map((request) => (request.parameters as { redrives: number }).redrives)).toEqual([0, 0, 1, 1]);
  });

  it('appends ExecutionRedriven with the redrive count and continues the event ids', async () => {
    const failing = new Set(['b']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(machine);
    const before = h.sfn.getExecutionHistory(first.arn, { maxResults: 1000 }).items;
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    await settle(h.sfn, h.clock, first.arn);
    const events = h.sfn.getExecutionHistory(first.arn, { maxResults: 1000 }).items;

    expect(events.slice(0, before.length)).toEqual(before);
    expect(before.at(-1)!.type).toBe('ExecutionFailed');
    const redriven = events[before.length]!;
    expect(redriven).toMatchObject({
      id: before.length + 1,
      previousEventId: before.length,
      type: 'ExecutionRedriven',
      details: { executionRedrivenEventDetails: { redriveCount: 1 } },
    });
    expect(events.slice(before.length + 1).map((event) => event.type)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events[before.length + 1]!.details).toMatchObject({ stateEnteredEventDetails: { name: 'B' } });
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
  });

  it('reports redriveCount, redriveDate, redriveStatus and redriveStatusReason in DescribeExecution', async () => {
    const failing = new Set(['b']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(machine);
    expect(h.sfn.describeExecution(first.arn)).toMatchObject({ redriveCount: 0, redriveStatus: 'REDRIVABLE' });
    expect(h.sfn.describeExecution(first.arn)).not.toHaveProperty('redriveDate');
    expect(h.sfn.describeExecution(first.arn)).not.toHaveProperty('redriveStatusReason');

    await h.clock.advance(60_000);
    failing.clear();
    const { redriveDate } = h.sfn.redriveExecution({ executionArn: first.arn });
    expect(h.sfn.describeExecution(first.arn)).toMatchObject({
      status: 'RUNNING',
      redriveCount: 1,
      redriveDate,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven',
    });
    expect(h.sfn.describeExecution(first.arn)).not.toHaveProperty('error');
    expect(h.sfn.describeExecution(first.arn)).not.toHaveProperty('stopDate');
    await settle(h.sfn, h.clock, first.arn);
    expect(h.sfn.describeExecution(first.arn)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
  });

  it('gives the failed state its retries again', async () => {
    const failing = new Set(['b']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const retried = {
      StartAt: 'B',
      States: { B: { ...task('b'), Retry: [{ ErrorEquals: ['Work.Failed'], MaxAttempts: 2 }] } },
    };
    const first = await h.run(retried);
    expect(calls.get('b')).toBe(3);
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('FAILED');
    expect(calls.get('b')).toBe(6);
  });
});

describe('which executions can be redriven (API_RedriveExecution.html)', () => {
  const machine = { StartAt: 'B', States: { B: task('b') } };

  it('refuses a SUCCEEDED execution with ExecutionNotRedrivable', async () => {
    const { integration } = flaky(new Set());
    const h = harness([integration]);
    const done = await h.run(machine);
    const error = serviceError(() => h.sfn.redriveExecution({ executionArn: done.arn }));
    expect(error.code).toBe('ExecutionNotRedrivable');
    expect(error.message).toBe(`Execution is SUCCEEDED and cannot be redriven: '${done.arn}'`);
  });

  it('refuses a RUNNING execution with ExecutionNotRedrivable', async () => {
    const { integration } = flaky(new Set(), new Set(['b']));
    const h = harness([integration]);
    const arn = h.start(machine);
    await h.clock.runAll();
    const error = serviceError(() => h.sfn.redriveExecution({ executionArn: arn }));
    expect(error.code).toBe('ExecutionNotRedrivable');
    expect(error.message).toContain('Execution is RUNNING and cannot be redriven');
  });

  it('redrives an ABORTED execution, rerunning the state that was stopped', async () => {
    const hangs = new Set(['b']);
    const { integration, calls } = flaky(new Set(), hangs);
    const h = harness([integration]);
    const arn = h.start(machine);
    await h.clock.runAll();
    h.sfn.stopExecution(arn, { error: 'Stop', cause: 'by hand' });
    expect(h.sfn.describeExecution(arn)).toMatchObject({ status: 'ABORTED', redriveStatus: 'REDRIVABLE' });
    hangs.clear();
    h.sfn.redriveExecution({ executionArn: arn });
    expect((await settle(h.sfn, h.clock, arn)).status).toBe('SUCCEEDED');
    expect(calls.get('b')).toBe(2);
  });

  it('redrives a TIMED_OUT execution with its TimeoutSeconds counted from the redrive', async () => {
    const hangs = new Set(['b']);
    const { integration, calls } = flaky(new Set(), hangs);
    const h = harness([integration]);
    const first = await h.run({ ...machine, TimeoutSeconds: 5 });
    expect(first.status).toBe('TIMED_OUT');
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('TIMED_OUT');
    hangs.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('SUCCEEDED');
    expect(calls.get('b')).toBe(3);
    expect(h.sfn.describeExecution(first.arn).redriveCount).toBe(2);
  });

  it('refuses an execution that stopped more than 14 days ago (the redrivable period)', async () => {
    const { integration } = flaky(new Set(['b']));
    const h = harness([integration]);
    const first = await h.run(machine);
    await h.clock.advance(14 * DAY_MS);
    expect(h.sfn.describeExecution(first.arn).redriveStatus).toBe('REDRIVABLE');
    await h.clock.advance(1);
    expect(h.sfn.describeExecution(first.arn)).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution redrivable period exceeded',
    });
    const error = serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn }));
    expect(error.code).toBe('ExecutionNotRedrivable');
    expect(error.message).toContain('Execution redrivable period exceeded');
  });

  it('refuses an execution whose history has no room for ExecutionRedriven and one more event', async () => {
    const { integration } = flaky(new Set(['b']));
    // Started, TaskStateEntered, TaskScheduled, TaskStarted, TaskFailed, ExecutionFailed: 6 events.
    const h = harness([integration], { maxHistoryEvents: 7 });
    const first = await h.run(machine);
    expect(h.sfn.getExecutionHistory(first.arn).items).toHaveLength(6);
    expect(h.sfn.describeExecution(first.arn)).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution history event limit exceeded',
    });
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn })).code).toBe('ExecutionNotRedrivable');
    const roomy = harness([flaky(new Set(['b'])).integration], { maxHistoryEvents: 8 });
    const other = await roomy.run(machine);
    expect(roomy.sfn.describeExecution(other.arn).redriveStatus).toBe('REDRIVABLE');
  });

  it('refuses an execution whose state machine was deleted', async () => {
    const { integration } = flaky(new Set(['b']));
    const h = harness([integration]);
    const first = await h.run(machine);
    h.sfn.deleteStateMachine(h.sfn.describeExecution(first.arn).stateMachineArn);
    expect(h.sfn.describeExecution(first.arn).redriveStatusReason).toBe('State machine is in DELETING status');
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn })).code).toBe('ExecutionNotRedrivable');
  });

  it('answers ExecutionDoesNotExist and InvalidArn as the other execution operations do', () => {
    const h = harness();
    const missing = 'arn:aws:states:us-east-1:123456789012:execution:nope:nope';
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: missing }))).toMatchObject({
      code: 'ExecutionDoesNotExist',
      message: `Execution Does Not Exist: '${missing}'`,
    });
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: 'not-an-arn' })).code).toBe('InvalidArn');
  });
});

describe('clientToken (API_RedriveExecution.html: the last 10 tokens, for 15 minutes)', () => {
  const machine = { StartAt: 'B', States: { B: task('b') } };

  it('returns the first redrive again for a token already used, without redriving twice', async () => {
    const hangs = new Set<string>();
    const failing = new Set(['b']);
    const { integration, calls } = flaky(failing, hangs);
    const h = harness([integration]);
    const first = await h.run(machine);
    failing.clear();
    hangs.add('b');
    const { redriveDate } = h.sfn.redriveExecution({ executionArn: first.arn, clientToken: 'token-1' });
    await h.clock.runAll();
    await h.clock.advance(60_000);
    expect(h.sfn.redriveExecution({ executionArn: first.arn, clientToken: 'token-1' })).toEqual({ redriveDate });
    expect(h.sfn.describeExecution(first.arn).redriveCount).toBe(1);
    expect(calls.get('b')).toBe(2);
    // Another token asks for a new redrive, refused while the execution runs.
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn, clientToken: 'token-2' })).code).toBe(
      'ExecutionNotRedrivable',
    );
    // After 15 minutes the token no longer answers.
    await h.clock.advance(15 * 60_000);
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn, clientToken: 'token-1' })).code).toBe(
      'ExecutionNotRedrivable',
    );
  });

  it('refuses a token that is not 1 to 64 printable characters, naming the field and value', async () => {
    const h = harness([flaky(new Set(['b'])).integration]);
    const first = await h.run(machine);
    for (const clientToken of ['', 'with space', 'x'.repeat(65)]) {
      const error = serviceError(() => h.sfn.redriveExecution({ executionArn: first.arn, clientToken }));
      expect(error.code).toBe('ValidationException');
      expect(error.message).toContain(`clientToken must be 1 to 64 printable ASCII characters`);
      expect(error.message).toContain(`(received '${clientToken}')`);
    }
    expect(h.sfn.describeExecution(first.arn).redriveCount).toBe(0);
  });
});

describe('ListExecutions redriveFilter (API_ListExecutions.html)', () => {
  it('lists redriven and not redriven executions apart', async () => {
    const failing = new Set(['b']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const definition = JSON.stringify({ StartAt: 'B', States: { B: task('b') } });
    const { stateMachineArn } = h.sfn.createStateMachine({
      name: 'listed',
      definition,
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });
    const one = h.sfn.startExecution({ stateMachineArn, name: 'one' }).executionArn;
    const two = h.sfn.startExecution({ stateMachineArn, name: 'two' }).executionArn;
    await settle(h.sfn, h.clock, two);
    h.sfn.redriveExecution({ executionArn: one });
    await settle(h.sfn, h.clock, one);
    const names = (redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN') =>
      h.sfn.listExecutions({ stateMachineArn, redriveFilter }).items.map((execution) => execution.name);
    expect(names('REDRIVEN')).toEqual(['one']);
    expect(names('NOT_REDRIVEN')).toEqual(['two']);
    expect(names().sort()).toEqual(['one', 'two']);
  });
});

describe('Parallel and inline Map (API_RedriveExecution.html: only the branches and iterations that failed or aborted)', () => {
  it('reruns only the Parallel branch that failed and keeps the output of the one that succeeded', async () => {
    const failing = new Set(['right']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'L', States: { L: task('left') } },
            { StartAt: 'R1', States: { R1: task('right-first', 'R2'), R2: task('right') } },
          ],
          End: true,
        },
      },
    };
    const first = await h.run(definition, {});
    expect(first.status).toBe('FAILED');
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ left: 1, 'right-first': 1, right: 2 });
    expect(JSON.parse(second.output!)).toEqual([
      { left: { done: 'left' } },
      { 'right-first': { done: 'right-first' }, right: { done: 'right' } },
    ]);
  });

  it('reruns only the inline Map iterations that failed or never started', async () => {
    const failing = new Set(['1']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const definition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          MaxConcurrency: 1,
          ItemProcessor: {
            StartAt: 'W',
            States: {
              W: {
                Type: 'Task',
                Resource: 'arn:aws:states:::test:run',
                Parameters: { 'key.$': "States.Format('{}', $)" },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const first = await h.run(definition, [0, 1, 2, 3]);
    expect(first.status).toBe('FAILED');
    // One at a time: items 0 and 1 ran, 2 and 3 never started.
    expect(Object.fromEntries(calls)).toEqual({ '0': 1, '1': 1 });
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ '0': 1, '1': 2, '2': 1, '3': 1 });
    expect(JSON.parse(second.output!)).toEqual(['0', '1', '2', '3'].map((key) => ({ done: key })));
  });
});
