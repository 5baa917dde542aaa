import type { Graph, StateNode } from '../../definition';
import { StatesError, StatesErrors } from '../../errors';
import { renderPayloadTemplate } from '../../expressions';
import type {
  ContextObject,
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  Json,
  JsonObject,
  MapRunCounts,
  MapRunDescription,
  MapRunStatus,
} from '../../types';
import { JsonText } from '../history';
import { readMaxConcurrency, readNumber, runGraph, selectItem } from '../interpreter';
import {
  asFailure,
  type EngineEnvironment,
  type ExecutionScope,
  type Frame,
  Halt,
  isoDate,
  type MapRunHandle,
  PAYLOAD_LIMIT_BYTES,
  record,
} from '../runtime';
import { type LogPosition, SpillLog } from '../spill-log';
import { ABORTED, FAILED, RUNNING, STATUS_NAMES, SUCCEEDED, TIMED_OUT } from './child-status';
import { type ItemSource, openItemSource } from './item-reader';
import { readWriterTarget, resultEntry, writeResults } from './result-writer';

const END_EVENTS = ['', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'];

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

/** What a finished child's ResultWriter entry (its record in the log) holds. */
interface ChildRecord {
  Input: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

/** Remembers the most recent `limit` indexes pushed; returns the one that falls out, or -1. */
class RecentIndexes {
  private readonly ring: Int32Array;
  private count = 0;
  private next = 0;

  constructor(readonly limit: number) {
    this.ring = new Int32Array(Math.max(limit, 0));
  }

  push(index: number): number {
    if (this.limit <= 0) return index;
    let evicted = -1;
    if (this.count === this.limit) evicted = this.ring[this.next]!;
    else this.count++;
    this.ring[this.next] = index;
    this.next = (this.next + 1) % this.limit;
    return evicted;
  }
}

/** A growable typed column. */
function grow<T extends Float64Array | Uint32Array | Uint8Array>(column: T, capacity: number): T {
  const bigger = new (column.constructor as new (length: number) => T)(capacity);
  bigger.set(column);
  return bigger;
}

/**
 * One Map Run: the children of one Distributed Map state execution. Each child costs a fixed
 * handful of numbers in typed columns (status, dates, transitions, item count, where its record
 * is in the log). A finished child's input, output, error and cause live in its ResultWriter
 * entry, appended to a {@link SpillLog} that stays in memory up to a budget and spills to a
 * temporary file beyond; DescribeExecution and the result files read entries back from there.
 * Full histories are kept only for the most recent successful and failed children.
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
  roleArn = '';
  readonly items: Counts = zeroCounts();
  readonly executions: Counts = zeroCounts();
  /** Finished children's ResultWriter entries, one line each. */
  readonly log: SpillLog;
  /** Why a record could not be appended to the log, if one could not. */
  logError?: Error;

  // Columns, indexed by child number; `childCount` entries are in use.
  private count = 0;
  private statuses = new Uint8Array(64);
  private startDates = new Float64Array(64);
  private stopDates = new Float64Array(64);
  private transitions = new Uint32Array(64);
  private itemsPerChild = new Uint32Array(64);
  private logOffsets = new Float64Array(64);
  private logLengths = new Uint32Array(64);

  private readonly histories = new Map<number, HistoryEvent[]>();
  private readonly recentSuccesses: RecentIndexes;
  private readonly recentFailures: RecentIndexes;
  private readonly waiters = new Map<number, (() => void)[]>();
  /** Children whose execution is in flight (asynchronous states), with their scope. */
  readonly inflight = new Map<number, { controller: AbortController; scope: ExecutionScope }>();
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
    this.log = new SpillLog(env.spillDirectory, env.spillMemoryBytes);
    this.recentSuccesses = new RecentIndexes(env.childHistoryLimit);
    this.recentFailures = new RecentIndexes(env.failedChildHistoryLimit);
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
    return index < this.count ? index : -1;
  }

  get childCount(): number {
    return this.count;
  }

  /** The child's status code (RUNNING, SUCCEEDED, ...). */
  statusCode(index: number): number {
    return this.statuses[index]!;
  }

  statusOf(index: number): ExecutionStatus {
    return STATUS_NAMES[this.statuses[index]!]!;
  }

  startDateOf(index: number): number {
    return this.startDates[index]!;
  }

  /** Where a finished child's entry is in the log. */
  logPosition(index: number): LogPosition {
    return { offset: this.logOffsets[index]!, length: this.logLengths[index]! };
  }

  /** A finished child's input, output, error and cause, read back from the log. */
  private childRecord(index: number): ChildRecord {
    const position = this.logPosition(index);
    if (position.length === 0) return { Input: '' };
    return JSON.parse(this.log.read(position)) as ChildRecord;
  }

  describeChild(index: number): ExecutionDescription {
    const status = this.statuses[index]!;
    const description: ExecutionDescription = {
      executionArn: this.childArn(index),
      stateMachineArn: this.childStateMachineArn,
      name: this.childName(index),
      status: STATUS_NAMES[status]!,
      startDate: this.startDates[index]!,
      input: '',
      mapRunArn: this.mapRunArn,
      stateTransitions: this.transitions[index]!,
    };
    if (status === RUNNING) {
      const scope = this.inflight.get(index)?.scope;
      description.input = JSON.stringify(scope?.execution.Input ?? null);
      if (scope) description.stateTransitions = scope.transitions;
      return description;
    }
    const child = this.childRecord(index);
    description.input = child.Input;
    description.stopDate = this.stopDates[index]!;
    if (child.Output !== undefined) description.output = child.Output;
    if (child.Error !== undefined) description.error = child.Error;
    if (child.Cause !== undefined) description.cause = child.Cause;
    return description;
  }

  /**
   * The child's history: complete for a running child and for the most recent finished ones,
   * else its start and end events rebuilt from its record.
   */
  childHistory(index: number): HistoryEvent[] {
    const kept = this.histories.get(index) ?? this.inflight.get(index)?.scope.history;
    if (kept) return kept;
    const status = this.statuses[index]!;
    if (status === RUNNING) {
      // A child that has not reached its first asynchronous state cannot be observed; kept for safety.
      return [];
    }
    const child = this.childRecord(index);
    const started: HistoryEvent = {
      id: 1,
      previousEventId: 0,
      timestamp: this.startDates[index]!,
      type: 'ExecutionStarted',
      details: { input: child.Input, inputDetails: { truncated: false }, roleArn: this.roleArn },
    };
    const details: Record<string, unknown> =
      status === SUCCEEDED
        ? { output: child.Output, outputDetails: { truncated: false } }
        : { error: child.Error ?? '', cause: child.Cause ?? '' };
    return [
      started,
      { id: 2, previousEventId: 1, timestamp: this.stopDates[index]!, type: END_EVENTS[status]!, details },
    ];
  }

  waitForChild(index: number): Promise<void> {
    if (this.statuses[index] !== RUNNING) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(index) ?? [];
      list.push(resolve);
      this.waiters.set(index, list);
    });
  }

  stopChild(index: number, error: string, cause: string): void {
    this.inflight.get(index)?.controller.abort(new Halt('ABORTED', error, cause));
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
      itemCounts: toCounts(
        this.items,
        this.totalItems,
        this.totalItems - this.startedItems,
        this.resultsWritten ? this.startedItems : 0,
      ),
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
  addChild(itemCount: number): number {
    const index = this.count;
    if (index === this.statuses.length) {
      const capacity = index * 2;
      this.statuses = grow(this.statuses, capacity);
      this.startDates = grow(this.startDates, capacity);
      this.stopDates = grow(this.stopDates, capacity);
      this.transitions = grow(this.transitions, capacity);
      this.itemsPerChild = grow(this.itemsPerChild, capacity);
      this.logOffsets = grow(this.logOffsets, capacity);
      this.logLengths = grow(this.logLengths, capacity);
    }
    this.count++;
    this.statuses[index] = RUNNING;
    this.startDates[index] = this.env.clock.now();
    this.itemsPerChild[index] = itemCount;
    this.startedItems += itemCount;
    this.items.running += itemCount;
    this.executions.running++;
    return index;
  }

  /**
   * Records a child's end: appends its ResultWriter entry to the log, updates the counts and
   * keeps its history if it is among the most recent ones. Returns the entry (compact JSON).
   */
  finishChild(
    index: number,
    scope: ExecutionScope,
    status: number,
    outputText: string | undefined,
    failure?: { error: string; cause: string },
  ): string {
    const stopDate = this.env.clock.now();
    this.statuses[index] = status;
    this.stopDates[index] = stopDate;
    this.transitions[index] = scope.transitions;
    const entry = resultEntry(
      this,
      index,
      status,
      JSON.stringify(scope.execution.Input),
      outputText,
      isoDate(this.startDates[index]!),
      isoDate(stopDate),
      failure,
    );
    try {
      const position = this.log.append(entry);
      this.logOffsets[index] = position.offset;
      this.logLengths[index] = position.length;
    } catch (error) {
      // Disk full or the like: the child's record is lost (length 0) and the driver fails the Map Run.
      this.logError ??= error as Error;
    }
    const itemCount = this.itemsPerChild[index]!;
    this.items.running -= itemCount;
    this.executions.running--;
    const bucket: keyof Counts =
      status === SUCCEEDED ? 'succeeded' : status === FAILED ? 'failed' : status === TIMED_OUT ? 'timedOut' : 'aborted';
    this.items[bucket] += itemCount;
    this.executions[bucket]++;
    const recent = status === SUCCEEDED ? this.recentSuccesses : this.recentFailures;
    const evicted = recent.push(index);
    if (evicted !== index) this.histories.set(index, scope.history);
    if (evicted >= 0) this.histories.delete(evicted);
    const waiting = this.waiters.get(index);
    if (waiting) {
      this.waiters.delete(index);
      for (const resolve of waiting) resolve();
    }
    return entry;
  }
}

