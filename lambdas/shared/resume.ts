import {
  type BatchClient,
  type JobDetail,
  type JobSummary,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  FailureClass,
  ITEM_TRANSITIONS,
  type ItemRow,
  ItemStatus,
  itemUpdate,
  NEVER_STARTED_STATUS_REASON,
  NOT_STARTED_ERROR,
  ORCHESTRATOR_LOST_ERROR,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
} from '../../run';
import { describeJobsById, jobVariable } from './batch-jobs';
import {
  attemptJobName,
  type ClaimDependencies,
  type ClaimedRound,
  isConditionFailure,
  moveFailedRow,
  retryDecision,
  writeRoundManifest,
} from './claims';
import { manifestLine } from './manifest';

/**
 * Resuming a run whose orchestrator died (the process running the local cloud was killed, or an
 * execution was lost): its PENDING and RETRYING rows never got an outcome, and only Batch knows
 * whether their jobs ran. Each row's current job is looked up by name; what Batch says decides.
 */

/** TerminateJob reason for a job still running when its run is resumed (its outcome would reach nobody). */
const RESUME_TERMINATE_REASON = 'Terminated by fanout resume: the execution that submitted the job is gone';

/** What resuming did, beyond the round it claimed. */
export interface ResumedRound extends ClaimedRound {
  /** Rows whose job had SUCCEEDED without its outcome being recorded; now SUCCEEDED. */
  recoveredCount: number;
  /** Rows whose job was lost; now FAILED with class ABORTED (then claimed when idempotent). */
  lostCount: number;
  /** Rows whose job never started; re-run as they are (settling only: marked FAILED, class NOT_STARTED). */
  notStartedCount: number;
}

export interface ResumeDependencies extends ClaimDependencies {
  batch: BatchClient;
}

/** Conditional writes in flight at once, as for retry claims. */
const WRITE_CONCURRENCY = 16;
const FINAL = new Set(['SUCCEEDED', 'FAILED']);

/** Prefers the job that says the most: SUCCEEDED, then one still going, then FAILED. */
function rank(job: JobSummary): number {
  return job.status === 'SUCCEEDED' ? 2 : FINAL.has(job.status ?? '') ? 0 : 1;
}

/**
 * Every job of the run's queue whose name starts with `<runId>-` (ListJobs with a JOB_NAME filter,
 * which lists every status; docs: batch/latest/APIReference/API_ListJobs.html), by name: all of
 * them, since another run's job may carry the same name (run `a`, item `b-c` and run `a-b`, item
 * `c` both name a job `a-b-c`); which is this run's is decided by its variables.
 */
