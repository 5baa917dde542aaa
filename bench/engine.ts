/**
 * Local Step Functions engine: throughput and memory.
 *
 *   npx tsx bench/engine.ts                        # every scenario, each in a process of its own
 *   npx tsx bench/engine.ts --scenario throughput  # 10,000 Pass children, 10,000-item inline Map, ItemSelector JSONata/JSONPath
 *   npx tsx bench/engine.ts --scenario pass100k    # 100,000 Pass children, peak RSS
 *   npx tsx bench/engine.ts --scenario jobs100k    # 100,000 job-like children (~300-byte kwargs in, ~200-byte summary out)
 *   npx tsx bench/engine.ts --scenario jobs100k --items 400000   # the same with another item count
 *   npx tsx bench/engine.ts --scenario failing100k # the same children, 9 in 10 failing, then a redrive
 *
 * Prints one JSON object. The 100,000-item scenarios start in a fresh process so their peak RSS
 * is theirs alone. Result files go to a store that counts their bytes and keeps none (the local
 * S3 endpoint writes them to disk), so the peak is the engine's own memory.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createLocalStepFunctions, MemoryObjectStore, type ObjectStore } from '../local/engine';
import type { Json, StepFunctionsService, TaskIntegration } from '../local/engine/types';

const ROLE = 'arn:aws:iam::123456789012:role/bench';

const passChild = {
  StartAt: 'Work',
  States: { Work: { Type: 'Pass', Parameters: { 'id.$': '$.id', done: true }, End: true } },
};

/** A child shaped like fanout's: one asynchronous job task whose summary is the child's output. */
const jobChild = {
  StartAt: 'SubmitJob',
  States: {
    SubmitJob: {
      Type: 'Task',
      Resource: 'arn:aws:states:::job:run.sync',
      Parameters: { 'JobName.$': '$.jobName', 'Kwargs.$': '$.kwargs' },
      ResultSelector: {
        'itemId.$': '$.JobName',
        'jobId.$': '$.JobId',
        'status.$': '$.Status',
        'exitCode.$': '$.ExitCode',
        'startedAt.$': '$.StartedAt',
        'stoppedAt.$': '$.StoppedAt',
        'logStreamName.$': '$.LogStreamName',
      },
      End: true,
    },
  },
};

/** Answers every job on the next microtask with a job detail of a finished job. */
const fakeJobs: TaskIntegration = {
  service: 'job',
  actions: ['run.sync'],
  async invoke(request) {
    const { JobName } = request.parameters as { JobName: string };
    const jobId = `${JobName.padStart(8, '0')}-5c1e-4f0a-9d7b-3a2f6c8e1b04`;
    return {
      JobName,
      JobId: jobId,
      Status: 'SUCCEEDED',
      ExitCode: 0,
      StartedAt: 1_700_000_000_000,
      StoppedAt: 1_700_000_004_321,
      LogStreamName: `fanout-job/default/${jobId}`,
    };
  },
};

function distributedMap(processor: object, itemSelector?: object, fields: object = {}): object {
  return {
    StartAt: 'FanOut',
    States: {
      FanOut: {
        Type: 'Map',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSONL' },
          Parameters: { Bucket: 'bench', Key: 'items.jsonl' },
        },
        ...(itemSelector ? { ItemSelector: itemSelector } : {}),
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...processor },
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Parameters: { Bucket: 'results', Prefix: 'results' },
        },
        ...fields,
        End: true,
      },
    },
  };
}

/** Items from memory; ResultWriter files counted, then dropped. */
class CountingStore implements ObjectStore {
  readonly items = new MemoryObjectStore();
  resultBytes = 0;

  getObject(bucket: string, key: string): Promise<Buffer> {
    return this.items.getObject(bucket, key);
  }

  listObjectsV2(bucket: string, prefix: string, token?: string): ReturnType<ObjectStore['listObjectsV2']> {
    return this.items.listObjectsV2(bucket, prefix, token);
  }

  async putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
    if (bucket !== 'results') return this.items.putObject(bucket, key, body);
    this.resultBytes += typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  }

  async putObjectStream(
    _bucket: string,
    _key: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<void> {
    for await (const chunk of chunks) this.resultBytes += chunk.length;
  }
}

async function runOnce(
  sfn: StepFunctionsService,
  name: string,
  definition: object,
  input: Json = {},
  expected = 'SUCCEEDED',
): Promise<number> {
  const { stateMachineArn } = sfn.createStateMachine({ name, definition: JSON.stringify(definition), roleArn: ROLE });
  const started = performance.now();
  const { executionArn } = sfn.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const result = await sfn.waitForExecution(executionArn);
  if (result.status !== expected) throw new Error(`${name} ended ${result.status}: ${result.error} ${result.cause}`);
  return performance.now() - started;
}

async function passItems(store: ObjectStore, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ id: i, kwargs: { seed: i, name: `item-${i}` } }));
  await store.putObject('bench', 'items.jsonl', lines.join('\n'));
}

