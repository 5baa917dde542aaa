import { type FailureDetails, StatesError, StatesErrors } from '../errors';
import { parseTimestamp } from '../expressions';
import type { ObjectStore } from '../object-store';
import type { Clock, ContextObject, HistoryEvent, Json, JsonObject } from '../types';
import type { MapRunHandle } from './map-run-handle';
import type { InnerResume, ResumePoint } from './redrive';
import type { Graph, StateNode } from './state-graph';
import type { VariableScope } from './variables';

/** AWS's state payload quota: 256 KiB of UTF-8. */
export const PAYLOAD_LIMIT_BYTES = 256 * 1024;

/**
 * Ends an execution, a branch or a child from the outside (StopExecution, execution timeout,
 * a sibling branch failing, a Map Run failing). Never matched by Retry or Catch.
 */
export class Halt extends Error {
  override readonly name = 'Halt';
  constructor(
    readonly status: 'ABORTED' | 'TIMED_OUT' | 'FAILED',
    readonly error: string,
    override readonly cause: string,
  ) {
    super(`${status}: ${error}${cause ? `: ${cause}` : ''}`);
  }
}

/** What the interpreter needs from the service around it. */
export interface EngineEnvironment {
  clock: Clock;
  random: () => number;
  region: string;
  accountId: string;
  objectStore: ObjectStore;
  /** Full histories kept for this many most recent successful children per Map Run. */
  childHistoryLimit: number;
  /** Full histories kept for this many most recent failed, timed-out or aborted children per Map Run. */
  failedChildHistoryLimit: number;
  /** Where a Map Run's log of finished children spills once it outgrows `spillMemoryBytes`. */
  spillDirectory: string;
  /** Bytes of finished children's records a Map Run holds in memory before appending them to its spill file. */
  spillMemoryBytes: number;
  /** AWS fails an execution whose history would exceed 25,000 events. */
  maxHistoryEvents: number;
  /** Local cap on concurrent children when a Distributed Map sets no MaxConcurrency (0). */
  maxChildConcurrency: number;
  /** Local cap on concurrent iterations of an inline Map with MaxConcurrency 0. */
  maxInlineConcurrency: number;
  newUuid: () => string;
  /** Checks a call the engine makes itself with an execution's role (see LocalStepFunctionsOptions.authorize). */
  authorize: EngineAuthorizer;
  registerMapRun(run: MapRunHandle): void;
}

/** The denial message for a call the role may not make, or undefined when it may. */
export type EngineAuthorizer = (call: { roleArn: string; action: string; resource: string }) => string | undefined;

export type { MapRunHandle } from './map-run-handle';

/** One execution as it runs: a top-level execution or a Distributed Map child. */
export interface ExecutionScope {
  env: EngineEnvironment;
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  execution: ContextObject['Execution'];
  history: HistoryEvent[];
  /** Billed transitions: own states and retries, plus 1 + the transitions of every Distributed Map child. */
  transitions: number;
  mapRuns: MapRunHandle[];
}

/** A line of execution within a scope: the whole execution, a Parallel branch or an inline Map iteration. */
export interface Frame {
  scope: ExecutionScope;
  signal: AbortSignal;
  /** The workflow variables of this line of execution (docs: workflow-variables.html, "Variable scope"). */
  variables: VariableScope;
  /** Set when the scope ends with a failure nothing caught: where a redrive continues it. */
  failedAt?: ResumePoint | undefined;
  /** Set by a Parallel or Map state as it fails: what a redrive reruns inside it. */
  innerResume?: InnerResume | undefined;
  /** Given to the first state of a redriven scope: what it reruns inside (see redrive.ts). */
  redrive?: InnerResume | undefined;
}

/** Appends an event; details are stored unwrapped (see history.ts). */
export function record(scope: ExecutionScope, type: string, details?: Record<string, unknown>): void {
  const history = scope.history;
  const id = history.length + 1;
  if (id > scope.env.maxHistoryEvents) {
    throw new Halt(
      'FAILED',
      StatesErrors.Runtime,
      `The execution reached the maximum number of history events (${scope.env.maxHistoryEvents}).`,
    );
  }
  history.push({ id, previousEventId: id - 1, timestamp: scope.env.clock.now(), type, details });
}

/** Throws States.DataLimitExceeded when a payload is larger than 256 KiB. */
export function checkPayloadSize(value: Json, what: string): void {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'string' || value.length * 3 <= PAYLOAD_LIMIT_BYTES) return;
  }
  const text = JSON.stringify(value);
  if (text.length <= PAYLOAD_LIMIT_BYTES / 3) return;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > PAYLOAD_LIMIT_BYTES) {
    throw new StatesError(
      StatesErrors.DataLimitExceeded,
      `The ${what} has a size of ${bytes} bytes, which exceeds the maximum of ${PAYLOAD_LIMIT_BYTES} bytes.`,
    );
  }
}

/** Narrows anything thrown inside a state into what Retry/Catch (or the execution) sees. */
export function asFailure(error: unknown, fallback: string = StatesErrors.Runtime): StatesError | Halt {
  if (error instanceof Halt || error instanceof StatesError) return error;
  if (typeof error === 'object' && error !== null) {
    const candidate = error as { error?: unknown; cause?: unknown; message?: unknown };
    if (typeof candidate.error === 'string') {
      return new StatesError(
        candidate.error,
        typeof candidate.cause === 'string' ? candidate.cause : String(candidate.message ?? ''),
      );
    }
    return new StatesError(fallback, String(candidate.message ?? error));
  }
  return new StatesError(fallback, String(error));
}

