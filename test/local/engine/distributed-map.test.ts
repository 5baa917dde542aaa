import { describe, expect, it } from 'vitest';
import type { Json } from '../../../local/engine/types';
import { fail, hang, harness, scriptedIntegration } from './helpers';

// Semantics: docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html,
// maprun-fail-threshold.html, input-output-itemreader.html, input-output-itembatcher.html,
// input-output-resultwriter.html, and DESIGN.md §5.

/** A Distributed Map whose children fail when their item has `fail: true`. */
function distributed(fields: object = {}, processorStates?: Record<string, object>): object {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: processorStates ? Object.keys(processorStates)[0] : 'Check',
          States: processorStates ?? {
            Check: {
              Type: 'Choice',
              Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Bad' }],
              Default: 'Good',
            },
            Good: { Type: 'Pass', End: true },
            Bad: { Type: 'Fail', Error: 'Item.Failed', Cause: 'scripted' },
          },
        },
        ...fields,
        End: true,
      },
    },
  };
}

const PASS = { P: { Type: 'Pass', End: true } };

const items = (total: number, failing: number): Json[] =>
  Array.from({ length: total }, (_, i) => ({ id: i, fail: i < failing }));

function mapRunOf(h: ReturnType<typeof harness>, arn: string) {
  return h.sfn.describeMapRun(h.sfn.listMapRuns(arn).items[0]!.mapRunArn);
}

