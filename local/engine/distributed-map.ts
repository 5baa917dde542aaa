import { renderPayloadTemplate } from './expressions';
import { StatesError, StatesErrors } from './errors';
import type { Graph, StateNode } from './definition';
import { JsonText } from './history';
import { readMaxConcurrency, readNumber, runGraph, selectItem } from './interpreter';
import { type ItemSource, openItemSource } from './item-reader';
import { asFailure, type EngineEnvironment, type ExecutionScope, type Frame, Halt, isoDate, type MapRunHandle, record } from './runtime';
import type { ContextObject, ExecutionDescription, ExecutionStatus, HistoryEvent, Json, JsonObject, MapRunCounts, MapRunDescription, MapRunStatus } from './types';

const RUNNING = 0;
const SUCCEEDED = 1;
const FAILED = 2;
const TIMED_OUT = 3;
const ABORTED = 4;
const STATUS_NAMES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** Child names are UUID-shaped: the Map Run's UUID with its last 12 hex digits replaced by the child's index. */
const INDEX_DIGITS = 12;

/** Children started in one event-loop turn before the Map Run yields. */
const SYNC_CHILDREN_PER_TURN = 2000;

interface Counts {
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
}

const zeroCounts = (): Counts => ({ running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 });

/**
 * One Map Run: the children of one Distributed Map state execution. Children are stored in
 * columns (one array per field) instead of one object per child, and full histories are kept
 * only for failed children and the most recent successful ones, so 100,000 items cost a few
 * numbers and references each.
 */
export class MapRun implements MapRunHandle {
  readonly mapRunArn: string;
  readonly childArnPrefix: string;
  readonly childStateMachineArn: string;
  readonly childStateMachineName: string;
  status: MapRunStatus = 'RUNNING';
  readonly startDate: number;
  stopDate?: number;
  maxConcurrency = 0;
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
  totalItems = 0;
  startedItems = 0;
  resultsWritten = 0;
  readonly items: Counts = zeroCounts();
  readonly executions: Counts = zeroCounts();

  // Columns, indexed by child number.
  readonly status_: number[] = [];
  readonly startDates: number[] = [];
  readonly stopDates: number[] = [];
  readonly transitions: number[] = [];
  readonly itemsPerChild: number[] = [];
  readonly inputs: Json[] = [];
  readonly outputs: Json[] = [];
  readonly failures = new Map<number, { error: string; cause: string }>();
  private readonly histories = new Map<number, HistoryEvent[]>();
  private readonly retainedSuccesses: number[] = [];
  private retainedHead = 0;
  private readonly waiters = new Map<number, (() => void)[]>();
  readonly inflight = new Map<number, AbortController>();
  private readonly namePrefix: string;

  constructor(
    readonly env: EngineEnvironment,
    readonly executionArn: string,
    parentStateMachineName: string,
    label: string,
    readonly uuid: string,
    readonly executionType: 'STANDARD' | 'EXPRESS',
  ) {
    const { region, accountId } = env;
    const base = `${parentStateMachineName}/${label}`;
    this.mapRunArn = `arn:aws:states:${region}:${accountId}:mapRun:${base}:${uuid}`;
    this.childStateMachineName = base;
    this.childStateMachineArn = `arn:aws:states:${region}:${accountId}:stateMachine:${base}`;
    this.namePrefix = uuid.slice(0, uuid.length - INDEX_DIGITS);
    this.childArnPrefix =
      executionType === 'EXPRESS'
        ? `arn:aws:states:${region}:${accountId}:express:${base}:${uuid}:${this.namePrefix}`
        : `arn:aws:states:${region}:${accountId}:execution:${base}:${this.namePrefix}`;
    this.startDate = env.clock.now();
  }

  childName(index: number): string {
    return this.namePrefix + index.toString(16).padStart(INDEX_DIGITS, '0');
  }

  childArn(index: number): string {
    return this.childArnPrefix + index.toString(16).padStart(INDEX_DIGITS, '0');
  }