/** Manifest lines as fanout's Prepare writes them, with about 300 bytes of kwargs each. */
async function jobItems(store: ObjectStore, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(i).padStart(6, '0');
    const kwargs = {
      seed: i,
      replica: i % 1000,
      input: `s3://fanout-data/sweeps/2024-06/inputs/part-${id}.parquet`,
      output: `s3://fanout-data/sweeps/2024-06/outputs/part-${id}/`,
      learningRate: 0.001 * ((i % 7) + 1),
      batchSize: 64 << (i % 3),
      model: 'resnet50-finetune',
      tags: ['sweep', `shard-${i % 16}`, 'nightly'],
      notes: 'parameter sweep over learning rate and batch size',
    };
    lines.push(JSON.stringify({ itemId: id, jobName: id, kwargs }));
  }
  await store.putObject('bench', 'items.jsonl', lines.join('\n'));
}

/** Runs `body`, sampling RSS every 20 ms; returns its duration and the peak RSS above the process before it. */
async function measureMemory(
  body: () => Promise<number>,
): Promise<{ ms: number; peakRssMb: number; rssBeforeMb: number; heapAfterMb: number }> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const ms = await body();
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  global.gc?.();
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return { ms, peakRssMb: mb(peak), rssBeforeMb: mb(baseline), heapAfterMb: mb(process.memoryUsage().heapUsed) };
}

const SCENARIOS: Record<string, (items: number) => Promise<Record<string, number | string>>> = {
  /** Distributed Map children per second (10,000 Pass children), inline Map items per second (10,000 items). */
  async throughput() {
    const store = new CountingStore();
    // The inline Map of 10,000 items writes ~40,000 history events, above AWS's 25,000 quota.
    const sfn = createLocalStepFunctions({
      integrations: [],
      objectStore: store,
      maxHistoryEvents: Number.POSITIVE_INFINITY,
    });
    await passItems(store, 1_000);
    await runOnce(sfn, 'warmup', distributedMap(passChild));
    await passItems(store, 10_000);
    const distributedMs = await runOnce(sfn, 'distributed-10k', distributedMap(passChild));
    // The items travel in the execution input (about 130 KiB, within the 256 KiB quota).
    const inlineItems = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
    const inlineMap = {
      StartAt: 'Loop',
      States: { Loop: { Type: 'Map', ItemProcessor: passChild, ResultPath: null, End: true } },
    };
    const inlineMs = await runOnce(sfn, 'inline-10k', inlineMap, inlineItems);
    // The same ItemSelector in each query language: a JSONata one is evaluated asynchronously.
    const jsonPathSelector = { 'id.$': '$$.Map.Item.Value.id', 'index.$': '$$.Map.Item.Index' };
    const jsonPathMs = await runOnce(sfn, 'select-jsonpath-10k', distributedMap(passChild, jsonPathSelector));
    const jsonataSelector = {
      id: '{% $states.context.Map.Item.Value.id %}',
      index: '{% $states.context.Map.Item.Index %}',
    };
    const jsonataMap = distributedMap(passChild, jsonataSelector) as { States: { FanOut: Record<string, unknown> } };
    const fan = jsonataMap.States.FanOut;
    fan.QueryLanguage = 'JSONata';
    (fan.ItemReader as Record<string, unknown>).Arguments = (fan.ItemReader as { Parameters: Json }).Parameters;
    delete (fan.ItemReader as Record<string, unknown>).Parameters;
    (fan.ResultWriter as Record<string, unknown>).Arguments = (fan.ResultWriter as { Parameters: Json }).Parameters;
    delete (fan.ResultWriter as Record<string, unknown>).Parameters;
    const jsonataMs = await runOnce(sfn, 'select-jsonata-10k', jsonataMap);
    return {
      distributedMapChildrenPerSecond: Math.round(10_000 / (distributedMs / 1000)),
      distributedMap10kMs: Math.round(distributedMs),
      inlineMapItemsPerSecond: Math.round(10_000 / (inlineMs / 1000)),
      jsonataItemSelectorTimeRatio: Math.round((jsonataMs / jsonPathMs) * 100) / 100,
    };
  },

  /** 100,000 Pass children, JSONL ItemReader, ResultWriter. */
  async pass100k(items) {
    const store = new CountingStore();
    const sfn = createLocalStepFunctions({ integrations: [], objectStore: store });
    await passItems(store, items);
    const memory = await measureMemory(() => runOnce(sfn, 'distributed-100k', distributedMap(passChild)));
    return {
      distributedMap100kMs: Math.round(memory.ms),
      distributedMap100kChildrenPerSecond: Math.round(items / (memory.ms / 1000)),
      distributedMap100kPeakRssMb: memory.peakRssMb,
      rssBeforeMb: memory.rssBeforeMb,
      distributedMap100kHeapAfterMb: memory.heapAfterMb,
      distributedMap100kResultMb: Math.round(store.resultBytes / 1024 / 1024),
    };
  },

  /** 100,000 job-like children: ~300-byte kwargs in, an asynchronous task, a ~200-byte job summary out. */
  async jobs100k(items) {
    const store = new CountingStore();
    const sfn = createLocalStepFunctions({ integrations: [fakeJobs], objectStore: store });
    await jobItems(store, items);
    const memory = await measureMemory(() => runOnce(sfn, 'jobs-100k', distributedMap(jobChild, JOB_SELECTOR)));
    return {
      jobs100kMs: Math.round(memory.ms),
      jobs100kChildrenPerSecond: Math.round(items / (memory.ms / 1000)),
      jobs100kPeakRssMb: memory.peakRssMb,
      jobs100kRssBeforeMb: memory.rssBeforeMb,
      jobs100kHeapAfterMb: memory.heapAfterMb,
      jobs100kResultMb: Math.round(store.resultBytes / 1024 / 1024),
    };
  },

  failing100k: failingThenRedriven,
};