/**
 * The Map's result when there is no ResultWriter: each child's output, or a failed child's whole
 * execution entry, as JSON text at its position. AWS's 256 KiB payload quota applies to that array, so collecting
 * stops, and the Map Run fails, as soon as it is exceeded.
 */
class OutputCollector {
  private texts: string[] = [];
  /** UTF-8 bytes of `[...]` so far. */
  bytes = 1;

  /** Adds one child's output; false once the array is over the payload quota. */
  add(index: number, text: string): boolean {
    this.bytes += Buffer.byteLength(text, 'utf8') + 1;
    if (this.bytes > PAYLOAD_LIMIT_BYTES) {
      this.texts = [];
      return false;
    }
    this.texts[index] = text;
    return true;
  }

  result(): Json {
    return JSON.parse(`[${this.texts.join(',')}]`) as Json;
  }
}

interface BatchConfig {
  maxItems: number;
  maxBytes: number;
  batchInput?: Json;
}

/** Reads a non-negative integer field or its `...Path` twin. */
function readLimit(
  value: number | undefined,
  path: string | undefined,
  field: string,
  effective: Json,
  context: ContextObject,
): number | undefined {
  if (path !== undefined) {
    return readNumber(
      path,
      effective,
      context,
      `${field}Path`,
      (v) => Number.isInteger(v) && v >= 0,
      'a non-negative integer',
    );
  }
  return value;
}

