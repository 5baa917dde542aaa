import type { FailureDetails } from '../../errors';
import type {
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  Json,
  MapRunDescription,
  MapRunStatus,
} from '../../types';
import { NOT_REDRIVABLE, type ResumePoint } from '../redrive';
import { decodeResume, encodeResume } from '../resume-codec';
import { type EngineEnvironment, type ExecutionScope, Halt, isoDate, type MapRunHandle } from '../runtime';
import { type LogPosition, SpillLog } from '../spill-log';
import { type ChildRecord, childEntry, startAndEndEvents } from './child-entry';
import { ABORTED, FAILED, RUNNING, STATUS_NAMES, SUCCEEDED, TIMED_OUT } from './child-status';
import { ChildColumns, type Counts, mapRunCounts, RecentIndexes, zeroCounts } from './columns';

/** An unsuccessful child as a redrive finds it. */
export interface StoppedChild {
  input: Json;
  history: HistoryEvent[];
  transitions: number;
  /** Where it stopped; undefined for an EXPRESS child, or one that failed outside any state: it reruns from the start. */
  resume: ResumePoint | undefined;
}

/** Child names are UUID-shaped: the Map Run's UUID with its last 12 hex digits replaced by the child's index. */
const INDEX_DIGITS = 12;

/**
 * One Map Run: the children of one Distributed Map state execution. Each child costs a fixed
 * handful of numbers in typed columns (status, dates, transitions, item count, where its record
 * is in the log). A finished child's input, output, error and cause live in its ResultWriter
 * entry, appended to a {@link SpillLog} that stays in memory up to a budget and spills to a
 * temporary file beyond; DescribeExecution and the result files read entries back from there.
 * Full histories are kept only for the most recent successful and failed children. Where an
 * unsuccessful STANDARD child stopped (its resume point) follows its entry in the log, so that a
 * redrive can continue any of them while memory holds none of their payloads.
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
  toleratedFailurePercentage?: number | undefined;
  toleratedFailureCount?: number | undefined;
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
  /** Times the Map Run was redriven, and when last (API_DescribeMapRun.html). */
  redriveCount = 0;
  redriveDate?: number;
  /** Unsuccessful children a redrive is about to rerun, and their items (`pendingRedrive`). */
  private pendingRedrive = { executions: 0, items: 0 };
  /** The unsuccessful children of the current redrive not yet rerun. */
  private queued = new Set<number>();
  /** Map Runs of Distributed Map states inside unsuccessful children, that their resume points refer to. */
  private readonly nestedRuns = new Map<number, MapRunHandle[]>();
  private readonly columns = new ChildColumns();

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
    return index < this.columns.count ? index : -1;
  }

  get childCount(): number {
    return this.columns.count;
  }

  /** The child's status code (RUNNING, SUCCEEDED, ...). */
  statusCode(index: number): number {
    return this.columns.status[index]!;
  }

  statusOf(index: number): ExecutionStatus {
    return STATUS_NAMES[this.columns.status[index]!]!;
  }

  startDateOf(index: number): number {
    return this.columns.startDate[index]!;
  }

  /** Where a finished child's entry is in the log. */
  logPosition(index: number): LogPosition {
    return { offset: this.columns.logOffset[index]!, length: this.columns.logLength[index]! };
  }

  /** A finished child's input, output, error and cause, read back from the log. */
  private childRecord(index: number): ChildRecord {
    const position = this.logPosition(index);
    if (position.length === 0) return { Input: '' };
    return JSON.parse(this.log.read(position)) as ChildRecord;
  }

  childRedriveCount(index: number): number {
    return this.columns.redriveCount?.[index] ?? 0;
  }

  /** Billed transitions of a finished child. */
  transitionsOf(index: number): number {
    return this.columns.transitions[index]!;
  }

  describeChild(index: number): ExecutionDescription {
    const status = this.columns.status[index]!;
    const redriveCount = this.childRedriveCount(index);
    const description: ExecutionDescription = {
      executionArn: this.childArn(index),
      stateMachineArn: this.childStateMachineArn,
      name: this.childName(index),
      status: STATUS_NAMES[status]!,
      startDate: this.columns.startDate[index]!,
      input: '',
      mapRunArn: this.mapRunArn,
      stateTransitions: this.columns.transitions[index]!,
      redriveCount,
      // docs: API_DescribeExecution.html, a child is redriven only by its Map Run.
      redriveStatus: status === RUNNING || status === SUCCEEDED ? 'NOT_REDRIVABLE' : 'REDRIVABLE_BY_MAP_RUN',
    };
    if (redriveCount > 0) description.redriveDate = this.columns.redriveDate![index]!;
    if (status === RUNNING) description.redriveStatusReason = NOT_REDRIVABLE.running;
    if (status === SUCCEEDED) description.redriveStatusReason = NOT_REDRIVABLE.succeeded;
    if (status === RUNNING) {
      const scope = this.inflight.get(index)?.scope;
      description.input = JSON.stringify(scope?.execution.Input ?? null);
      if (scope) description.stateTransitions = scope.transitions;
      return description;
    }
    const child = this.childRecord(index);
    description.input = child.Input;
    description.stopDate = this.columns.stopDate[index]!;
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
    const status = this.columns.status[index]!;
    if (status === RUNNING) {
      // A child that has not reached its first asynchronous state cannot be observed; kept for safety.
      return [];
    }
    return startAndEndEvents(this.childRecord(index), status, {
      start: this.columns.startDate[index]!,
      stop: this.columns.stopDate[index]!,
      roleArn: this.roleArn,
    });
  }

  waitForChild(index: number): Promise<void> {
    if (this.columns.status[index] !== RUNNING) return Promise.resolve();
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
    const description: MapRunDescription = {
      mapRunArn: this.mapRunArn,
      executionArn: this.executionArn,
      status: this.status,
      startDate: this.startDate,
      maxConcurrency: this.maxConcurrency,
      toleratedFailurePercentage: this.toleratedFailurePercentage ?? 0,
      toleratedFailureCount: this.toleratedFailureCount ?? 0,
      itemCounts: mapRunCounts(
        this.items,
        this.totalItems,
        this.totalItems - this.startedItems,
        this.resultsWritten ? this.startedItems : 0,
        this.pendingRedrive.items,
      ),
      executionCounts: mapRunCounts(
        this.executions,
        this.childCount,
        0,
        this.resultsWritten ? this.childCount : 0,
        this.pendingRedrive.executions,
      ),
      redriveCount: this.redriveCount,
    };
    if (this.stopDate !== undefined) description.stopDate = this.stopDate;
    if (this.redriveDate !== undefined) description.redriveDate = this.redriveDate;
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

  /** The unsuccessful children a redrive would rerun, lowest index first. */
  unsuccessfulChildren(): number[] {
    const indexes: number[] = [];
    for (let index = 0; index < this.columns.count; index++) {
      const status = this.columns.status[index]!;
      if (status === FAILED || status === TIMED_OUT || status === ABORTED) indexes.push(index);
    }
    return indexes;
  }

  /**
   * Starts a redrive (redrive-map-run.html): the Map Run is RUNNING again and its unsuccessful
   * children wait to rerun (`pendingRedrive`); they leave the failed, timed-out and aborted counts,
   * so the tolerated failure threshold counts the failures of this attempt. Returns their indexes.
   */
  beginRedrive(): number[] {
    this.redriveCount++;
    this.redriveDate = this.env.clock.now();
    this.status = 'RUNNING';
    delete this.stopDate;
    this.resultsWritten = 0;
    const indexes = this.unsuccessfulChildren();
    for (const index of indexes) this.movePending(index, 1);
    this.queued = new Set(indexes);
    return indexes;
  }

  /** Ends a redrive's children: those it did not rerun (the Map Run failed or stopped first) count as unsuccessful again. */
  endRedrive(): void {
    for (const index of this.queued) this.movePending(index, -1);
    this.queued.clear();
  }

  /** Moves an unsuccessful child from its status count to `pendingRedrive` (1) or back (-1). */
  private movePending(index: number, direction: 1 | -1): void {
    const status = this.columns.status[index]!;
    const bucket: keyof Counts = status === FAILED ? 'failed' : status === TIMED_OUT ? 'timedOut' : 'aborted';
    const itemCount = this.columns.items[index]!;
    this.items[bucket] -= direction * itemCount;
    this.executions[bucket] -= direction;
    this.pendingRedrive.items += direction * itemCount;
    this.pendingRedrive.executions += direction;
  }

  /**
   * Reruns an unsuccessful child: RUNNING again, its redrive count one more. Returns what it
   * stopped with, read back from the log: its input, its history (complete if it was among the
   * most recent failures, else its start and end events rebuilt), its billed transitions and, for
   * a STANDARD child, where it stopped.
   */
  restartChild(index: number): StoppedChild {
    const stopped: StoppedChild = {
      input: JSON.parse(this.childRecord(index).Input) as Json,
      history: this.childHistory(index),
      transitions: this.columns.transitions[index]!,
      resume: this.resumePoint(index),
    };
    this.columns.resumeLength[index] = 0;
    this.nestedRuns.delete(index);
    this.queued.delete(index);
    const itemCount = this.columns.items[index]!;
    this.pendingRedrive.items -= itemCount;
    this.pendingRedrive.executions--;
    this.columns.status[index] = RUNNING;
    this.items.running += itemCount;
    this.executions.running++;
    this.columns.redriven(index, this.env.clock.now());
    return stopped;
  }

  /** Where an unsuccessful child stopped, read back from the log; undefined when it reruns from the start. */
  private resumePoint(index: number): ResumePoint | undefined {
    const length = this.columns.resumeLength[index]!;
    if (length === 0) return undefined;
    const text = this.log.read({ offset: this.columns.logOffset[index]! + this.columns.logLength[index]!, length });
    return decodeResume(text, this.nestedRuns.get(index) ?? []);
  }

  /** Records a new child; returns its index. */
  addChild(itemCount: number): number {
    const index = this.columns.add();
    this.columns.status[index] = RUNNING;
    this.columns.startDate[index] = this.env.clock.now();
    this.columns.items[index] = itemCount;
    this.startedItems += itemCount;
    this.items.running += itemCount;
    this.executions.running++;
    return index;
  }

  /**
   * Records a child's end: appends its ResultWriter entry to the log (then, for an unsuccessful
   * STANDARD child, `resume`, where a redrive continues it), updates the counts and keeps its
   * history if it is among the most recent ones. Returns the entry (compact JSON).
   */
  finishChild(
    index: number,
    scope: ExecutionScope,
    status: number,
    outputText: string | undefined,
    failure?: FailureDetails,
    resume?: ResumePoint,
  ): string {
    const stopDate = this.env.clock.now();
    this.columns.status[index] = status;
    this.columns.stopDate[index] = stopDate;
    this.columns.transitions[index] = scope.transitions;
    const entry = childEntry({
      executionArn: this.childArn(index),
      name: this.childName(index),
      stateMachineArn: this.childStateMachineArn,
      status,
      inputText: JSON.stringify(scope.execution.Input),
      outputText,
      startDate: isoDate(this.columns.startDate[index]!),
      stopDate: isoDate(stopDate),
      failure,
      redriveCount: this.childRedriveCount(index),
    });
    this.columns.resumeLength[index] = 0;
    try {
      const position = this.log.append(entry);
      this.columns.logOffset[index] = position.offset;
      this.columns.logLength[index] = position.length;
      // An EXPRESS child runs again from the start: its input, in its entry, is all a redrive needs.
      if (resume && status !== SUCCEEDED && this.executionType === 'STANDARD') {
        const encoded = encodeResume(resume);
        // Appended right after the entry, so its offset need not be kept.
        this.columns.resumeLength[index] = this.log.append(encoded.text).length;
        if (encoded.runs.length > 0) this.nestedRuns.set(index, encoded.runs);
      }
    } catch (error) {
      // Disk full or the like: the child's record is lost (length 0) and the driver fails the Map Run.
      this.logError ??= error as Error;
    }
    const itemCount = this.columns.items[index]!;
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