/** The job-like children's ItemSelector: fanout's per-run fields and the item's kwargs. */
const JOB_SELECTOR = {
  runId: 'sweep-2024-06',
  round: 1,
  jobQueue: 'fanout-high',
  jobDefinition: 'fanout-job:3',
  'itemId.$': '$$.Map.Item.Value.itemId',
  'jobName.$': '$$.Map.Item.Value.jobName',
  'kwargs.$': '$$.Map.Item.Value.kwargs',
};

/**
 * 100,000 job-like children of which 9 in 10 fail: the Map Run fails near its end (89 % tolerated),
 * holding some 90,000 unsuccessful children, all redrivable. Then the jobs succeed and the parent
 * is redriven: every unsuccessful child reruns from its failed task.
 */
async function failingThenRedriven(items: number): Promise<Record<string, number | string>> {
  const store = new CountingStore();
  let failing = true;
  const jobs: TaskIntegration = {
    ...fakeJobs,
    async invoke(request) {
      const { JobName } = request.parameters as { JobName: string };
      if (failing && Number(JobName) % 10 !== 0) throw { error: 'Job.Failed', cause: `job ${JobName} exited with 1` };
      return fakeJobs.invoke(request);
    },
  };
  const sfn = createLocalStepFunctions({ integrations: [jobs], objectStore: store });
  await jobItems(store, items);
  const definition = distributedMap(jobChild, JOB_SELECTOR, { ToleratedFailurePercentage: 89 });
  const memory = await measureMemory(() => runOnce(sfn, 'failing-100k', definition, {}, 'FAILED'));
  const [execution] = sfn.listExecutions({ stateMachineArn: sfn.listStateMachines().items[0]!.stateMachineArn }).items;
  const mapRunArn = sfn.listMapRuns(execution!.executionArn).items[0]!.mapRunArn;
  const failedChildren = sfn.describeMapRun(mapRunArn).executionCounts.failed;
  failing = false;
  const started = performance.now();
  sfn.redriveExecution({ executionArn: execution!.executionArn });
  const redriven = await sfn.waitForExecution(execution!.executionArn);
  if (redriven.status !== 'SUCCEEDED') throw new Error(`the redrive ended ${redriven.status}: ${redriven.cause}`);
  const redriveMs = performance.now() - started;
  global.gc?.();
  return {
    failing100kMs: Math.round(memory.ms),
    failing100kFailedChildren: failedChildren,
    failing100kPeakRssMb: memory.peakRssMb,
    failing100kRssBeforeMb: memory.rssBeforeMb,
    failing100kHeapAfterMb: memory.heapAfterMb,
    failing100kRedriveMs: Math.round(redriveMs),
    failing100kHeapAfterRedriveMb: Math.round(process.memoryUsage().heapUsed / 1024 / 1024),
  };
}

const run = promisify(execFile);

/** Runs one scenario in a fresh Node.js process (with `--expose-gc`) and returns its JSON. */
async function inProcessOfItsOwn(scenario: string): Promise<Record<string, number | string>> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', import.meta.filename, '--scenario', scenario],
    {
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    },
  );
  return JSON.parse(stdout.slice(stdout.indexOf('{'))) as Record<string, number | string>;
}

/**
 * Measures the local engine: Distributed Map children per second (10,000 Pass children),
 * inline Map items per second (10,000 items), and duration and peak RSS of two 100,000-item
 * Distributed Maps (Pass children; job-like children), each scenario in a process of its own.
 */
export async function benchEngine(): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  for (const scenario of ['pass100k', 'jobs100k', 'failing100k', 'throughput'])
    Object.assign(results, await inProcessOfItsOwn(scenario));
  results.note =
    'JSONL ItemReader, ResultWriter to a store that counts bytes; childHistoryLimit 1000, spillMemoryBytes 1 MiB; each scenario in a fresh process';
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { scenario: { type: 'string' }, items: { type: 'string', default: '100000' } },
  });
  const scenario = values.scenario;
  const work =
    scenario === undefined
      ? benchEngine()
      : (SCENARIOS[scenario]?.(Number(values.items)) ??
        Promise.reject(
          new Error(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')} (received ${scenario})`),
        ));
  work.then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
