import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import type { RunPath, RunRecord } from '../../run';
import type { RunLocation } from '../summary';

/** The stack `--aws` uses when `--stack` does not name one. */
export const DEFAULT_STACK = 'Fanout';

/**
 * Where `fanout run`, `retry`, `status` and `cancel` find a run: the local cloud (`--dir`) or a
 * deployed stack (`--aws`). The commands take everything that differs from here, so both share
 * one code path.
 */
export interface Target {
  /** Where runs are, for people: the state directory, or `stack Fanout (eu-west-1)`. */
  readonly where: string;
  readonly clients: { sfn: SFNClient; dynamodb: DynamoDBClient; s3: S3Client; batch: BatchClient };
  readonly names: TargetNames;
  /** The ledger, log links and the flags of `fanout status`, for printing a summary. */
  readonly location: RunLocation;
  /** Milliseconds between progress polls when the command does not say. */
  readonly pollIntervalMs: number;
  /**
   * Billed state transitions of an ended execution, or null where the service does not report
   * them (AWS: see docs/deploy-cli.md, "State transitions").
   */
  stateTransitions(executionArn: string): Promise<number | null>;
  /**
   * Marks the run as followed by this process while its execution runs (locally the lock file
   * `fanout cancel` reads) and returns the function that ends that.
   */
  follow(runId: string, executionArn: string): () => void;
  /** Keeps an ended execution's record (locally `<dir>/runs/<name>.json`; on AWS Step Functions keeps it). */
  keepRecord(record: RunRecord, name: string): void;
}

/** The resources of a target, by the names its APIs take. */
export interface TargetNames {
  mapStateMachineArn: string;
  /** Present when the target has the array path. */
  arrayStateMachineArn?: string;
  ledgerTable: string;
  bucket: string;
  /** The job queues the array path's progress lists jobs on, when known. */
  jobQueues?: string[];
}

/** The run an execution belongs to, and the run it retries when it is a retry execution. */
export interface ExecutionRun {
  runId: string;
  /** @default 'map' */
  path?: RunPath;
  retryOf?: string;
}

/**
 * The record of one execution of either path, from its DescribeExecution output: status,
 * error, times, and for a retry execution the run it re-ran and how many items it re-ran.
 * An execution still running has no stop time (`stoppedAt` and `durationSeconds` null).
 */
export function executionRecord(
  execution: DescribeExecutionCommandOutput,
  run: ExecutionRun,
  stateTransitions: number | null,
): RunRecord {
  const startDate = execution.startDate ?? new Date();
  const stopDate = execution.stopDate;
  return {
    runId: run.runId,
    path: run.path ?? 'map',
    // PENDING_REDRIVE is the moment between a redrive request and the execution running again.
    status: (execution.status === 'PENDING_REDRIVE' ? 'RUNNING' : execution.status) as RunRecord['status'],
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    stateTransitions,
    executionArn: execution.executionArn as string,
    startedAt: startDate.toISOString(),
    stoppedAt: stopDate ? stopDate.toISOString() : null,
    durationSeconds: stopDate ? (stopDate.getTime() - startDate.getTime()) / 1000 : null,
    ...(run.retryOf ? { retryOf: run.retryOf, ...retriedItemCountOf(execution.output) } : {}),
  };
}

/** A retry execution that succeeded outputs Summarize's summary, which says how many items it re-ran. */
function retriedItemCountOf(output: string | undefined): { retriedItemCount?: number } {
  if (!output) return {};
  const count = (JSON.parse(output) as { retriedItemCount?: unknown }).retriedItemCount;
  return typeof count === 'number' ? { retriedItemCount: count } : {};
}

/**
 * The ARN of a state machine's execution by name (the form Step Functions gives every standard
 * execution: `arn:<partition>:states:<region>:<account>:execution:<machine>:<name>`).
 * @example executionArnOf('arn:aws:states:eu-west-1:123456789012:stateMachine:fanout-map', 'sweep-7')
 */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
