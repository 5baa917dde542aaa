import { pathToFileURL } from 'node:url';
import { createLocalStepFunctions, MemoryObjectStore } from '../local/engine';
import type { Json, StepFunctionsService } from '../local/engine/types';

const ROLE = 'arn:aws:iam::123456789012:role/bench';

const passChild = { StartAt: 'Work', States: { Work: { Type: 'Pass', Parameters: { 'id.$': '$.id', done: true }, End: true } } };

function distributedMap(resultWriter: boolean): object {
  return {
    StartAt: 'FanOut',
    States: {
      FanOut: {
        Type: 'Map',
        ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSONL' }, Parameters: { Bucket: 'bench', Key: 'items.jsonl' } },
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...passChild },
        ...(resultWriter ? { ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'bench', Prefix: 'results' } } } : {}),
        End: true,
      },
    },
  };
}

async function runOnce(sfn: StepFunctionsService, name: string, definition: object, input: Json): Promise<{ ms: number; status: string }> {
  const { stateMachineArn } = sfn.createStateMachine({ name, definition: JSON.stringify(definition), roleArn: ROLE });
  const started = performance.now();
  const { executionArn } = sfn.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const result = await sfn.waitForExecution(executionArn);
  if (result.status !== 'SUCCEEDED') throw new Error(`${name} ended ${result.status}: ${result.error} ${result.cause}`);
  return { ms: performance.now() - started, status: result.status };
}

async function itemsObject(store: MemoryObjectStore, count: number): Promise<void> {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify({ id: i, kwargs: { seed: i, name: `item-${i}` } }));
  await store.putObject('bench', 'items.jsonl', lines.join('\n'));
}

/**
 * Measures the local engine: Distributed Map children per second (10,000 Pass children),
 * inline Map items per second (10,000 items) and peak RSS for a 100,000-item Distributed Map.
 */
export async function benchEngine(): Promise<Record<string, number | string>> {
  const store = new MemoryObjectStore();
  // The inline Map of 10,000 items writes ~40,000 history events, above AWS's 25,000 quota.
  const sfn = createLocalStepFunctions({ integrations: [], objectStore: store, maxHistoryEvents: Number.POSITIVE_INFINITY });

  await itemsObject(store, 1_000);
  await runOnce(sfn, 'warmup', distributedMap(true), {});

  await itemsObject(store, 10_000);
  const distributed = await runOnce(sfn, 'distributed-10k', distributedMap(true), {});

  // The items travel in the execution input (about 130 KiB, within the 256 KiB quota).
  const inlineItems = Array.from({ length: 10_000 }, (_, i) => ({ id: i }));
  const inlineMap = { StartAt: 'Loop', States: { Loop: { Type: 'Map', ItemProcessor: passChild, ResultPath: null, End: true } } };
  const inlineRun = await runOnce(sfn, 'inline-10k', inlineMap, inlineItems);

  // A fresh service and store, so the earlier runs' records do not count towards the peak.
  const largeStore = new MemoryObjectStore();
  const largeSfn = createLocalStepFunctions({ integrations: [], objectStore: largeStore });
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  await itemsObject(largeStore, 100_000);
  const large = await runOnce(largeSfn, 'distributed-100k', distributedMap(true), {});
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);

  return {
    distributedMapChildrenPerSecond: Math.round(10_000 / (distributed.ms / 1000)),
    distributedMap10kMs: Math.round(distributed.ms),
    inlineMapItemsPerSecond: Math.round(10_000 / (inlineRun.ms / 1000)),
    distributedMap100kMs: Math.round(large.ms),
    distributedMap100kChildrenPerSecond: Math.round(100_000 / (large.ms / 1000)),
    distributedMap100kPeakRssMb: Math.round(peak / 1024 / 1024),
    rssBeforeMb: Math.round(baseline / 1024 / 1024),
    note: 'Pass children, JSONL ItemReader, ResultWriter to an in-memory store; childHistoryLimit 1000',
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  benchEngine().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