  /** The child index an ARN designates, or -1. */
  indexOf(executionArn: string): number {
    if (!executionArn.startsWith(this.childArnPrefix)) return -1;
    const suffix = executionArn.slice(this.childArnPrefix.length);
    if (suffix.length !== INDEX_DIGITS || !/^[0-9a-f]+$/.test(suffix)) return -1;
    const index = Number.parseInt(suffix, 16);
    return index < this.status_.length ? index : -1;
  }

  get childCount(): number {
    return this.status_.length;
  }

  statusOf(index: number): ExecutionStatus {
    return STATUS_NAMES[this.status_[index]!]!;
  }

  describeChild(index: number): ExecutionDescription {
    const status = STATUS_NAMES[this.status_[index]!]!;
    const description: ExecutionDescription = {
      executionArn: this.childArn(index),
      stateMachineArn: this.childStateMachineArn,
      name: this.childName(index),
      status,
      startDate: this.startDates[index]!,
      input: JSON.stringify(this.inputs[index]),
      mapRunArn: this.mapRunArn,
      stateTransitions: this.transitions[index]!,
    };
    if (status !== 'RUNNING') description.stopDate = this.stopDates[index]!;
    if (status === 'SUCCEEDED') description.output = JSON.stringify(this.outputs[index]);
    const failure = this.failures.get(index);
    if (failure) {
      description.error = failure.error;
      description.cause = failure.cause;
    }
    return description;
  }

  /** The child's history: complete when retained, else the start and end events rebuilt from its record. */
  childHistory(index: number): HistoryEvent[] {
    const kept = this.histories.get(index);
    if (kept) return kept;
    const status = this.status_[index]!;
    const events: HistoryEvent[] = [
      {
        id: 1,
        previousEventId: 0,
        timestamp: this.startDates[index]!,
        type: 'ExecutionStarted',
        details: { input: new JsonText(this.inputs[index]!), inputDetails: { truncated: false }, roleArn: '' },
      },
    ];
    if (status === SUCCEEDED) {
      events.push({
        id: 2,
        previousEventId: 1,
        timestamp: this.stopDates[index]!,
        type: 'ExecutionSucceeded',
        details: { output: new JsonText(this.outputs[index]!), outputDetails: { truncated: false } },
      });
    }
    return events;
  }