/**
 * Runs a Distributed Map state (docs: state-map-distributed.html): starts one child execution
 * per item (or batch) as concurrency allows, applies the tolerated failure threshold, writes
 * results with ResultWriter, and returns the Map's result (before ResultSelector/ResultPath).
 */
export async function runDistributedMap(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  frame: Frame,
): Promise<Json> {
  const scope = frame.scope;
  const env = scope.env;
  const raw = node.raw;
  const distributed = node.distributed!;
  const run = new MapRun(
    env,
    scope.executionArn,
    scope.stateMachineName,
    distributed.label,
    env.newUuid(),
    distributed.executionType,
  );
  run.roleArn = scope.execution.RoleArn;

  run.maxConcurrency = readMaxConcurrency(node, effective, context);
  const percentage =
    raw.ToleratedFailurePercentagePath !== undefined
      ? readNumber(
          raw.ToleratedFailurePercentagePath,
          effective,
          context,
          'ToleratedFailurePercentagePath',
          (v) => v >= 0 && v <= 100,
          'a number from 0 to 100',
        )
      : raw.ToleratedFailurePercentage;
  const count = readLimit(
    raw.ToleratedFailureCount,
    raw.ToleratedFailureCountPath,
    'ToleratedFailureCount',
    effective,
    context,
  );
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
  const collector = writer ? undefined : new OutputCollector();
  const outcome = await driveChildren(
    run,
    node.processor!,
    node,
    source,
    effective,
    context,
    frame,
    limit,
    batch,
    collector,
  ).finally(() => run.log.seal());

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
      const pending = failure
        ? pendingInputs(
            node,
            source,
            effective,
            context,
            env,
            run.startedItems,
            outcome.kind === 'failed' ? outcome.leftover : undefined,
          )
        : undefined;
      result = await writeResults(run, writer, pending);
    } catch (error) {
      const narrowed = asFailure(error);
      failure ??= new StatesError(
        StatesErrors.ResultWriterFailed,
        narrowed instanceof StatesError ? `${narrowed.error}: ${narrowed.cause}` : narrowed.message,
      );
      run.status = 'FAILED';
    }
  } else if (!failure) {
    result = collector!.result();
  }
  if (failure) {
    record(scope, 'MapRunFailed', { error: failure.error, cause: failure.cause });
    throw failure;
  }
  record(scope, 'MapRunSucceeded');
  return result;
}

