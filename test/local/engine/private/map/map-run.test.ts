import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createLocalStepFunctions, FakeClock } from '../../../../../local/engine';
import type { TaskIntegration } from '../../../../../local/engine/types';
import { fail, flaky, harness, paddedItemsStore, settle } from '../../helpers';

// What a Map Run keeps of its unsuccessful children (docs/local-engine.md, "What is retained"):
// the full history of the last failedChildHistoryLimit only; where each one stopped goes to the
// Map Run's log, so that a redrive (redrive-map-run.html) still continues every one of them.

/** Forces a full garbage collection (vitest does not start Node.js with --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

describe('memory held for the unsuccessful children of a Map Run', () => {
  it('holds none of their payloads, and a redrive still continues each one from its failed state', async () => {
    // 4,000 children, each with a distinct ~4 KiB input that it also keeps in a variable, all
    // failing in their Task: about 16 MB of strings if the Map Run kept their scopes.
    const CHILDREN = 4000;
    const clock = new FakeClock();
    // The result files (a FAILED file of ~40 MB) are counted, not kept.
    const { store, resultBytes } = await paddedItemsStore(clock, CHILDREN);
    let failing = true;
    let calls = 0;
    // Not scriptedIntegration: it keeps every request, and with it every payload.
    const job: TaskIntegration = {
      service: 'test',
      actions: ['run'],
      async invoke(request) {
        calls++;
        const { id, pad } = request.parameters as { id: number; pad: string };
        if (failing) fail('Job.Failed', `job ${id} failed`);
        return { id, head: pad.slice(0, 4) };
      },
    };
    const sfn = createLocalStepFunctions({
      integrations: [job],
      objectStore: store,
      clock,
      spillMemoryBytes: 64 * 1024,
      failedChildHistoryLimit: 10,
    });
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSONL' },
            Parameters: { Bucket: 'in', Key: 'items.jsonl' },
          },
          // Every child fails; the last failure exceeds the threshold, so the parent can be redriven.
          ToleratedFailureCount: CHILDREN - 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Prepare',
            States: {
              Prepare: {
                Type: 'Pass',
                Parameters: { 'id.$': '$.id' },
                Assign: { 'pad.$': '$$.Execution.Input.pad' },
                Next: 'Work',
              },
              Work: {
                Type: 'Task',
                Resource: 'arn:aws:states:::test:run',
                Parameters: { 'id.$': '$.id', 'pad.$': '$pad' },
                End: true,
              },
            },
          },
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: 'runs' } },
          End: true,
        },
      },
    };
    const { stateMachineArn } = sfn.createStateMachine({
      name: 'failing',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });

    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const { executionArn } = sfn.startExecution({ stateMachineArn, input: '{}' });
    const done = sfn.waitForExecution(executionArn);
    await clock.runAll();
    expect(await done).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;
    const mapRunArn = sfn.listMapRuns(executionArn).items[0]!.mapRunArn;
    expect(resultBytes()).toBeGreaterThan(CHILDREN * 4000);
    expect(sfn.describeMapRun(mapRunArn).executionCounts).toMatchObject({ failed: CHILDREN, total: CHILDREN });
    // Kept: a few numbers per child, 10 histories, a 64 KiB buffer. Keeping their scopes would be > 16 MB.
    expect(retained).toBeLessThan(4 * 1024 * 1024);

    failing = false;
    sfn.redriveExecution({ executionArn });
    const redriven = sfn.waitForExecution(executionArn);
    await clock.runAll();
    expect((await redriven).status).toBe('SUCCEEDED');
    // Each child ran Prepare once and Work twice, the second time with the variable Prepare assigned.
    expect(calls).toBe(2 * CHILDREN);
    const firstChild = `${sfn.listExecutions({ mapRunArn, maxResults: 1 }).items[0]!.executionArn.slice(0, -12)}${'0'.repeat(12)}`;
    expect(sfn.describeExecution(firstChild)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      output: '{"id":0,"head":"0:aa"}',
    });
  });
});

describe('Distributed Map: redriving more failed children than failedChildHistoryLimit (docs/local-engine.md, "Redrive")', () => {
  /**
   * One child at a time; Prepare records the redrive count it ran under, in its output and in a
   * variable, so a rerun of Prepare would show in what Work receives.
   */
  const preparedFanOut = (fields: object, executionType = 'STANDARD'): object => ({
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: executionType },
          StartAt: 'Prepare',
          States: {
            Prepare: {
              Type: 'Pass',
              Parameters: { 'key.$': "States.Format('{}', $)", 'preparedAt.$': '$$.Execution.RedriveCount' },
              // In JSONPath, Assign reads the state's result (workflow-variables.html).
              Assign: { 'tag.$': "States.Format('v{}', $.key)" },
              Next: 'Work',
            },
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:states:::test:run',
              Parameters: {
                'key.$': '$.key',
                'preparedAt.$': '$.preparedAt',
                'tag.$': '$tag',
                'redrives.$': '$$.Execution.RedriveCount',
              },
              End: true,
            },
          },
        },
        ...fields,
        End: true,
      },
    },
  });
  const childArn = (h: ReturnType<typeof harness>, mapRunArn: string, key: number): string =>
    h.sfn.listExecutions({ mapRunArn }).items.find((child) => JSON.parse(child.input) === key)!.executionArn;

  it('reruns every failed child from its failed state, within and beyond the limit, with its variables', async () => {
    // Children 0..3 fail and are tolerated, child 4 fails past the threshold, item 5 never starts.
    const failing = new Set(['0', '1', '2', '3', '4']);
    const { integration, calls, seen } = flaky(failing);
    const h = harness([integration], { failedChildHistoryLimit: 2 });
    const first = await h.run(preparedFanOut({ ToleratedFailureCount: 4 }), [0, 1, 2, 3, 4, 5]);
    expect(first).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    expect(h.sfn.describeMapRun(mapRunArn).executionCounts).toMatchObject({ failed: 5, total: 5 });

    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);

    expect(second.status).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ '0': 2, '1': 2, '2': 2, '3': 2, '4': 2, '5': 1 });
    // Work ran again with the input and variables Prepare gave it before the redrive: Prepare did not rerun.
    const reruns = seen.slice(5).map((request) => request.parameters);
    expect(reruns).toEqual([
      ...[0, 1, 2, 3, 4].map((key) => ({ key: String(key), preparedAt: 0, tag: `v${key}`, redrives: 1 })),
      { key: '5', preparedAt: 0, tag: 'v5', redrives: 0 },
    ]);
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      itemCounts: { succeeded: 6, failed: 0, pending: 0, pendingRedrive: 0, total: 6 },
      executionCounts: { succeeded: 6, failed: 0, pendingRedrive: 0, total: 6 },
    });
    for (const key of [0, 1, 2, 3, 4])
      expect(h.sfn.describeExecution(childArn(h, mapRunArn, key)), `child ${key}`).toMatchObject({
        status: 'SUCCEEDED',
        redriveCount: 1,
      });
    expect(h.sfn.describeExecution(childArn(h, mapRunArn, 5)).redriveCount).toBe(0);
  });

  it('continues the full history of a recent failure, and the rebuilt start and end events of an older one', async () => {
    const failing = new Set(['0', '1', '2', '3', '4']);
    const { integration } = flaky(failing);
    const h = harness([integration], { failedChildHistoryLimit: 2 });
    const first = await h.run(preparedFanOut({ ToleratedFailureCount: 4 }), [0, 1, 2, 3, 4]);
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    await settle(h.sfn, h.clock, first.arn);

    const redriven = ['ExecutionRedriven', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded'];
    const end = ['TaskStateExited', 'ExecutionSucceeded'];
    // Child 4 was among the last 2 failures: its whole first attempt is still there.
    expect(h.historyTypes(childArn(h, mapRunArn, 4))).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'ExecutionFailed',
      ...redriven,
      ...end,
    ]);
    // Child 0 was not: its first attempt is its start and failure, as GetExecutionHistory gave them before.
    const older = h.sfn.getExecutionHistory(childArn(h, mapRunArn, 0), { maxResults: 1000 }).items;
    expect(older.map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionFailed', ...redriven, ...end]);
    expect(older.map((event) => event.id)).toEqual(older.map((_, at) => at + 1));
    expect(older[1]!.details).toEqual({
      executionFailedEventDetails: { error: 'Work.Failed', cause: 'item 0 failed' },
    });
    expect(older[2]!.details).toEqual({ executionRedrivenEventDetails: { redriveCount: 1 } });
  });

  it('reruns only the failed branch of a Parallel state in a child beyond the limit', async () => {
    const failing = new Set(['0-right', '1-right']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration], { failedChildHistoryLimit: 0 });
    const branch = (side: string) => ({
      StartAt: side,
      States: {
        [side]: {
          Type: 'Task',
          Resource: 'arn:aws:states:::test:run',
          Parameters: { 'key.$': `States.Format('{}-${side}', $.key)`, 'tag.$': '$tag' },
          End: true,
        },
      },
    });
    const child = {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      StartAt: 'Prepare',
      States: {
        Prepare: { Type: 'Pass', Parameters: { 'key.$': '$' }, Assign: { 'tag.$': '$' }, Next: 'Both' },
        Both: { Type: 'Parallel', Branches: [branch('left'), branch('right')], End: true },
      },
    };
    const definition = {
      StartAt: 'Fan',
      States: { Fan: { Type: 'Map', MaxConcurrency: 1, ToleratedFailureCount: 1, ItemProcessor: child, End: true } },
    };
    const first = await h.run(definition, [0, 1]);
    expect(first.status).toBe('FAILED');
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    expect(JSON.parse(second.output!)).toEqual([
      [{ done: '0-left' }, { done: '0-right' }],
      [{ done: '1-left' }, { done: '1-right' }],
    ]);
    expect(Object.fromEntries(calls)).toEqual({ '0-left': 1, '0-right': 2, '1-left': 1, '1-right': 2 });
  });

  it('runs an EXPRESS child beyond the limit again from its first state, with its input', async () => {
    const failing = new Set(['0', '1']);
    const { integration, seen } = flaky(failing);
    const h = harness([integration], { failedChildHistoryLimit: 0 });
    const first = await h.run(preparedFanOut({ ToleratedFailureCount: 1 }, 'EXPRESS'), [0, 1]);
    expect(first.status).toBe('FAILED');
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('SUCCEEDED');
    // Prepare ran again, under the child's new redrive count.
    expect(seen.slice(2).map((request) => request.parameters)).toEqual(
      [0, 1].map((key) => ({ key: String(key), preparedAt: 1, tag: `v${key}`, redrives: 1 })),
    );
  });

  it('redrives the Map Run of a Distributed Map inside a child beyond the limit, under its own ARN', async () => {
    const failing = new Set(['b']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration], { failedChildHistoryLimit: 0 });
    const work = { Type: 'Task', Resource: 'arn:aws:states:::test:run', Parameters: { 'key.$': '$' }, End: true };
    const inner = {
      Type: 'Map',
      ItemsPath: '$.keys',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Work',
        States: { Work: work },
      },
      End: true,
    };
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Inner',
            States: { Inner: inner },
          },
          End: true,
        },
      },
    };
    const first = await h.run(definition, [{ keys: ['a', 'b'] }]);
    expect(first.status).toBe('FAILED');
    const outer = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    const child = h.sfn.listExecutions({ mapRunArn: outer }).items[0]!.executionArn;
    const nested = h.sfn.listMapRuns(child).items.map((run) => run.mapRunArn);
    expect(nested).toHaveLength(1);

    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    expect(JSON.parse(second.output!)).toEqual([[{ done: 'a' }, { done: 'b' }]]);
    expect(Object.fromEntries(calls)).toEqual({ a: 1, b: 2 });
    expect(h.sfn.listMapRuns(child).items.map((run) => run.mapRunArn)).toEqual(nested);
    expect(h.sfn.describeMapRun(nested[0]!)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
  });
});