  waitForChild(index: number): Promise<void> {
    if (this.status_[index] !== RUNNING) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(index) ?? [];
      list.push(resolve);
      this.waiters.set(index, list);
    });
  }

  stopChild(index: number, error: string, cause: string): void {
    this.inflight.get(index)?.abort(new Halt('ABORTED', error, cause));
  }

  describe(): MapRunDescription {
    const toCounts = (counts: Counts, total: number, pending: number, written: number): MapRunCounts => ({
      pending,
      running: counts.running,
      succeeded: counts.succeeded,
      failed: counts.failed,
      timedOut: counts.timedOut,
      aborted: counts.aborted,
      total,
      resultsWritten: written,
      failuresNotRedrivable: 0,
      pendingRedrive: 0,
    });
    const description: MapRunDescription = {
      mapRunArn: this.mapRunArn,
      executionArn: this.executionArn,
      status: this.status,
      startDate: this.startDate,
      maxConcurrency: this.maxConcurrency,
      toleratedFailurePercentage: this.toleratedFailurePercentage ?? 0,
      toleratedFailureCount: this.toleratedFailureCount ?? 0,
      itemCounts: toCounts(this.items, this.totalItems, this.totalItems - this.startedItems, this.resultsWritten ? this.startedItems : 0),
      executionCounts: toCounts(this.executions, this.childCount, 0, this.resultsWritten ? this.childCount : 0),
      redriveCount: 0,
    };
    if (this.stopDate !== undefined) description.stopDate = this.stopDate;
    return description;
  }

  /** True when failed plus timed-out items exceed a threshold (docs: maprun-fail-threshold.html). */
  thresholdExceeded(): boolean {
    const failed = this.items.failed + this.items.timedOut;
    if (failed === 0) return false;
    const count = this.toleratedFailureCount;
    const percentage = this.toleratedFailurePercentage;
    if (count === undefined && percentage === undefined) return true;
    if (count !== undefined && failed > count) return true;
    return percentage !== undefined && this.totalItems > 0 && (failed * 100) / this.totalItems > percentage;
  }

  /** Records a new child; returns its index. */
  addChild(input: Json, itemCount: number): number {
    const index = this.status_.length;
    this.status_.push(RUNNING);
    this.startDates.push(this.env.clock.now());
    this.stopDates.push(0);
    this.transitions.push(0);
    this.itemsPerChild.push(itemCount);
    this.inputs.push(input);
    this.outputs.push(null);
    this.startedItems += itemCount;
    this.items.running += itemCount;
    this.executions.running++;
    return index;
  }

  /** Records a child's end and keeps or drops its history. */
  finishChild(index: number, scope: ExecutionScope, status: number, output: Json, failure?: { error: string; cause: string }): void {
    this.status_[index] = status;
    this.stopDates[index] = this.env.clock.now();
    this.transitions[index] = scope.transitions;
    this.outputs[index] = output;
    const itemCount = this.itemsPerChild[index]!;
    this.items.running -= itemCount;
    this.executions.running--;
    const bucket: keyof Counts = status === SUCCEEDED ? 'succeeded' : status === FAILED ? 'failed' : status === TIMED_OUT ? 'timedOut' : 'aborted';
    this.items[bucket] += itemCount;
    this.executions[bucket]++;
    if (failure) this.failures.set(index, failure);
    if (status !== SUCCEEDED) {
      this.histories.set(index, scope.history);
    } else if (this.env.childHistoryLimit > 0) {
      this.histories.set(index, scope.history);
      this.retainedSuccesses.push(index);
      if (this.retainedSuccesses.length - this.retainedHead > this.env.childHistoryLimit) {
        this.histories.delete(this.retainedSuccesses[this.retainedHead]!);
        this.retainedHead++;
        // Compact the queue now and then so it stays as long as the limit.
        if (this.retainedHead > 4096 && this.retainedHead * 2 > this.retainedSuccesses.length) {
          this.retainedSuccesses.splice(0, this.retainedHead);
          this.retainedHead = 0;
        }
      }
    }
    const waiting = this.waiters.get(index);
    if (waiting) {
      this.waiters.delete(index);
      for (const resolve of waiting) resolve();
    }
  }
}

interface BatchConfig {
  maxItems: number;
  maxBytes: number;
  batchInput?: Json;
}

