/**
 * What a redrive reruns (docs: step-functions/latest/dg/redrive-executions.html): an execution
 * that ended unsuccessfully is continued from the state it failed in, with the input that state
 * received; states that succeeded before are not run again. Inside a Parallel or inline Map
 * state, only the branches and iterations that failed or were aborted run again; a Distributed
 * Map redrives its Map Run.
 */
import type { ContextObject, Json } from '../types';
import type { MapRunHandle } from './map-run-handle';
import type { VariableScope } from './variables';

/** Where a scope (an execution, a branch, an iteration, a child) stopped, and with what. */
export interface ResumePoint {
  /** The state the scope was in (or about to enter) when it ended. */
  state: string;
  /** That state's input. */
  input: Json;
  /** The scope's variables as they were then. */
  variables: VariableScope;
  /** `$$.Map.Item` of an inline Map iteration. */
  item?: ContextObject['Map'] | undefined;
  /** What the state itself reruns, for a Parallel or Map state. */
  inner?: InnerResume | undefined;
}

/** A branch or iteration as the last attempt left it: done with its output, or to resume; undefined when it never started. */
export type BranchOutcome = { output: Json } | { resume: ResumePoint } | undefined;

export type InnerResume =
  /** A Parallel state's branches or an inline Map's iterations, by index. */
  | { kind: 'branches'; outcomes: BranchOutcome[] }
  /** A Distributed Map state whose Map Run failed or was aborted. */
  | { kind: 'mapRun'; run: MapRunHandle };

/** Why an execution cannot be redriven, in the words DescribeExecution's `redriveStatusReason` uses (API_DescribeExecution.html). */
export const NOT_REDRIVABLE = {
  deleting: 'State machine is in DELETING status',
  running: 'Execution is RUNNING and cannot be redriven',
  succeeded: 'Execution is SUCCEEDED and cannot be redriven',
  historyLimit: 'Execution history event limit exceeded',
  maxTime: 'Execution has exceeded the max execution time',
  period: 'Execution redrivable period exceeded',
} as const;

/** 14 days after an execution stops it can no longer be redriven (API_RedriveExecution.html). */
export const REDRIVABLE_PERIOD_MS = 14 * 24 * 3600 * 1000;
/** A Standard execution may stay open one year (API_RedriveExecution.html, "maximum open time"). */
export const MAX_OPEN_MS = 365 * 24 * 3600 * 1000;
