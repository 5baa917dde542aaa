import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createLocalStepFunctions, FakeClock, type MemoryObjectStore } from '../../../local/engine';
import type { ExecutionDescription, Json, JsonObject } from '../../../local/engine/types';
import { fail, harness, paddedItemsStore, scriptedIntegration } from './helpers';

// What a Distributed Map keeps per child (docs/local-engine.md, "What is retained"): finished
// children's records go to a log that spills to a temporary file, so neither the result files
// nor DescribeExecution, ListExecutions and GetExecutionHistory may depend on what stays in memory.
// Result file format: docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html

const RESULTS = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: 'runs' } };
const JSONL_READER = {
  Resource: 'arn:aws:states:::s3:getObject',
  ReaderConfig: { InputType: 'JSONL' },
  Parameters: { Bucket: 'in', Key: 'items.jsonl' },
};

function distributed(fields: object, states: Record<string, object>): object {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: Object.keys(states)[0],
          States: states,
        },
        ...fields,
        End: true,
      },
    },
  };
}

const CHECK_AND_ECHO = {
  Check: { Type: 'Choice', Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Bad' }], Default: 'Echo' },
  Echo: { Type: 'Pass', Parameters: { 'id.$': '$.id', 'text.$': '$.text', done: true }, End: true },
  Bad: { Type: 'Fail', Error: 'Item.Failed', Cause: 'item asked to fail' },
};

async function jsonLines(store: MemoryObjectStore, items: Json[]): Promise<void> {
  await store.putObject('in', 'items.jsonl', items.map((item) => JSON.stringify(item)).join('\n'));
}

function mapRunArnOf(h: ReturnType<typeof harness>, executionArn: string): string {
  return h.sfn.listMapRuns(executionArn).items[0]!.mapRunArn;
}

/** Every object under the Map Run's result prefix, by file name. */
function resultFiles(h: ReturnType<typeof harness>, mapRunArn: string): Record<string, string> {
  const uuid = mapRunArn.split(':').at(-1)!;
  const files: Record<string, string> = {};
  for (const key of h.store.listKeys('out')) files[key.slice(`runs/${uuid}/`.length)] = h.store.readText('out', key)!;
  return files;
}

describe('ResultWriter files with spilling', () => {
  // Children that finish in reverse order (child i waits n - i ms), some failing, so the log's
  // order differs from the child order the files use.
  const reverseJob = scriptedIntegration(async (request) => {
    const { id, fail: shouldFail, count } = request.parameters as { id: number; fail: boolean; count: number };
    await request.clock.sleep((count - id) * 10, request.signal);
    if (shouldFail) fail('Job.Failed', `job ${id} exited with 3 (ünïcödé "quoted")`);
    return { id, summary: `job-${id} SUCCEEDED`, exitCode: 0 };
  });
  const definition = distributed(
    {
      ToleratedFailurePercentage: 100,
      ItemSelector: { 'id.$': '$$.Map.Item.Value.id', 'fail.$': '$$.Map.Item.Value.fail', count: 40 },
      ResultWriter: RESULTS,
    },
    { Job: { Type: 'Task', Resource: 'arn:aws:states:::test:run.sync', End: true } },
  );
  const items = Array.from({ length: 40 }, (_, id) => ({ id, fail: id % 7 === 3 }));

  async function runWith(spillMemoryBytes: number) {
    const h = harness([reverseJob], { spillMemoryBytes });
    const result = await h.run(definition, items);
    expect(result.status).toBe('SUCCEEDED');
    const mapRunArn = mapRunArnOf(h, result.arn);
    return { h, mapRunArn, files: resultFiles(h, mapRunArn) };
  }

  it('writes byte-identical files whether every record spilled to disk or none did', async () => {
    const onDisk = await runWith(0);
    const inMemory = await runWith(Number.POSITIVE_INFINITY);
    expect(Object.keys(onDisk.files).sort()).toEqual(['FAILED_0.json', 'SUCCEEDED_0.json', 'manifest.json']);
    // Map Run ids are the same in both services (deterministic newUuid); only the state machine names differ.
    const sameMachine = (files: Record<string, string>) =>
      JSON.parse(JSON.stringify(files).replace(/machine-\d+/g, 'machine'));
    expect(sameMachine(onDisk.files)).toEqual(sameMachine(inMemory.files));
    expect(onDisk.files['SUCCEEDED_0.json']!.length).toBeGreaterThan(20_000);
  });

  it('writes each entry as Step Functions does, in child order, whatever the finishing order', async () => {
    const { h, mapRunArn, files } = await runWith(0);
    // Rebuild the expected files from the API view of each child, with JSON.stringify and AWS's member order.
    const children: ExecutionDescription[] = [];
    for (let page = h.sfn.listExecutions({ mapRunArn, maxResults: 1000 }); ; ) {
      children.push(...page.items);
      if (!page.nextToken) break;
      page = h.sfn.listExecutions({ mapRunArn, maxResults: 1000, nextToken: page.nextToken });
    }
    children.reverse();
    const entry = (child: ExecutionDescription): JsonObject => {
      const succeeded = child.status === 'SUCCEEDED';
      return {
        ExecutionArn: child.executionArn,
        Input: child.input,
        InputDetails: { Included: true },
        Name: child.name,
        ...(succeeded ? { Output: child.output!, OutputDetails: { Included: true } } : {}),
        RedriveCount: 0,
        RedriveStatus: succeeded ? 'NOT_REDRIVABLE' : 'REDRIVABLE_BY_MAP_RUN',
        ...(succeeded ? { RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven' } : {}),
        StartDate: new Date(child.startDate).toISOString(),
        StateMachineArn: child.stateMachineArn,
        Status: child.status,
        StopDate: new Date(child.stopDate!).toISOString(),
        ...(succeeded ? {} : { Error: child.error!, Cause: child.cause! }),
      };
    };
    expect(files['SUCCEEDED_0.json']).toBe(JSON.stringify(children.filter((c) => c.status === 'SUCCEEDED').map(entry)));
    expect(files['FAILED_0.json']).toBe(JSON.stringify(children.filter((c) => c.status !== 'SUCCEEDED').map(entry)));
    const failed = JSON.parse(files['FAILED_0.json']!) as JsonObject[];
    expect(failed.map((e) => JSON.parse(e.Input as string).id)).toEqual([3, 10, 17, 24, 31, 38]);
    expect(failed[0]).toMatchObject({ Error: 'Job.Failed', Cause: 'job 3 exited with 3 (ünïcödé "quoted")' });
    const manifest = JSON.parse(files['manifest.json']!);
    expect(manifest.ResultFiles.SUCCEEDED[0].Size).toBe(Buffer.byteLength(files['SUCCEEDED_0.json']!));
    expect(manifest.ResultFiles.FAILED[0].Size).toBe(Buffer.byteLength(files['FAILED_0.json']!));
  });

  it('writes PENDING entries for every item never started, the one pulled for an unfinished batch included', async () => {
    const h = harness([], { spillMemoryBytes: 0 });
    // Batches of at most 40 bytes: {"Items":[{"n":0},{"n":1}]} then a failing batch stops the run.
    const batchStates = {
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.Items[0].n', NumericEquals: 2, Next: 'Bad' }],
        Default: 'Good',
      },
      Good: { Type: 'Pass', End: true },
      Bad: { Type: 'Fail', Error: 'Batch.Failed' },
    };
    const result = await h.run(
      distributed(
        { MaxConcurrency: 1, ItemBatcher: { MaxInputBytesPerBatch: 30 }, ResultWriter: RESULTS },
        batchStates,
      ),
      Array.from({ length: 6 }, (_, n) => ({ n })),
    );
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const files = resultFiles(h, mapRunArnOf(h, result.arn));
    const pending = JSON.parse(files['PENDING_0.json']!) as { Input: string; Status: string }[];
    expect(pending.map((entry) => JSON.parse(entry.Input))).toEqual([{ n: 4 }, { n: 5 }]);
    expect(pending.every((entry) => entry.Status === 'PENDING')).toBe(true);
  });
});

describe('child executions after thousands have finished', () => {
  const CHILDREN = 2500;
  const items = Array.from({ length: CHILDREN }, (_, id) => ({
    id,
    text: `item ${id} ${'·'.repeat(id % 13)}`,
    fail: id % 100 === 0,
  }));

  // One run shared by the tests below, which only read from it. A 4 KiB budget and 10 kept
  // histories: early children live only in the spill file.
  let shared: Promise<{ h: ReturnType<typeof harness>; mapRunArn: string }> | undefined;
  function bigRun() {
    shared ??= (async () => {
      const h = harness([], { spillMemoryBytes: 4096, childHistoryLimit: 10, failedChildHistoryLimit: 5 });
      await jsonLines(h.store, items);
      const result = await h.run(
        distributed({ ItemReader: JSONL_READER, ToleratedFailurePercentage: 5 }, CHECK_AND_ECHO),
      );
      expect(result.status).toBe('SUCCEEDED');
      return { h, mapRunArn: mapRunArnOf(h, result.arn) };
    })();
    return shared;
  }

  it('describes an early child with its input and output read back from the spill file', async () => {
    const { h, mapRunArn } = await bigRun();
    const prefix = h.sfn.listExecutions({ mapRunArn, maxResults: 1 }).items[0]!.executionArn.slice(0, -12);
    const early = h.sfn.describeExecution(`${prefix}000000000001`);
    expect(early).toMatchObject({
      status: 'SUCCEEDED',
      mapRunArn,
      name: expect.stringMatching(/000000000001$/),
      input: JSON.stringify(items[1]),
      output: JSON.stringify({ id: 1, text: items[1]!.text, done: true }),
      stateTransitions: 2,
    });
    expect(early.error).toBeUndefined();
    const failed = h.sfn.describeExecution(`${prefix}000000000000`);
    expect(failed).toMatchObject({
      status: 'FAILED',
      error: 'Item.Failed',
      cause: 'item asked to fail',
      input: JSON.stringify(items[0]),
    });
    expect(failed.output).toBeUndefined();
  });

  it('rebuilds the start and end events of an early child whose full history was dropped', async () => {
    const { h, mapRunArn } = await bigRun();
    const prefix = h.sfn.listExecutions({ mapRunArn, maxResults: 1 }).items[0]!.executionArn.slice(0, -12);
    const succeeded = h.sfn.getExecutionHistory(`${prefix}000000000001`).items;
    expect(succeeded.map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionSucceeded']);
    expect(succeeded[0]!.details).toEqual({
      executionStartedEventDetails: {
        input: JSON.stringify(items[1]),
        inputDetails: { truncated: false },
        roleArn: 'arn:aws:iam::123456789012:role/test',
      },
    });
    expect(succeeded[1]!.details).toEqual({
      executionSucceededEventDetails: {
        output: JSON.stringify({ id: 1, text: items[1]!.text, done: true }),
        outputDetails: { truncated: false },
      },
    });
    const failed = h.sfn.getExecutionHistory(`${prefix}000000000000`).items;
    expect(failed.map((event) => event.type)).toEqual(['ExecutionStarted', 'ExecutionFailed']);
    expect(failed[1]!.details).toEqual({
      executionFailedEventDetails: { error: 'Item.Failed', cause: 'item asked to fail' },
    });
    // The most recent failure (child 2400) keeps its full history.
    expect(h.historyTypes(`${prefix}${(2400).toString(16).padStart(12, '0')}`)).toEqual([
      'ExecutionStarted',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
  });

  it('pages ListExecutions(mapRunArn) over every child, newest first, each once', async () => {
    const { h, mapRunArn } = await bigRun();
    const names: string[] = [];
    let pages = 0;
    let token: string | undefined;
    do {
      const page = h.sfn.listExecutions({ mapRunArn, maxResults: 1000, ...(token ? { nextToken: token } : {}) });
      names.push(...page.items.map((child) => child.name));
      token = page.nextToken;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(names).toHaveLength(CHILDREN);
    expect(new Set(names).size).toBe(CHILDREN);
    expect(names.map((name) => Number.parseInt(name.slice(-12), 16))).toEqual(
      Array.from({ length: CHILDREN }, (_, i) => CHILDREN - 1 - i),
    );
  });

  it('pages a status filter across the whole Map Run', async () => {
    const { h, mapRunArn } = await bigRun();
    const first = h.sfn.listExecutions({ mapRunArn, statusFilter: 'FAILED', maxResults: 20 });
    expect(first.items).toHaveLength(20);
    const second = h.sfn.listExecutions({
      mapRunArn,
      statusFilter: 'FAILED',
      maxResults: 20,
      nextToken: first.nextToken,
    });
    expect(second.items).toHaveLength(5);
    // The last failure is child 0: nothing is left to list, so there is no token.
    expect(second.nextToken).toBeUndefined();
    const failedIds = [...first.items, ...second.items].map((child) => JSON.parse(child.input).id);
    expect(failedIds).toEqual(Array.from({ length: 25 }, (_, i) => 2400 - i * 100));
  });

  it('refuses a token from another listing', async () => {
    const { h, mapRunArn } = await bigRun();
    const token = h.sfn.listExecutions({ mapRunArn, maxResults: 10 }).nextToken!;
    expect(() =>
      h.sfn.listExecutions({
        mapRunArn,
        statusFilter: 'FAILED',
        maxResults: 10,
        nextToken: token.split('').reverse().join(''),
      }),
    ).toThrow(/Invalid Token/);
  });
});

describe('spill failures', () => {
  it('fails the Map Run with States.Runtime when the spill file cannot be created', async () => {
    const h = harness([], { spillMemoryBytes: 0, spillDirectory: '/nonexistent/fanout-spill-test' });
    const result = await h.run(
      distributed({ ItemsPath: '$.items', ResultWriter: RESULTS }, { P: { Type: 'Pass', End: true } }),
      { items: [1, 2, 3] },
    );
    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'States.Runtime',
      cause: expect.stringContaining('could not record its children in its spill file: ENOENT'),
    });
    expect(h.sfn.describeMapRun(mapRunArnOf(h, result.arn)).status).toBe('FAILED');
  });
});

describe('Map result without ResultWriter', () => {
  it('fails with States.DataLimitExceeded as soon as the outputs pass 256 KiB, without starting the remaining children', async () => {
    // docs: step-functions/latest/dg/service-quotas.html (256 KiB payload), concepts-error-handling.html (States.DataLimitExceeded).
    const h = harness();
    const items = Array.from({ length: 2000 }, (_, id) => ({ id, pad: 'x'.repeat(1000) }));
    await jsonLines(h.store, items);
    // The child whose output takes `[o1,o2,...]` past 262,144 bytes is the last one to start.
    let bytes = 1;
    let crossing = 0;
    while (bytes <= 262_144) bytes += JSON.stringify(items[crossing++]).length + 1;
    const result = await h.run(
      distributed({ ItemReader: JSONL_READER, MaxConcurrency: 1 }, { P: { Type: 'Pass', End: true } }),
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    const run = h.sfn.describeMapRun(mapRunArnOf(h, result.arn));
    expect(run.status).toBe('FAILED');
    expect(crossing).toBeLessThan(300);
    expect(run.itemCounts).toMatchObject({ succeeded: crossing, pending: 2000 - crossing, total: 2000 });
  });

  it('returns every output (and the execution entry of tolerated failures) in item order when they fit', async () => {
    const h = harness();
    const items = Array.from({ length: 300 }, (_, id) => ({ id, text: `t${id}`, fail: id % 50 === 0 }));
    const result = await h.run(distributed({ ItemsPath: '$.items', ToleratedFailurePercentage: 10 }, CHECK_AND_ECHO), {
      items,
    });
    expect(result.status).toBe('SUCCEEDED');
    const failure = (item: (typeof items)[number]) =>
      expect.objectContaining({
        Input: JSON.stringify(item),
        Status: 'FAILED',
        Error: 'Item.Failed',
        Cause: 'item asked to fail',
      });
    expect(JSON.parse(result.output!)).toEqual(
      items.map((item) => (item.fail ? failure(item) : { id: item.id, text: item.text, done: true })),
    );
  });
});

describe('memory held by a Map Run', () => {
  /** Forces a full garbage collection (vitest does not start Node.js with --expose-gc). */
  function collectGarbage(): void {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
  }

  it('does not keep children inputs and outputs in memory after the Map Run (they are in the spill file)', async () => {
    // 4,000 children, each with a distinct ~4 KiB input echoed as its output: about 16 MB of
    // strings if the Map Run kept what its children received and returned.
    const CHILDREN = 4000;
    const clock = new FakeClock();
    // The result files (~35 MB here) are counted, not kept.
    const { store, resultBytes } = await paddedItemsStore(clock, CHILDREN);
    const sfn = createLocalStepFunctions({
      integrations: [],
      objectStore: store,
      clock,
      spillMemoryBytes: 64 * 1024,
      childHistoryLimit: 10,
      failedChildHistoryLimit: 10,
    });
    const { stateMachineArn } = sfn.createStateMachine({
      name: 'retention',
      definition: JSON.stringify(
        distributed({ ItemReader: JSONL_READER, ResultWriter: RESULTS }, { Echo: { Type: 'Pass', End: true } }),
      ),
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });

    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const { executionArn } = sfn.startExecution({ stateMachineArn, input: '{}' });
    const done = sfn.waitForExecution(executionArn);
    await clock.runAll();
    expect((await done).status).toBe('SUCCEEDED');
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;

    expect(resultBytes()).toBeGreaterThan(CHILDREN * 8000);
    // Kept: a few numbers per child, 10 histories, a 64 KiB buffer. Keeping the payloads would be > 16 MB.
    expect(retained).toBeLessThan(4 * 1024 * 1024);
    // Still readable: the first child's input, from disk.
    const mapRunArn = sfn.listMapRuns(executionArn).items[0]!.mapRunArn;
    const firstChild =
      sfn.listExecutions({ mapRunArn, maxResults: 1 }).items[0]!.executionArn.slice(0, -12) + '0'.repeat(12);
    expect(JSON.parse(sfn.describeExecution(firstChild).input)).toEqual({ id: 0, pad: '0:'.padEnd(4000, 'a') });
  });
});