/** The error and cause a failure reports; a Fail state's omitted Error or Cause stays absent. */
export function failureDetails(failure: StatesError | Halt): FailureDetails {
  return failure instanceof StatesError ? failure.details : { error: failure.error, cause: failure.cause };
}

/** Errors whose cause already names the state that raised them (or that come from a service or a Fail state). */
const located = new WeakSet<StatesError>();

/** The errors a state raises itself (paths, payload size, item reading, intrinsics), whose cause names the state. */
const STATE_ERRORS: ReadonlySet<string> = new Set([
  StatesErrors.Runtime,
  StatesErrors.DataLimitExceeded,
  StatesErrors.ItemReaderFailed,
  StatesErrors.IntrinsicFailure,
  StatesErrors.ResultPathMatchFailure,
  StatesErrors.QueryEvaluationError,
]);

/** Keeps a failure's cause as it is: it comes from a service integration, a Fail state or an inner state. */
export function keepCause<T extends StatesError | Halt>(failure: T): T {
  if (failure instanceof StatesError) located.add(failure);
  return failure;
}

/**
 * Prefixes the cause of an error a state raised itself the way Step Functions words it:
 * `An error occurred while executing the state 'S' (entered at the event id #2). <detail>`.
 * Each failure is prefixed once, by the innermost state, so a Parallel or Map passes its
 * branches' and iterations' failures on unchanged.
 */
export function locateFailure(error: unknown, stateName: string, enteredEventId: number): unknown {
  if (!(error instanceof StatesError) || located.has(error) || !STATE_ERRORS.has(error.error)) return error;
  return keepCause(
    new StatesError(
      error.error,
      `An error occurred while executing the state '${stateName}' (entered at the event id #${enteredEventId}). ${error.cause}`,
    ),
  );
}

let lastIsoMs = Number.NaN;
let lastIso = '';

/** ISO-8601 text of an epoch-ms date. Thousands of children start and end within one millisecond, so the last answer is reused. */
export function isoDate(ms: number): string {
  if (ms !== lastIsoMs) {
    lastIso = new Date(ms).toISOString();
    lastIsoMs = ms;
  }
  return lastIso;
}

/** The result of one state: its output and the state to run next (none when the scope ends). */
export interface Step {
  output: Json;
  next?: string | undefined;
  /** The variables the state's Assign sets once it is done. */
  assigned?: JsonObject | undefined;
}

/** `$$.Map.Item` of an inline Map iteration (Distributed Map children see none). */
export type MapItem = ContextObject['Map'];

/**
 * Runs a `{StartAt, States}` scope to its end (the interpreter's `runGraph`); Map states receive
 * it to run their iterations and children, so they need not import the interpreter.
 */
export type GraphRunner = (
  graph: Graph,
  input: Json,
  frame: Frame,
  item?: MapItem,
  resume?: ResumePoint,
) => Json | Promise<Json>;

/** A sub-signal for branches or iterations: aborts with the parent, and on its own when a sibling fails. */
export function childController(frame: Frame): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  const onParent = (): void => controller.abort(frame.signal.reason);
  if (frame.signal.aborted) onParent();
  else frame.signal.addEventListener('abort', onParent, { once: true });
  return { controller, release: () => frame.signal.removeEventListener('abort', onParent) };
}

/** One year (365 days): the longest a Standard execution, hence a Wait, may last (docs: state-wait.html). */
const MAX_WAIT_MS = 365 * 24 * 3600 * 1000;

/**
 * A Wait state's delay: `seconds`, or until `timestamp` (RFC 3339 with an uppercase T and Z or an
 * offset; Step Functions considers the time up to seconds and truncates milliseconds, docs:
 * state-wait.html). A delay beyond one year fails with States.Runtime.
 */
export async function waitFor(
  node: StateNode,
  frame: Frame,
  seconds: number | undefined,
  timestamp: string | undefined,
): Promise<void> {
  const clock = frame.scope.env.clock;
  let waitMs = 0;
  if (seconds !== undefined) waitMs = seconds * 1000;
  else if (timestamp !== undefined) {
    const instant = parseTimestamp(timestamp);
    if (instant === undefined) {
      const field = node.raw.TimestampPath !== undefined ? `TimestampPath '${node.raw.TimestampPath}'` : 'Timestamp';
      throw new StatesError(
        StatesErrors.Runtime,
        `The ${field} of state '${node.name}' resolved to '${timestamp}', which is not an RFC 3339 timestamp with an uppercase T and a Z or a numeric offset (e.g. 2024-08-18T17:33:00Z)`,
      );
    }
    waitMs = instant.seconds * 1000 - clock.now();
  }
  if (waitMs > MAX_WAIT_MS) {
    throw new StatesError(
      StatesErrors.Runtime,
      `Wait state delay is too long: state '${node.name}' would wait ${Math.ceil(waitMs / 1000)} seconds, more than the ${MAX_WAIT_MS / 1000} seconds (one year) an execution may last`,
    );
  }
  if (waitMs > 0) await clock.sleep(waitMs, frame.signal);
}
