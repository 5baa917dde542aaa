import {
  createLocalStepFunctions,
  FakeClock,
  type LocalStepFunctionsOptions,
  MemoryObjectStore,
} from '../../../local/engine';
import { ServiceError, StatesError } from '../../../local/engine/errors';
import type {
  ExecutionDescription,
  Json,
  StepFunctionsService,
  TaskIntegration,
  TaskRequest,
} from '../../../local/engine/types';

/** A test-only integration whose behaviour each test scripts; it records every request. */
export function scriptedIntegration(
  handler: (request: TaskRequest, call: number) => Json | Promise<Json>,
  service = 'test',
  actions: readonly string[] = ['run', 'run.sync'],
): TaskIntegration & { calls: TaskRequest[]; callTimes: number[] } {
  const calls: TaskRequest[] = [];
  const callTimes: number[] = [];
  return {
    service,
    actions,
    calls,
    callTimes,
    async invoke(request) {
      calls.push(request);
      callTimes.push(request.clock.now());
      return handler(request, calls.length);
    },
  };
}

/** Fails with the given error name. */
export const fail = (error: string, cause = ''): never => {
  throw new StatesError(error, cause);
};

/** A task that never finishes until its signal aborts (then rejects with the abort reason). */
export function hang(request: TaskRequest): Promise<Json> {
  return new Promise((_, reject) => {
    request.signal.addEventListener('abort', () => reject(request.signal.reason), { once: true });
  });
}

export interface Harness {
  sfn: StepFunctionsService;
  clock: FakeClock;
  store: MemoryObjectStore;
  run(definition: object, input?: Json): Promise<ExecutionDescription & { arn: string }>;
  start(definition: object, input?: Json): string;
  historyTypes(executionArn: string): string[];
}

let counter = 0;

/** A service on a FakeClock and an in-memory object store. */
export function harness(
  integrations: TaskIntegration[] = [],
  options: Partial<LocalStepFunctionsOptions> = {},
): Harness {
  const clock = new FakeClock();
  const store = new MemoryObjectStore(() => clock.now());
  let uuid = 0;
  const sfn = createLocalStepFunctions({
    integrations,
    objectStore: store,
    clock,
    random: () => 0.5,
    newUuid: () => `00000000-0000-4000-8000-${(++uuid).toString(16).padStart(12, '0')}`,
    ...options,
  });
  const start = (definition: object, input: Json = {}): string => {
    counter++;
    const { stateMachineArn } = sfn.createStateMachine({
      name: `machine-${counter}`,
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });
    return sfn.startExecution({ stateMachineArn, name: `run-${counter}`, input: JSON.stringify(input) }).executionArn;
  };
  return {
    sfn,
    clock,
    store,
    start,
    async run(definition, input = {}) {
      const arn = start(definition, input);
      const done = sfn.waitForExecution(arn);
      await clock.runAll();
      return { ...(await done), arn };
    },
    historyTypes(executionArn) {
      return sfn.getExecutionHistory(executionArn, { maxResults: 1000 }).items.map((event) => event.type);
    },
  };
}

/** A one-state machine around `state` (named S). */
export const single = (state: object): object => ({ StartAt: 'S', States: { S: { ...state, End: true } } });

/** A Distributed Map state `Fan` of Pass children reading s3://bucket/key with the given ReaderConfig; `fields` join it. */
export function passMapReading(
  object: { bucket: string; key: string },
  readerConfig: object,
  fields: object = {},
): object {
  const fan = {
    Type: 'Map',
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: readerConfig,
      Parameters: { Bucket: object.bucket, Key: object.key },
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      StartAt: 'P',
      States: { P: { Type: 'Pass', End: true } },
    },
    ...fields,
    End: true,
  };
  return { StartAt: 'Fan', States: { Fan: fan } };
}

/** A `test` integration whose calls are counted by the `key` parameter; a key in `failing` fails. */
export function flaky(failing: Set<string>, hangs: Set<string> = new Set()) {
  const calls = new Map<string, number>();
  const seen: TaskRequest[] = [];
  const integration = scriptedIntegration((request) => {
    seen.push(request);
    const key = String((request.parameters as { key: Json }).key);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    if (hangs.has(key)) return hang(request);
    if (failing.has(key)) return fail('Work.Failed', `item ${key} failed`);
    return { done: key };
  });
  return { integration, calls, seen };
}

/** Runs the clock until the execution has ended. */
export async function settle(sfn: StepFunctionsService, clock: { runAll(): Promise<unknown> }, arn: string) {
  const done = sfn.waitForExecution(arn);
  await clock.runAll();
  return done;
}

export function serviceError(call: () => unknown): ServiceError {
  try {
    call();
  } catch (error) {
    if (error instanceof ServiceError) return error;
    throw error;
  }
  throw new Error('expected a ServiceError');
}

/** The details of an execution's `EvaluationFailed` event (JSONata), or undefined when it has none. */
export function evaluationFailedDetails(sfn: StepFunctionsService, executionArn: string): unknown {
  return sfn.getExecutionHistory(executionArn, { maxResults: 100 }).items.find((e) => e.type === 'EvaluationFailed')
    ?.details;
}

/**
 * A store holding `in/items.jsonl`: `count` items, each with a distinct ~4 KiB `pad`, for memory
 * tests. Result files written to it are counted (`resultBytes()`), not kept, so that only the
 * engine's own memory is measured.
 */
export async function paddedItemsStore(
  clock: FakeClock,
  count: number,
): Promise<{ store: MemoryObjectStore; resultBytes: () => number }> {
  const store = new MemoryObjectStore(() => clock.now());
  let resultBytes = 0;
  store.putObjectStream = async (_bucket, _key, chunks) => {
    for await (const chunk of chunks) resultBytes += chunk.length;
  };
  const lines: string[] = [];
  for (let id = 0; id < count; id++)
    lines.push(JSON.stringify({ id, pad: `${id}:`.padEnd(4000, String.fromCharCode(97 + (id % 26))) }));
  await store.putObject('in', 'items.jsonl', lines.join('\n'));
  return { store, resultBytes: () => resultBytes };
}