async function listRunJobs(batch: BatchClient, jobQueue: string, runId: string): Promise<Map<string, JobSummary[]>> {
  const byName = new Map<string, JobSummary[]>();
  let nextToken: string | undefined;
  do {
    const page = await batch.send(
      new ListJobsCommand({
        jobQueue,
        filters: [{ name: 'JOB_NAME', values: [`${runId}-*`] }],
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const job of page.jobSummaryList ?? []) {
      const name = job.jobName as string;
      byName.set(name, [...(byName.get(name) ?? []), job]);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return byName;
}

/**
 * The job of a row's current attempt: of the jobs with its attempt's name, those whose
 * `FANOUT_RUN_ID` and `FANOUT_ITEM_ID` are the row's (a job described without variables is
 * trusted by its name), the one that says the most.
 */
function jobOfRow(
  row: ItemRow,
  runId: string,
  named: readonly JobSummary[],
  described: ReadonlyMap<string, JobDetail>,
): { job: JobSummary; detail: JobDetail } | undefined {
  let best: { job: JobSummary; detail: JobDetail } | undefined;
  for (const job of named) {
    const detail = described.get(job.jobId as string);
    if (!detail) continue;
    const run = jobVariable(detail, 'FANOUT_RUN_ID');
    const item = jobVariable(detail, 'FANOUT_ITEM_ID');
    if ((run !== undefined && run !== runId) || (item !== undefined && item !== row.itemId)) continue;
    if (!best || rank(job) > rank(best.job)) best = { job, detail };
  }
  return best;
}

/** Candidate jobs described by id: the detail holds the variables that tie a job to its run and item, the log stream and the container reason, which ListJobs does not give. */
function describeJobs(batch: BatchClient, candidates: JobSummary[]): Promise<Map<string, JobDetail>> {
  return describeJobsById(
    batch,
    candidates.map((job) => job.jobId as string),
  );
}

/**
 * Finishes a run whose orchestrator died: for each PENDING or RETRYING row, the job of its current
 * attempt (`attemptJobName(jobName, attempt)`) is looked up in Batch.
 * - SUCCEEDED: the row becomes SUCCEEDED with the job's outcome; it is not run again.
 * - still going (AWS keeps jobs running): terminated, then handled as lost.
 * - FAILED or terminated (locally `Host EC2 (instance local) terminated.`): the row becomes FAILED,
 *   class ABORTED, error `Fanout.OrchestratorLost`; then the retry rule decides (`retryDecision`,
 *   the Retry Lambda's): claimed for round `nextRound` when idempotent with attempts left,
 *   abandoned when out of attempts, kept FAILED when not idempotent (it may have had effects).
 * - no job, or one the local Batch service reports as never started (`NEVER_STARTED_STATUS_REASON`):
 *   it never ran; the row moves to round `nextRound` unchanged and runs, non-idempotent or not.
 * Every write is conditional on the row's status and attempt as read, so a concurrent resume or
 * a late writer never makes a row run twice or move backwards.
 * `claimant` (the resume execution's ARN) marks the rows it claims.
 * With `settleOnly` (a run that was stopped, not one to finish), rows are only settled: recovered
 * successes become SUCCEEDED, lost jobs FAILED/ABORTED, and rows whose job never started FAILED
 * with class NOT_STARTED (a later retry runs them); nothing is claimed or re-run.
 * @example await resumeRun(deps, header, header.round + 1)
 */
export async function resumeRun(
  deps: ResumeDependencies,
  run: RunHeaderRow,
  nextRound: number,
  options: { settleOnly?: boolean; claimant?: string } = {},
): Promise<ResumedRound> {
  const { runId } = run;
  const updatedAt = deps.now().toISOString();
  const jobs = await listRunJobs(deps.batch, run.jobQueue, runId);
  const lines: string[] = [];
  let recoveredCount = 0;
  let lostCount = 0;
  let notStartedCount = 0;
  let abandonedCount = 0;

  const update = async (command: UpdateCommand): Promise<Record<string, unknown> | undefined> => {
    try {
      const result = await deps.ledger.send(command);
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  };
  const asRead = (row: ItemRow) => ({ ':seenStatus': row.status, ':seenAttempt': row.attempt });
  const keyOf = (row: ItemRow) => ({ runId, itemId: row.itemId });

  const resumeRow = async (row: ItemRow, job: JobSummary | undefined, detail: JobDetail | undefined): Promise<void> => {
    // A job the (local) Batch service had queued but never launched did not run: as no job at all.
    const neverRan =
      job?.status === 'FAILED' && job.statusReason === NEVER_STARTED_STATUS_REASON && job.startedAt === undefined;
    if (!job || neverRan) {
      if (options.settleOnly) {
        // The run stopped before this item's job ran: a retry runs it, idempotent or not.
        const marked = await update(
          new UpdateCommand(
            itemUpdate(deps.tableName, keyOf(row), ITEM_TRANSITIONS.abortUnrecorded, {
              ':failureClass': FailureClass.NOT_STARTED,
              ':error': NOT_STARTED_ERROR,
              ':cause': "the run stopped before this item's job started",
              ':queue': run.jobQueue,
              ':runId': runId,
              ':updatedAt': updatedAt,
              ':round': row.round,
            }),
          ),
        );
        if (marked) notStartedCount += 1;
        return;
      }
      const moved = await update(
        new UpdateCommand(
          itemUpdate(deps.tableName, keyOf(row), ITEM_TRANSITIONS.reschedule, {
            ...asRead(row),
            ':round': nextRound,
            ':updatedAt': updatedAt,
          }),
        ),
      );
      if (!moved) return;
      notStartedCount += 1;
      lines.push(
        manifestLine({
          itemId: row.itemId,
          jobName: attemptJobName(row.jobName, row.attempt),
          kwargsJson: row.kwargs,
          idempotent: row.idempotent,
        }),
      );
      return;
    }
    const exitCode = job.container?.exitCode;
    // ListJobs gives no log stream or container reason: the description of the same job does.
    const logStream = detail?.container?.logStreamName ?? '';
    if (job.status === 'SUCCEEDED') {
      const recorded = await update(
        new UpdateCommand(
          itemUpdate(deps.tableName, keyOf(row), ITEM_TRANSITIONS.recoverSuccess, {
            ...asRead(row),
            ':jobId': job.jobId,
            ':exitCode': exitCode ?? 0,
            ':logStream': logStream,
            ':queue': run.jobQueue,
            ':startedAt': job.startedAt ?? null,
            ':stoppedAt': job.stoppedAt ?? null,
            ':updatedAt': updatedAt,
          }),
        ),
      );
      if (recorded) recoveredCount += 1;
      return;
    }
    if (!FINAL.has(job.status ?? '')) {
      await deps.batch.send(new TerminateJobCommand({ jobId: job.jobId, reason: RESUME_TERMINATE_REASON }));
    }
    const statusReason = job.statusReason ?? (FINAL.has(job.status ?? '') ? '' : RESUME_TERMINATE_REASON);
    const failed = await update(
      new UpdateCommand(
        itemUpdate(
          deps.tableName,
          keyOf(row),
          ITEM_TRANSITIONS.recordLost,
          {
            ...asRead(row),
            ':failureClass': FailureClass.ABORTED,
            ':error': ORCHESTRATOR_LOST_ERROR,
            ':cause': `Batch job ${job.jobId} was lost with the execution that submitted it: ${statusReason}`,
            ':jobId': job.jobId,
            ':exitCode': exitCode ?? null,
            ':statusReason': statusReason,
            ':containerReason': detail?.container?.reason ?? '',
            ':logStream': logStream,
            ':queue': run.jobQueue,
            ':runId': runId,
            ':updatedAt': updatedAt,
          },
          { returnNewRow: true },
        ),
      ),
    );
    if (!failed) return;
    lostCount += 1;
    if (options.settleOnly) return;
    const failedRow = failed as unknown as ItemRow;
    const decision = retryDecision(failedRow, run.retry.maxAttempts);
    if (decision === 'keep') return;
    // A resume that dies after this claim leaves the row RETRYING with no job: the next resume
    // finds it never started and runs it.
    const claimant = options.claimant ?? 'resume';
    if (!(await moveFailedRow(deps, runId, failedRow, decision, nextRound, updatedAt, claimant))) return;
    if (decision === 'abandon') {
      abandonedCount += 1;
      return;
    }
    lines.push(
      manifestLine({
        itemId: row.itemId,
        jobName: attemptJobName(row.jobName, row.attempt + 1),
        kwargsJson: row.kwargs,
        idempotent: row.idempotent,
      }),
    );
  };

  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ledger.send(
      new QueryCommand({
        TableName: deps.tableName,
        ConsistentRead: true,
        KeyConditionExpression: '#runId = :runId AND #itemId > :header',
        FilterExpression: '#status IN (:pending, :retrying)',
        ExpressionAttributeNames: { '#runId': 'runId', '#itemId': 'itemId', '#status': 'status' },
        ExpressionAttributeValues: {
          ':runId': runId,
          ':header': RUN_HEADER_ITEM_ID,
          ':pending': ItemStatus.PENDING,
          ':retrying': ItemStatus.RETRYING,
        },
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    const rows = (page.Items ?? []) as ItemRow[];
    const named = rows.map((row) => jobs.get(attemptJobName(row.jobName, row.attempt)) ?? []);
    const described = await describeJobs(deps.batch, named.flat());
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < rows.length) {
        const index = next++;
        const row = rows[index] as ItemRow;
        const found = jobOfRow(row, runId, named[index] ?? [], described);
        await resumeRow(row, found?.job, found?.detail);
      }
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, rows.length) }, worker));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);

  if (options.settleOnly) {
    return {
      manifest: null,
      itemCount: 0,
      round: run.round,
      abandonedCount,
      recoveredCount,
      lostCount,
      notStartedCount,
    };
  }
  const claimed = await writeRoundManifest(deps, runId, nextRound, lines, { emptyManifest: true });
  return { ...claimed, abandonedCount, recoveredCount, lostCount, notStartedCount };
}