/** Reads a non-negative integer field or its `...Path` twin. */
function readLimit(value: number | undefined, path: string | undefined, field: string, effective: Json, context: ContextObject): number | undefined {
  if (path !== undefined) {
    return readNumber(path, effective, context, `${field}Path`, (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
  }
  return value;
}

/**
 * Runs a Distributed Map state (docs: state-map-distributed.html): starts one child execution
 * per item (or batch) as concurrency allows, applies the tolerated failure threshold, writes
 * results with ResultWriter, and returns the Map's result (before ResultSelector/ResultPath).
 */
export async function runDistributedMap(node: StateNode, effective: Json, context: ContextObject, frame: Frame): Promise<Json> {
  const scope = frame.scope;
  const env = scope.env;
  const raw = node.raw;
  const distributed = node.distributed!;
  const run = new MapRun(env, scope.executionArn, scope.stateMachineName, distributed.label, env.newUuid(), distributed.executionType);

  run.maxConcurrency = readMaxConcurrency(node, effective, context);
  const percentage = raw.ToleratedFailurePercentagePath !== undefined
    ? readNumber(raw.ToleratedFailurePercentagePath, effective, context, 'ToleratedFailurePercentagePath', (v) => v >= 0 && v <= 100, 'a number from 0 to 100')
    : raw.ToleratedFailurePercentage;
  const count = readLimit(raw.ToleratedFailureCount, raw.ToleratedFailureCountPath, 'ToleratedFailureCount', effective, context);
  run.toleratedFailurePercentage = percentage;
  run.toleratedFailureCount = count;
  const batch = readBatchConfig(node, effective, context, env);
  const writer = raw.ResultWriter ? readWriterTarget(node, effective, context) : undefined;

  const source = await openItemSource(node, effective, context, env.objectStore);
  run.totalItems = source.total;
  env.registerMapRun(run);
  scope.mapRuns.push(run);
  record(scope, 'MapRunStarted', { mapRunArn: run.mapRunArn });

  const limit = run.maxConcurrency === 0 ? env.maxChildConcurrency : run.maxConcurrency;
  const outcome = await driveChildren(run, node.processor!, node, source, effective, context, frame, limit, batch);

  run.stopDate = env.clock.now();
  if (outcome.kind === 'stopped') {
    run.status = 'ABORTED';
    record(scope, 'MapRunAborted');
    throw outcome.reason;
  }
  let failure: StatesError | undefined = outcome.kind === 'failed' ? outcome.error : undefined;
  run.status = failure ? 'FAILED' : 'SUCCEEDED';

  let result: Json = null;
  if (writer) {
    try {
      result = await writeResults(run, writer, source, failure ? pendingInputs(node, source, effective, context, env, run) : []);
    } catch (error) {
      const narrowed = asFailure(error);
      failure ??= new StatesError(StatesErrors.ResultWriterFailed, narrowed instanceof StatesError ? `${narrowed.error}: ${narrowed.cause}` : narrowed.message);
      run.status = 'FAILED';
    }
  } else if (!failure) {
    result = run.outputs.map((output, index) => {
      const childFailure = run.failures.get(index);
      return childFailure ? { Error: childFailure.error, Cause: childFailure.cause } : output;
    });
  }
  if (failure) {
    record(scope, 'MapRunFailed', { error: failure.error, cause: failure.cause });
    throw failure;
  }
  record(scope, 'MapRunSucceeded');
  return result;
}

function readBatchConfig(node: StateNode, effective: Json, context: ContextObject, env: EngineEnvironment): BatchConfig | undefined {
  const batcher = node.raw.ItemBatcher;
  if (!batcher) return undefined;
  const maxItems = readLimit(batcher.MaxItemsPerBatch, batcher.MaxItemsPerBatchPath, 'MaxItemsPerBatch', effective, context);
  const maxBytes = readLimit(batcher.MaxInputBytesPerBatch, batcher.MaxInputBytesPerBatchPath, 'MaxInputBytesPerBatch', effective, context);
  const batchInput = batcher.BatchInput !== undefined ? renderPayloadTemplate(batcher.BatchInput, effective, context, 'BatchInput', env.random) : undefined;
  return {
    maxItems: maxItems || Number.POSITIVE_INFINITY,
    // A batch is a child's input, so it can never exceed the 256 KiB payload quota.
    maxBytes: Math.min(maxBytes || Number.POSITIVE_INFINITY, 256 * 1024),
    batchInput,
  };
}

type DriveOutcome = { kind: 'done' } | { kind: 'failed'; error: StatesError } | { kind: 'stopped'; reason: unknown };

/**
 * Starts children lazily as slots free (no promise exists for an item not yet started); children
 * that finish synchronously (only Pass/Choice/Succeed/Fail states) free their slot in the same loop.
 */
function driveChildren(
  run: MapRun,
  processor: Graph,
  node: StateNode,
  source: ItemSource,
  effective: Json,
  context: ContextObject,
  frame: Frame,
  limit: number,
  batch: BatchConfig | undefined,
): Promise<DriveOutcome> {
  const env = run.env;
  const parent = frame.scope;
  let running = 0;
  let nextItem = 0;
  let lookahead: Json | undefined;
  let exhausted = false;
  let failure: StatesError | undefined;
  let stopped = false;

  return new Promise<DriveOutcome>((resolve) => {
    const onParentStop = (): void => {
      stopped = true;
      for (const controller of run.inflight.values()) controller.abort(frame.signal.reason);
    };
    frame.signal.addEventListener('abort', onParentStop, { once: true });

    const failRun = (error: StatesError): void => {
      if (failure) return;
      failure = error;
      const halt = new Halt('ABORTED', StatesErrors.ExceedToleratedFailureThreshold, `Map Run ${run.mapRunArn} failed`);
      for (const controller of run.inflight.values()) controller.abort(halt);
    };

    /** Pulls the next child input: one selected item, or a batch `{BatchInput?, Items}`. */
    const nextInput = (): { input: Json; items: number } | undefined => {
      if (!batch) {
        if (exhausted) return undefined;
        const value = source.next();
        if (value === undefined) {
          exhausted = true;
          return undefined;
        }
        const index = nextItem++;
        return { input: selectItem(node, effective, context, index, value, env.random), items: 1 };
      }
      const items: Json[] = [];
      const base = batch.batchInput !== undefined ? JSON.stringify({ BatchInput: batch.batchInput, Items: [] }).length : '{"Items":[]}'.length;
      let bytes = base;
      while (items.length < batch.maxItems) {
        let selected = lookahead;
        lookahead = undefined;
        if (selected === undefined) {
          if (exhausted) break;
          const value = source.next();
          if (value === undefined) {
            exhausted = true;
            break;
          }
          const index = nextItem++;
          selected = selectItem(node, effective, context, index, value, env.random);
        }
        const size = Buffer.byteLength(JSON.stringify(selected), 'utf8') + (items.length > 0 ? 1 : 0);
        if (items.length > 0 && bytes + size > batch.maxBytes) {
          lookahead = selected;
          break;
        }
        items.push(selected);
        bytes += size;
      }
      if (items.length === 0) return undefined;
      const input: JsonObject = batch.batchInput !== undefined ? { BatchInput: batch.batchInput, Items: items } : { Items: items };
      return { input, items: items.length };
    };

    const complete = (index: number, scope: ExecutionScope, status: number, output: Json, error?: StatesError | Halt): void => {
      let failureDetails: { error: string; cause: string } | undefined;
      if (error) {
        failureDetails = { error: error.error, cause: error.cause };
        if (status === ABORTED) record(scope, 'ExecutionAborted', failureDetails);
        else record(scope, status === TIMED_OUT ? 'ExecutionTimedOut' : 'ExecutionFailed', failureDetails);
      } else {
        record(scope, 'ExecutionSucceeded', { output: new JsonText(output), outputDetails: { truncated: false } });
      }
      run.finishChild(index, scope, status, output, failureDetails);
      parent.transitions += scope.transitions;
      if (!failure && (status === FAILED || status === TIMED_OUT) && run.thresholdExceeded()) {
        const failed = run.items.failed + run.items.timedOut;
        failRun(
          new StatesError(
            StatesErrors.ExceedToleratedFailureThreshold,
            `The Map Run ${run.mapRunArn} failed because ${failed} of ${run.totalItems} items failed, which exceeds the tolerated failure threshold` +
              ` (ToleratedFailureCount ${run.toleratedFailureCount ?? 'not set'}, ToleratedFailurePercentage ${run.toleratedFailurePercentage ?? 'not set'}).`,
          ),
        );
      }
    };

    const settle = (index: number, scope: ExecutionScope, error: unknown): void => {
      const narrowed = asFailure(error);
      if (narrowed instanceof Halt) complete(index, scope, narrowed.status === 'FAILED' ? FAILED : ABORTED, null, narrowed);
      else complete(index, scope, FAILED, null, narrowed);
    };

    const startChild = (input: Json, itemCount: number): void => {
      const index = run.addChild(input, itemCount);
      // One transition per child the Distributed Map starts (Step Functions pricing).
      parent.transitions++;
      const controller = new AbortController();
      const startDate = run.startDates[index]!;
      const arn = run.childArn(index);
      const scope: ExecutionScope = {
        env,
        executionArn: arn,
        stateMachineArn: run.childStateMachineArn,
        stateMachineName: run.childStateMachineName,
        execution: {
          Id: arn,
          Name: run.childName(index),
          Input: input,
          StartTime: isoDate(startDate),
          RoleArn: parent.execution.RoleArn,
          RedriveCount: 0,
        },
        history: [],
        transitions: 0,
        mapRuns: [],
      };
      record(scope, 'ExecutionStarted', { input: new JsonText(input), inputDetails: { truncated: false }, roleArn: parent.execution.RoleArn });
      let outcome: Json | Promise<Json>;
      try {
        outcome = runGraph(processor, input, { scope, signal: controller.signal });
      } catch (error) {
        settle(index, scope, error);
        return;
      }
      if (outcome instanceof Promise) {
        running++;
        run.inflight.set(index, controller);
        outcome.then(
          (output) => {
            running--;
            run.inflight.delete(index);
            complete(index, scope, SUCCEEDED, output);
            pump();
          },
          (error: unknown) => {
            running--;
            run.inflight.delete(index);
            settle(index, scope, error);
            pump();
          },
        );
      } else {
        complete(index, scope, SUCCEEDED, outcome);
      }
    };

    let syncStarts = 0;
    let yielding = false;
    const resume = (): void => {
      yielding = false;
      pump();
    };
    const pump = (): void => {
      while (!failure && !stopped && running < limit) {
        // Children that finish synchronously would otherwise hold the event loop for the whole
        // Map Run; yield now and then so API calls, timers and I/O keep being served.
        if (++syncStarts % SYNC_CHILDREN_PER_TURN === 0) {
          if (!yielding) {
            yielding = true;
            setImmediate(resume);
          }
          return;
        }
        let next: { input: Json; items: number } | undefined;
        try {
          next = nextInput();
        } catch (error) {
          const narrowed = asFailure(error);
          failRun(narrowed instanceof StatesError ? narrowed : new StatesError(StatesErrors.Runtime, narrowed.message));
          break;
        }
        if (!next) break;
        startChild(next.input, next.items);
      }
      if (running > 0 || yielding) return;
      frame.signal.removeEventListener('abort', onParentStop);
      if (stopped || frame.signal.aborted) resolve({ kind: 'stopped', reason: frame.signal.reason });
      else if (failure) resolve({ kind: 'failed', error: failure });
      else resolve({ kind: 'done' });
    };
    if (frame.signal.aborted) onParentStop();
    pump();
  });
}

interface WriterTarget {
  bucket: string;
  prefix: string;
}

function readWriterTarget(node: StateNode, effective: Json, context: ContextObject): WriterTarget {
  const parameters = renderPayloadTemplate(node.raw.ResultWriter!.Parameters!, effective, context, 'ResultWriter.Parameters') as JsonObject;
  const bucket = parameters?.Bucket;
  const prefix = parameters?.Prefix ?? '';
  if (typeof bucket !== 'string' || bucket === '') {
    throw new StatesError(StatesErrors.ResultWriterFailed, `ResultWriter.Parameters.Bucket of state '${node.name}' must be a non-empty string (received ${JSON.stringify(bucket)})`);
  }
  if (typeof prefix !== 'string') {
    throw new StatesError(StatesErrors.ResultWriterFailed, `ResultWriter.Parameters.Prefix of state '${node.name}' must be a string (received ${JSON.stringify(prefix)})`);
  }
  return { bucket, prefix };
}

/** Inputs of the items never started (written to PENDING_0.json when the Map Run fails). */
function pendingInputs(node: StateNode, source: ItemSource, effective: Json, context: ContextObject, env: EngineEnvironment, run: MapRun): Json[] {
  const pending: Json[] = [];
  let index = run.startedItems;
  try {
    for (let value = source.next(); value !== undefined; value = source.next()) {
      pending.push(selectItem(node, effective, context, index++, value, env.random));
    }
  } catch {
    // A record that cannot be read is left out of PENDING; the Map Run has failed already.
  }
  return pending;
}

/** `[e1,e2,...]` as UTF-8, converted in slices so no single giant string is built. */
function joinEntries(entries: string[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('[')];
  const SLICE = 2000;
  for (let start = 0; start < entries.length; start += SLICE) {
    const slice = entries.slice(start, start + SLICE).join(',');
    chunks.push(Buffer.from(start === 0 ? slice : `,${slice}`, 'utf8'));
    // Drop the entry strings as soon as they are in a buffer.
    entries.fill('', start, start + SLICE);
  }
  chunks.push(Buffer.from(']'));
  return Buffer.concat(chunks);
}

/**
 * Writes `<Prefix>/<mapRunId>/manifest.json` and one file per status with entries
 * (docs: input-output-resultwriter.html) and returns `{MapRunArn, ResultWriterDetails}`.
 */
async function writeResults(run: MapRun, target: WriterTarget, _source: ItemSource, pending: Json[]): Promise<Json> {
  const store = run.env.objectStore;
  const base = `${target.prefix === '' || target.prefix.endsWith('/') ? target.prefix : `${target.prefix}/`}${run.uuid}/`;
  const succeeded: string[] = [];
  const failed: string[] = [];
  for (let index = 0; index < run.childCount; index++) {
    const status = run.status_[index]!;
    const entry: JsonObject = {
      ExecutionArn: run.childArn(index),
      Input: JSON.stringify(run.inputs[index]),
      InputDetails: { Included: true },
      Name: run.childName(index),
    };
    if (status === SUCCEEDED) {
      entry.Output = JSON.stringify(run.outputs[index]);
      entry.OutputDetails = { Included: true };
    }
    entry.RedriveCount = 0;
    if (status === SUCCEEDED) {
      entry.RedriveStatus = 'NOT_REDRIVABLE';
      entry.RedriveStatusReason = 'Execution is SUCCEEDED and cannot be redriven';
    } else {
      entry.RedriveStatus = 'REDRIVABLE_BY_MAP_RUN';
    }
    entry.StartDate = isoDate(run.startDates[index]!);
    entry.StateMachineArn = run.childStateMachineArn;
    entry.Status = STATUS_NAMES[status]!;
    entry.StopDate = isoDate(run.stopDates[index]!);
    const failure = run.failures.get(index);
    if (failure) {
      entry.Error = failure.error;
      entry.Cause = failure.cause;
    }
    (status === SUCCEEDED ? succeeded : failed).push(JSON.stringify(entry));
  }
  const pendingEntries = pending.map((input) => JSON.stringify({ Input: JSON.stringify(input), InputDetails: { Included: true }, Status: 'PENDING' }));
  const files: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', { Key: string; Size: number }[]> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const [status, entries] of [
    ['SUCCEEDED', succeeded],
    ['FAILED', failed],
    ['PENDING', pendingEntries],
  ] as const) {
    if (entries.length === 0) continue;
    const body = joinEntries(entries);
    const key = `${base}${status}_0.json`;
    await store.putObject(target.bucket, key, body);
    files[status].push({ Key: key, Size: body.length });
  }
  const manifestKey = `${base}manifest.json`;
  const manifest = { DestinationBucket: target.bucket, MapRunArn: run.mapRunArn, ResultFiles: files };
  await store.putObject(target.bucket, manifestKey, JSON.stringify(manifest));
  run.resultsWritten = 1;
  return { MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: target.bucket, Key: manifestKey } };
}

