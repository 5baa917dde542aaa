import type { AggregateOutcome, RunStatus, StatusCounts } from '../../run';

/**
 * What an execution outputs and Notify publishes: the run summary as the state machine sees it
 * (docs/map-path.md, "Run summary"; the array path's Collect returns it too, docs/array-path.md).
 * The CLI prints its own view of a run, `RunSummary` (run/record.ts).
 */
export interface RunOutput {
  runId: string;
  path: 'map' | 'array';
  status: RunStatus;
  counts: StatusCounts;
  /** Items Prepare accepted; equals `counts.total` unless rows went missing. */
  itemCount: number;
  /** Ids of up to 10 items still PENDING: they were never started or their outcome was never recorded. */
  pendingItemIds: string[];
  startedAt: string;
  stoppedAt: string;
  durationMs: number;
  executionArn?: string;
  mapRunArn?: string;
  results?: { bucket: string; key: string };
  error?: { error: string; cause: string };
  /** A retry execution (`retryOf`): the run it re-ran, whose rows the counts are. */
  retryOf?: string;
  /** A retry execution: the items it claimed and re-ran (0 when there was nothing to retry). */
  retriedItemCount?: number;
  /** Array path: the Batch jobs this execution submitted, in manifest order. */
  arrayJobs?: Array<{ jobName: string; jobId?: string; size: number; status: string }>;
  /** How the aggregation job ended; absent when the run has none or it did not run (the fan-out failed). */
  aggregate?: AggregateOutcome;
}

/** What both paths' summaries share, from Prepare's output and the ledger counts when the run ended. */
export function runOutputBase(
  path: RunOutput['path'],
  prepared: {
    runId: string;
    itemCount: number;
    createdAt: string;
    executionArn?: string | undefined;
    retryOf?: string | undefined;
    retriedItemCount?: number | undefined;
  },
  outcome: {
    status: RunStatus;
    counts: StatusCounts;
    pendingSample: string[];
    stopped: Date;
    error?: { error: string; cause: string } | undefined;
    aggregate?: AggregateOutcome | undefined;
  },
): RunOutput {
  const { status, counts, pendingSample, stopped, error, aggregate } = outcome;
  return {
    runId: prepared.runId,
    path,
    status,
    counts,
    itemCount: prepared.itemCount,
    pendingItemIds: pendingSample,
    startedAt: prepared.createdAt,
    stoppedAt: stopped.toISOString(),
    durationMs: Math.max(0, stopped.getTime() - Date.parse(prepared.createdAt)),
    ...(prepared.executionArn ? { executionArn: prepared.executionArn } : {}),
    ...(error ? { error } : {}),
    ...(prepared.retryOf === undefined
      ? {}
      : { retryOf: prepared.retryOf, retriedItemCount: prepared.retriedItemCount ?? 0 }),
    ...(aggregate ? { aggregate } : {}),
  };
}