describe('tolerated failure threshold', () => {
  it('fails on any failure by default', async () => {
    const result = await harness().run(distributed(), items(10, 1));
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
  });

  it('succeeds when failures reach but do not exceed ToleratedFailureCount', async () => {
    const h = harness();
    const result = await h.run(distributed({ ToleratedFailureCount: 2 }), items(10, 2));
    expect(result.status).toBe('SUCCEEDED');
    expect(mapRunOf(h, result.arn)).toMatchObject({
      status: 'SUCCEEDED',
      toleratedFailureCount: 2,
      itemCounts: { failed: 2, succeeded: 8, total: 10 },
    });
  });

  it('fails when failures exceed ToleratedFailureCount', async () => {
    const result = await harness().run(distributed({ ToleratedFailureCount: 2 }), items(10, 3));
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('computes the percentage over all items: 2 of 10 is at 20% and succeeds', async () => {
    const result = await harness().run(distributed({ ToleratedFailurePercentage: 20 }), items(10, 2));
    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails when the percentage is exceeded: 3 of 10 is above 20%', async () => {
    const result = await harness().run(distributed({ ToleratedFailurePercentage: 20 }), items(10, 3));
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('fails when either threshold is exceeded with both set', async () => {
    const byCount = await harness().run(
      distributed({ ToleratedFailurePercentage: 50, ToleratedFailureCount: 1 }),
      items(10, 2),
    );
    expect(byCount.error).toBe('States.ExceedToleratedFailureThreshold');
    const byPercentage = await harness().run(
      distributed({ ToleratedFailurePercentage: 10, ToleratedFailureCount: 5 }),
      items(10, 2),
    );
    expect(byPercentage.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('tolerates every failure at 100 percent', async () => {
    const result = await harness().run(distributed({ ToleratedFailurePercentage: 100 }), items(4, 4));
    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output!) as Record<string, unknown>[];
    expect(output).toHaveLength(4);
    for (const entry of output)
      expect(entry).toMatchObject({ Status: 'FAILED', Error: 'Item.Failed', Cause: 'scripted' });
  });

  it('fails on the first failure at 0 percent', async () => {
    const result = await harness().run(distributed({ ToleratedFailurePercentage: 0 }), items(10, 1));
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('reads ToleratedFailureCountPath and ToleratedFailurePercentagePath from the state input', async () => {
    const input = { count: 2, pct: 30, items: items(10, 3) };
    const byCount = await harness().run(
      distributed({ ItemsPath: '$.items', ToleratedFailureCountPath: '$.count' }),
      input,
    );
    expect(byCount.error).toBe('States.ExceedToleratedFailureThreshold');
    const byPercentage = await harness().run(
      distributed({ ItemsPath: '$.items', ToleratedFailurePercentagePath: '$.pct' }),
      input,
    );
    expect(byPercentage.status).toBe('SUCCEEDED');
  });

  it('counts a failed batch as a failure of every item in it', async () => {
    const h = harness();
    // 10 items in batches of 5; one item fails its batch: 5 of 10 items failed = 50%.
    const processor = {
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Items[0].fail', BooleanEquals: true, Next: 'Bad' }],
        Default: 'Good',
      },
      Good: { Type: 'Pass', End: true },
      Bad: { Type: 'Fail', Error: 'Batch.Failed' },
    };
    const at = await h.run(
      distributed({ ItemBatcher: { MaxItemsPerBatch: 5 }, ToleratedFailurePercentage: 50 }, processor),
      items(10, 1),
    );
    expect(at.status).toBe('SUCCEEDED');
    expect(mapRunOf(h, at.arn)).toMatchObject({
      itemCounts: { failed: 5, succeeded: 5, total: 10 },
      executionCounts: { failed: 1, succeeded: 1, total: 2 },
    });
    const above = await harness().run(
      distributed({ ItemBatcher: { MaxItemsPerBatch: 5 }, ToleratedFailurePercentage: 49 }, processor),
      items(10, 1),
    );
    expect(above.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  it('leaves items never started PENDING and aborts children in flight when the Map Run fails', async () => {
    const task = scriptedIntegration((request) =>
      (request.parameters as { fail: boolean }).fail ? fail('Job.Failed') : hang(request),
    );
    const h = harness([task]);
    const result = await h.run(
      distributed(
        { MaxConcurrency: 3 },
        { Check: { Type: 'Task', Resource: 'arn:aws:states:::test:run.sync', End: true } },
      ),
      [{ fail: false }, { fail: false }, { fail: true }, { fail: false }, { fail: false }],
    );
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const run = mapRunOf(h, result.arn);
    expect(run.status).toBe('FAILED');
    expect(run.itemCounts).toMatchObject({ pending: 2, failed: 1, aborted: 2, running: 0, total: 5 });
    expect(task.calls.slice(0, 2).every((call) => call.signal.aborted)).toBe(true);
    const children = h.sfn.listExecutions({ mapRunArn: run.mapRunArn }).items;
    expect(children.map((child) => child.status).sort()).toEqual(['ABORTED', 'ABORTED', 'FAILED']);
  });
});

describe('output without ResultWriter', () => {
  // docs: step-functions/latest/dg/input-output-resultwriter.html, WriterConfig > Transformation:
  // "COMPACT - returns the output of the child workflow executions. Default when ResultWriter is
  // not specified." and "If a child workflow execution fails, Step Functions returns its execution
  // result unchanged. The results would be equivalent to having set Transformation to NONE."
  // NONE "returns the output of the child workflow executions unchanged, in addition to the
  // workflow metadata": the entry a result file holds.
  it('holds a tolerated failed child as its whole execution entry and a successful one as its output', async () => {
    const h = harness();
    const result = await h.run(distributed({ ItemsPath: '$.items', ToleratedFailureCount: 1 }), {
      items: [
        { id: 0, fail: false },
        { id: 1, fail: true },
        { id: 2, fail: false },
      ],
    });
    expect(result.status).toBe('SUCCEEDED');
    const [first, failed, last] = JSON.parse(result.output!) as Record<string, unknown>[];
    expect(first).toEqual({ id: 0, fail: false });
    expect(last).toEqual({ id: 2, fail: false });
    const [child] = h.sfn.listExecutions({
      mapRunArn: h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn,
      statusFilter: 'FAILED',
    }).items;
    expect(failed).toEqual({
      ExecutionArn: child!.executionArn,
      Input: '{"id":1,"fail":true}',
      InputDetails: { Included: true },
      Name: child!.name,
      RedriveCount: 0,
      RedriveStatus: 'REDRIVABLE_BY_MAP_RUN',
      StartDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      StateMachineArn: expect.stringMatching(/:stateMachine:machine-\d+\/Fan$/),
      Status: 'FAILED',
      StopDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      Error: 'Item.Failed',
      Cause: 'scripted',
    });
  });
});

describe('ItemReader', () => {
  const reader = (resource: string, readerConfig: object, parameters: object = { Bucket: 'in', Key: 'items' }) => ({
    ItemReader: { Resource: `arn:aws:states:::s3:${resource}`, ReaderConfig: readerConfig, Parameters: parameters },
  });
  const outputs = (output: string | undefined) => JSON.parse(output!) as Json[];

  it('reads a JSON array', async () => {
    const h = harness();
    await h.store.putObject('in', 'items', JSON.stringify([{ id: 1 }, { id: 2 }]));
    expect(outputs((await h.run(distributed(reader('getObject', { InputType: 'JSON' }), PASS))).output)).toEqual([
      { id: 1 },
      { id: 2 },
    ]);
  });

  it('reads JSON Lines, skipping blank lines, up to MaxItems', async () => {
    const h = harness();
    await h.store.putObject('in', 'items', '{"id":1}\n\n{"id":2}\n{"id":3}\n');
    const result = await h.run(distributed(reader('getObject', { InputType: 'JSONL', MaxItems: 2 }), PASS));
    expect(outputs(result.output)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('reads CSV with the header in the first row, values as strings, quoted fields included', async () => {
    const h = harness();
    await h.store.putObject('in', 'items', 'name,seed\n"a, b",1\nc,"say ""hi"""\n');
    const result = await h.run(
      distributed(reader('getObject', { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' }), PASS),
    );
    expect(outputs(result.output)).toEqual([
      { name: 'a, b', seed: '1' },
      { name: 'c', seed: 'say "hi"' },
    ]);
  });

  it('reads CSV with GIVEN headers and MaxItemsPath', async () => {
    const h = harness();
    await h.store.putObject('in', 'items', 'x,1\ny,2\nz,3\n');
    const result = await h.run(
      distributed(
        reader('getObject', {
          InputType: 'CSV',
          CSVHeaderLocation: 'GIVEN',
          CSVHeaders: ['k', 'v'],
          MaxItemsPath: '$.max',
        }),
        PASS,
      ),
      { max: 2 },
    );
    expect(outputs(result.output)).toEqual([
      { k: 'x', v: '1' },
      { k: 'y', v: '2' },
    ]);
  });

  it('lists objects with listObjectsV2 as {Etag, Key, LastModified, Size, StorageClass}', async () => {
    const h = harness();
    await h.store.putObject('in', 'p/a.json', '{}');
    await h.store.putObject('in', 'q/b.json', '{}');
    const result = await h.run(distributed(reader('listObjectsV2', {}, { Bucket: 'in', Prefix: 'p/' }), PASS));
    const [object] = outputs(result.output) as Record<string, Json>[];
    expect(outputs(result.output)).toHaveLength(1);
    expect(object).toEqual({
      Etag: '"99914b932bd37a50b983c5e7c90ae93b"',
      Key: 'p/a.json',
      LastModified: Math.floor(h.clock.now() / 1000),
      Size: 2,
      StorageClass: 'STANDARD',
    });
  });

  it('fails with States.ItemReaderFailed when the object is missing', async () => {
    const h = harness();
    h.store.createBucket('in');
    const result = await h.run(distributed(reader('getObject', { InputType: 'JSON' }), PASS));
    expect(result.error).toBe('States.ItemReaderFailed');
  });
});

describe('ItemBatcher and ItemSelector', () => {
  it('gives each child {BatchInput, Items} with ItemSelector applied to each item', async () => {
    const result = await harness().run(
      distributed(
        {
          ItemsPath: '$.list',
          ItemSelector: { 'n.$': '$$.Map.Item.Value', 'i.$': '$$.Map.Item.Index' },
          ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'run.$': '$.run' } },
        },
        { P: { Type: 'Pass', End: true } },
      ),
      { run: 'r1', list: ['a', 'b', 'c'] },
    );
    expect(JSON.parse(result.output!)).toEqual([
      {
        BatchInput: { run: 'r1' },
        Items: [
          { n: 'a', i: 0 },
          { n: 'b', i: 1 },
        ],
      },
      { BatchInput: { run: 'r1' }, Items: [{ n: 'c', i: 2 }] },
    ]);
  });

  it('starts a new batch before MaxInputBytesPerBatch would be exceeded', async () => {
    const result = await harness().run(
      distributed({ ItemBatcher: { MaxInputBytesPerBatch: 30 } }, { P: { Type: 'Pass', End: true } }),
      ['aaaaaaaa', 'bbbbbbbb', 'cccccccc'],
    );
    // {"Items":["aaaaaaaa","bbbbbbbb"]} is 33 bytes: each batch holds one item.
    expect(JSON.parse(result.output!)).toEqual([
      { Items: ['aaaaaaaa'] },
      { Items: ['bbbbbbbb'] },
      { Items: ['cccccccc'] },
    ]);
  });
});

describe('ResultWriter', () => {
  it('writes manifest.json and one file per status and outputs {MapRunArn, ResultWriterDetails}', async () => {
    const h = harness();
    const result = await h.run(
      distributed({
        ToleratedFailureCount: 1,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: 'runs' } },
      }),
      items(3, 1),
    );
    expect(result.status).toBe('SUCCEEDED');
    const mapRunArn = h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn;
    const uuid = mapRunArn.split(':').at(-1)!;
    const manifestKey = `runs/${uuid}/manifest.json`;
    expect(JSON.parse(result.output!)).toEqual({
      MapRunArn: mapRunArn,
      ResultWriterDetails: { Bucket: 'out', Key: manifestKey },
    });
    const manifest = JSON.parse(h.store.readText('out', manifestKey)!);
    expect(manifest).toEqual({
      DestinationBucket: 'out',
      MapRunArn: mapRunArn,
      ResultFiles: {
        FAILED: [{ Key: `runs/${uuid}/FAILED_0.json`, Size: expect.any(Number) }],
        PENDING: [],
        SUCCEEDED: [{ Key: `runs/${uuid}/SUCCEEDED_0.json`, Size: expect.any(Number) }],
      },
    });
    const succeeded = JSON.parse(h.store.readText('out', `runs/${uuid}/SUCCEEDED_0.json`)!);
    expect(succeeded).toHaveLength(2);
    expect(Object.keys(succeeded[0])).toEqual([
      'ExecutionArn',
      'Input',
      'InputDetails',
      'Name',
      'Output',
      'OutputDetails',
      'RedriveCount',
      'RedriveStatus',
      'RedriveStatusReason',
      'StartDate',
      'StateMachineArn',
      'Status',
      'StopDate',
    ]);
    expect(succeeded[0]).toMatchObject({
      Input: '{"id":1,"fail":false}',
      Output: '{"id":1,"fail":false}',
      Status: 'SUCCEEDED',
      StateMachineArn: expect.stringMatching(/:stateMachine:machine-\d+\/Fan$/),
    });
    const failed = JSON.parse(h.store.readText('out', `runs/${uuid}/FAILED_0.json`)!);
    expect(failed[0]).toMatchObject({
      Status: 'FAILED',
      Error: 'Item.Failed',
      Cause: 'scripted',
      Input: '{"id":0,"fail":true}',
    });
    expect(mapRunOf(h, result.arn).itemCounts.resultsWritten).toBe(3);
  });

  it('still writes results, including PENDING items, when the Map Run fails', async () => {
    const h = harness();
    const result = await h.run(
      distributed({
        MaxConcurrency: 1,
        ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: '' } },
      }),
      items(4, 1),
    );
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const uuid = h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn.split(':').at(-1)!;
    const pending = JSON.parse(h.store.readText('out', `${uuid}/PENDING_0.json`)!);
    expect(pending.map((entry: { Input: string }) => JSON.parse(entry.Input).id)).toEqual([1, 2, 3]);
  });
});

describe('child executions', () => {
  it('are real executions listed by ListExecutions(mapRunArn) with their own history', async () => {
    const h = harness();
    const result = await h.run(distributed({ Label: 'Jobs' }), items(3, 0));
    const { mapRunArn } = h.sfn.listMapRuns(result.arn).items[0]!;
    expect(mapRunArn).toMatch(/^arn:aws:states:us-east-1:123456789012:mapRun:machine-\d+\/Jobs:[0-9a-f-]{36}$/);
    const page1 = h.sfn.listExecutions({ mapRunArn, maxResults: 2 });
    const page2 = h.sfn.listExecutions({ mapRunArn, maxResults: 2, nextToken: page1.nextToken });
    const children = [...page1.items, ...page2.items];
    expect(children).toHaveLength(3);
    expect(page2.nextToken).toBeUndefined();
    const child = children[0]!;
    expect(child.executionArn).toMatch(
      /^arn:aws:states:us-east-1:123456789012:execution:machine-\d+\/Jobs:[0-9a-f-]{36}$/,
    );
    expect(h.sfn.describeExecution(child.executionArn)).toMatchObject({ status: 'SUCCEEDED', mapRunArn });
    expect(h.historyTypes(child.executionArn)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('keep full histories only for the last childHistoryLimit successes but for every failure', async () => {
    const h = harness([], { childHistoryLimit: 1 });
    const result = await h.run(distributed({ ToleratedFailurePercentage: 100 }), items(4, 2));
    const { mapRunArn } = h.sfn.listMapRuns(result.arn).items[0]!;
    const lengths = h.sfn
      .listExecutions({ mapRunArn })
      .items.map((child) => [child.status, h.historyTypes(child.executionArn).length]);
    // Newest first: two successes (the oldest keeps only start and end) and two failures (complete).
    expect(lengths).toEqual([
      ['SUCCEEDED', 6],
      ['SUCCEEDED', 2],
      ['FAILED', 5],
      ['FAILED', 5],
    ]);
  });

  it('records MapRunStarted and MapRunSucceeded in the parent history', async () => {
    const h = harness();
    const result = await h.run(distributed(), items(2, 0));
    expect(h.historyTypes(result.arn)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('bills 1 transition per child started plus each child state, in the parent total', async () => {
    const result = await harness().run(distributed(), items(5, 0));
    // Map state 1 + 5 child starts + 5 children x (Choice + Pass).
    expect(result.stateTransitions).toBe(1 + 5 + 5 * 2);
  });

  it('aborts the children when the parent is stopped', async () => {
    const task = scriptedIntegration(hang);
    const h = harness([task]);
    const arn = h.start(
      distributed({}, { Check: { Type: 'Task', Resource: 'arn:aws:states:::test:run.sync', End: true } }),
      items(3, 0),
    );
    await h.clock.advance(0);
    h.sfn.stopExecution(arn);
    await h.clock.advance(0);
    const run = mapRunOf(h, arn);
    expect(run.status).toBe('ABORTED');
    expect(run.executionCounts).toMatchObject({ aborted: 3, running: 0 });
    expect(task.calls.every((call) => call.signal.aborted)).toBe(true);
  });
});