function readBatchConfig(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  env: EngineEnvironment,
): BatchConfig | undefined {
  const batcher = node.raw.ItemBatcher;
  if (!batcher) return undefined;
  const maxItems = readLimit(
    batcher.MaxItemsPerBatch,
    batcher.MaxItemsPerBatchPath,
    'MaxItemsPerBatch',
    effective,
    context,
  );
  const maxBytes = readLimit(
    batcher.MaxInputBytesPerBatch,
    batcher.MaxInputBytesPerBatchPath,
    'MaxInputBytesPerBatch',
    effective,
    context,
  );
  const batchInput =
    batcher.BatchInput !== undefined
      ? renderPayloadTemplate(batcher.BatchInput, effective, context, 'BatchInput', env.random)
      : undefined;
  return {
    maxItems: maxItems || Number.POSITIVE_INFINITY,
    // A batch is a child's input, so it can never exceed the 256 KiB payload quota.
    maxBytes: Math.min(maxBytes || Number.POSITIVE_INFINITY, 256 * 1024),
    batchInput,
  };
}

/** How the children ended; `leftover` is an item pulled for a batch but never started. */
type DriveOutcome =
  | { kind: 'done' }
  | { kind: 'failed'; error: StatesError; leftover?: Json }
  | { kind: 'stopped'; reason: unknown };

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
  collector: OutputCollector | undefined,
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
      for (const child of run.inflight.values()) child.controller.abort(frame.signal.reason);
    };
    frame.signal.addEventListener('abort', onParentStop, { once: true });

    const failRun = (error: StatesError): void => {
      if (failure) return;
      failure = error;
      const halt = new Halt('ABORTED', error.error, `Map Run ${run.mapRunArn} failed`);
      for (const child of run.inflight.values()) child.controller.abort(halt);
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
      const base =
        batch.batchInput !== undefined
          ? JSON.stringify({ BatchInput: batch.batchInput, Items: [] }).length
          : '{"Items":[]}'.length;
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
      const input: JsonObject =
        batch.batchInput !== undefined ? { BatchInput: batch.batchInput, Items: items } : { Items: items };
      return { input, items: items.length };
    };

    const complete = (
      index: number,
      scope: ExecutionScope,
      status: number,
      output: Json,
      error?: StatesError | Halt,
    ): void => {
      let failureDetails: { error: string; cause: string } | undefined;
      let outputText: string | undefined;
      if (error) {
        failureDetails = { error: error.error, cause: error.cause };
        if (status === ABORTED) record(scope, 'ExecutionAborted', failureDetails);
        else record(scope, status === TIMED_OUT ? 'ExecutionTimedOut' : 'ExecutionFailed', failureDetails);
      } else {
        outputText = JSON.stringify(output);
        record(scope, 'ExecutionSucceeded', { output: new JsonText(output), outputDetails: { truncated: false } });
      }
      const entry = run.finishChild(index, scope, status, outputText, failureDetails);
      parent.transitions += scope.transitions;
      if (run.logError && !failure) {
        failRun(
          new StatesError(
            StatesErrors.Runtime,
            `The Map Run ${run.mapRunArn} could not record its children in its spill file: ${run.logError.message}`,
          ),
        );
        return;
      }
      if (collector && !failure) {
        // A successful child contributes its output (Transformation COMPACT, the default without a
        // ResultWriter); a failed one its execution result unchanged, as Transformation NONE would
        // (docs: input-output-resultwriter.html), i.e. the entry a result file would hold.
        if (!collector.add(index, outputText ?? entry)) {
          failRun(
            new StatesError(
              StatesErrors.DataLimitExceeded,
              `The result of the Distributed Map state '${node.name}' (the outputs of its child executions) exceeded the maximum of ${PAYLOAD_LIMIT_BYTES} bytes` +
                ` after ${run.executions.succeeded + run.executions.failed + run.executions.timedOut + run.executions.aborted} of ${run.totalItems} items; use a ResultWriter to export large results to Amazon S3.`,
            ),
          );
          return;
        }
      }
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
      if (narrowed instanceof Halt)
        complete(index, scope, narrowed.status === 'FAILED' ? FAILED : ABORTED, null, narrowed);
      else complete(index, scope, FAILED, null, narrowed);
    };

    const startChild = (input: Json, itemCount: number): void => {
      const index = run.addChild(itemCount);
      // One transition per child the Distributed Map starts (Step Functions pricing).
      parent.transitions++;
      const controller = new AbortController();
      const startDate = run.startDateOf(index);
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
      record(scope, 'ExecutionStarted', {
        input: new JsonText(input),
        inputDetails: { truncated: false },
        roleArn: parent.execution.RoleArn,
      });
      let outcome: Json | Promise<Json>;
      try {
        outcome = runGraph(processor, input, { scope, signal: controller.signal });
      } catch (error) {
        settle(index, scope, error);
        return;
      }
      if (outcome instanceof Promise) {
        running++;
        run.inflight.set(index, { controller, scope });
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
      else if (failure)
        resolve(
          lookahead === undefined
            ? { kind: 'failed', error: failure }
            : { kind: 'failed', error: failure, leftover: lookahead },
        );
      else resolve({ kind: 'done' });
    };
    if (frame.signal.aborted) onParentStop();
    pump();
  });
}

/**
 * The inputs of the items never started (PENDING_n.json when the Map Run fails), pulled from
 * the reader one at a time as the file is written.
 */
function* pendingInputs(
  node: StateNode,
  source: ItemSource,
  effective: Json,
  context: ContextObject,
  env: EngineEnvironment,
  firstIndex: number,
  leftover: Json | undefined,
): Generator<Json> {
  let index = firstIndex;
  if (leftover !== undefined) {
    yield leftover;
    index++;
  }
  for (;;) {
    let value: Json | undefined;
    try {
      value = source.next();
    } catch {
      // A record that cannot be read is left out of PENDING; the Map Run has failed already.
      return;
    }
    if (value === undefined) return;
    yield selectItem(node, effective, context, index++, value, env.random);
  }
}
