import { describe, expect, it } from 'vitest';
import { flaky, harness, serviceError, settle } from './helpers';

// Semantics: docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html, and in the API
// reference API_DescribeMapRun.html, API_MapRunExecutionCounts.html, API_MapRunRedrivenEventDetails.html,
// API_DescribeExecution.html (a child's redriveStatus) and API_ListExecutions.html (redriveFilter).

describe('Distributed Map: redriving the parent redrives the Map Run (redrive-map-run.html)', () => {
  /** A Distributed Map over the input array; each child runs the `test` task keyed by its item. */
  const fanOut = (fields: object = {}, executionType = 'STANDARD'): object => ({
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        MaxConcurrency: 2,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: executionType },
          StartAt: 'Prepare',
          States: {
            Prepare: { Type: 'Pass', Next: 'Work' },
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:states:::test:run',
              Parameters: { 'key.$': "States.Format('{}', $)", 'redrives.$': '$$.Execution.RedriveCount' },
              End: true,
            },
          },
        },
        ...fields,
        End: true,
      },
    },
  });
  const keys = (count: number): number[] => Array.from({ length: count }, (_, index) => index);

  it('redrives a JSONata Map Run: the items never started get their ItemSelector input from their own index', async () => {
    const failing = new Set(['3']);
    const { integration, calls, seen } = flaky(failing);
    const h = harness([integration]);
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          QueryLanguage: 'JSONata',
          Items: '{% $states.input.ids %}',
          MaxConcurrency: '{% 2 %}',
          ItemSelector: {
            key: '{% $string($states.context.Map.Item.Value) %}',
            index: '{% $states.context.Map.Item.Index %}',
          },
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Work',
            States: {
              Work: {
                Type: 'Task',
                Resource: 'arn:aws:states:::test:run',
                Parameters: { 'key.$': '$.key', 'index.$': '$.index' },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const first = await h.run(definition, { ids: keys(10) });
    expect(first).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    expect(JSON.parse(second.output!)).toEqual(keys(10).map((key) => ({ done: String(key) })));
    for (const key of keys(10).map(String)) expect(calls.get(key), `calls for item ${key}`).toBe(key === '3' ? 2 : 1);
    for (const request of seen) {
      const { key, index } = request.parameters as { key: string; index: number };
      expect(index).toBe(Number(key));
    }
  });

  it('reruns only the unsuccessful children and the items never started; the successful ones are kept', async () => {
    const failing = new Set(['3']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(fanOut(), keys(10));
    expect(first).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    const before = h.sfn.describeMapRun(mapRunArn);
    const succeededBefore = [...calls.keys()].filter((key) => key !== '3');
    expect(before.executionCounts.failed).toBe(1);
    expect(before.itemCounts.pending).toBeGreaterThan(0);
    const firstCalls = new Map(calls);

    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);

    expect(second.status).toBe('SUCCEEDED');
    expect(JSON.parse(second.output!)).toEqual(keys(10).map((key) => ({ done: String(key) })));
    // Each item succeeded exactly once; the children that succeeded the first time did not run again.
    for (const key of keys(10).map(String)) {
      const expected = key === '3' ? 2 : 1;
      expect(calls.get(key), `calls for item ${key}`).toBe(expected);
    }
    for (const key of succeededBefore) expect(calls.get(key)).toBe(firstCalls.get(key));
    // Still one Map Run, redriven once.
    expect(h.sfn.listMapRuns(first.arn).items).toHaveLength(1);
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate: h.sfn.describeExecution(first.arn).redriveDate,
      itemCounts: { succeeded: 10, failed: 0, aborted: 0, pending: 0, total: 10, pendingRedrive: 0 },
      executionCounts: { succeeded: 10, failed: 0, total: 10, pendingRedrive: 0, failuresNotRedrivable: 0 },
    });
  });

  it('redrives a failed STANDARD child under the same ARN from the state it failed in', async () => {
    const failing = new Set(['3']);
    const { integration, seen } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(fanOut(), keys(4));
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    const failed = h.sfn.listExecutions({ mapRunArn, statusFilter: 'FAILED' }).items;
    expect(failed).toHaveLength(1);
    const child = failed[0]!.executionArn;
    expect(h.sfn.describeExecution(child)).toMatchObject({ redriveCount: 0, redriveStatus: 'REDRIVABLE_BY_MAP_RUN' });
    // A child is redriven only through its parent.
    expect(serviceError(() => h.sfn.redriveExecution({ executionArn: child })).code).toBe('ExecutionNotRedrivable');

    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    await settle(h.sfn, h.clock, first.arn);

    expect(h.sfn.describeExecution(child)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    const types = h.historyTypes(child);
    expect(types.filter((type) => type === 'ExecutionStarted')).toHaveLength(1);
    expect(types.slice(types.indexOf('ExecutionFailed'))).toEqual([
      'ExecutionFailed',
      'ExecutionRedriven',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    // Pass state Prepare ran once; the redriven child's task sees $$.Execution.RedriveCount 1.
    expect(types.filter((type) => type === 'PassStateEntered')).toHaveLength(1);
    const third = seen.filter((request) => (request.parameters as { key: string }).key === '3');
    expect(third.map((request) => (request.parameters as { redrives: number }).redrives)).toEqual([0, 1]);
    expect(
      h.sfn.listExecutions({ mapRunArn, redriveFilter: 'REDRIVEN' }).items.map((item) => item.executionArn),
    ).toEqual([child]);
  });

  it('records MapRunRedriven with the Map Run and its redrive count in the parent history', async () => {
    const failing = new Set(['1']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(fanOut(), keys(3));
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    await settle(h.sfn, h.clock, first.arn);
    const events = h.sfn.getExecutionHistory(first.arn, { maxResults: 1000 }).items;
    const types = events.map((event) => event.type);
    expect(types.slice(types.indexOf('ExecutionRedriven'))).toEqual([
      'ExecutionRedriven',
      'MapStateEntered',
      'MapRunRedriven',
      'MapRunSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.find((event) => event.type === 'MapRunRedriven')!.details).toEqual({
      mapRunRedrivenEventDetails: { mapRunArn, redriveCount: 1 },
    });
  });

  it('counts the unsuccessful children as pendingRedrive until they run again (API_MapRunExecutionCounts.html)', async () => {
    const failing = new Set(['0', '1']);
    const hangs = new Set<string>();
    const { integration } = flaky(failing, hangs);
    const h = harness([integration]);
    // One child at a time: 0 fails (tolerated), 1 fails (not tolerated), 2 never starts.
    const first = await h.run(fanOut({ MaxConcurrency: 1, ToleratedFailureCount: 1 }), keys(3));
    expect(first.status).toBe('FAILED');
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      executionCounts: { failed: 2, pendingRedrive: 0, total: 2 },
      itemCounts: { failed: 2, pending: 1, total: 3 },
    });
    failing.clear();
    hangs.add('0');
    h.sfn.redriveExecution({ executionArn: first.arn });
    await h.clock.runAll();
    // Child 0 runs again (and waits); child 1 waits for its turn to be redriven.
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      status: 'RUNNING',
      executionCounts: { running: 1, failed: 0, pendingRedrive: 1, total: 2 },
      itemCounts: { running: 1, failed: 0, pendingRedrive: 1, pending: 1, total: 3 },
    });
    expect(h.sfn.describeMapRun(mapRunArn)).not.toHaveProperty('stopDate');
    h.sfn.stopExecution(first.arn);
    await h.clock.runAll();
    // Child 1 was not rerun before the stop: it is failed again, waiting for the next redrive.
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      status: 'ABORTED',
      executionCounts: { aborted: 1, failed: 1, pendingRedrive: 0, total: 2 },
    });
    hangs.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('SUCCEEDED');
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      redriveCount: 2,
      executionCounts: { succeeded: 3, failed: 0, aborted: 0, pendingRedrive: 0, total: 3 },
    });
  });

  it('evaluates the tolerated failure threshold on the failures of the redrive attempt', async () => {
    const failing = new Set(['1', '2']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(fanOut({ ToleratedFailureCount: 1 }), keys(4));
    expect(first).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    failing.delete('1');
    h.sfn.redriveExecution({ executionArn: first.arn });
    const second = await settle(h.sfn, h.clock, first.arn);
    expect(second.status).toBe('SUCCEEDED');
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    expect(h.sfn.describeMapRun(mapRunArn)).toMatchObject({
      status: 'SUCCEEDED',
      itemCounts: { succeeded: 3, failed: 1, total: 4 },
    });
  });

  it('runs a failed EXPRESS child again from its first state', async () => {
    const failing = new Set(['2']);
    const { integration, calls } = flaky(failing);
    const h = harness([integration]);
    const first = await h.run(fanOut({}, 'EXPRESS'), keys(3));
    expect(first.status).toBe('FAILED');
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('SUCCEEDED');
    expect(Object.fromEntries(calls)).toEqual({ '0': 1, '1': 1, '2': 2 });
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    const child = h.sfn.listExecutions({ mapRunArn, redriveFilter: 'REDRIVEN' }).items[0]!.executionArn;
    expect(h.historyTypes(child).filter((type) => type === 'PassStateEntered')).toHaveLength(1);
    expect(h.historyTypes(child)[0]).toBe('ExecutionStarted');
    expect(h.historyTypes(child)).not.toContain('ExecutionFailed');
  });

  it("redrives STANDARD children with the role's states:RedriveExecution (iam-policies-eg-dist-map.html)", async () => {
    const failing = new Set(['1']);
    const { integration, calls } = flaky(failing);
    let allowRedrive = false;
    const h = harness([integration], {
      authorize: ({ action, resource }) =>
        action === 'states:RedriveExecution' && !allowRedrive ? `not authorized to redrive ${resource}` : undefined,
    });
    const first = await h.run(fanOut(), keys(3));
    const mapRunArn = h.sfn.listMapRuns(first.arn).items[0]!.mapRunArn;
    failing.clear();
    h.sfn.redriveExecution({ executionArn: first.arn });
    const denied = await settle(h.sfn, h.clock, first.arn);
    expect(denied).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(denied.cause).toContain('not authorized to redrive arn:aws:states:');
    expect(calls.get('1')).toBe(1);
    allowRedrive = true;
    h.sfn.redriveExecution({ executionArn: first.arn });
    expect((await settle(h.sfn, h.clock, first.arn)).status).toBe('SUCCEEDED');
    expect(h.sfn.listMapRuns(first.arn).items.map((run) => run.mapRunArn)).toEqual([mapRunArn]);
    expect(h.sfn.describeMapRun(mapRunArn).redriveCount).toBe(1);
    expect(calls.get('1')).toBe(2);
  });
});
