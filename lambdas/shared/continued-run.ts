import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type PreparedRun,
  type RetryLineage,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  type RunPath,
  reopenedRunUpdate,
} from '../../run';
import { ARRAY_THRESHOLDS, planArrays } from './arrays';
import { claimRetryCandidates, retryRoundThresholds } from './claims';
import { FanoutInputError } from './errors';
import { type ResumeDependencies, resumeRun } from './resume';
import { completeRunPlan, type PlanDependencies } from './run-plan';
import { RESUME_TERMINATE_REASON, settleStoppedArrayRun } from './settle-array';

/**
 * Executions that continue an earlier run instead of starting one: a retry (`retryOf`) re-runs
 * its retry candidates, a resume (`resumeOf`) finishes what its dead execution left. Both reopen
 * the run's header and hand the Map a new round of the run's own rows.
 */

/** The execution that continues the run. */
interface ContinuingExecution {
  executionArn: string;
}

/**
 * Opens an earlier run again for a new execution: reads its header row (the input field that
 * named it is blamed when there is none), marks it RUNNING and appends this execution to the
 * header's `lineage` list. A retried Prepare (same execution) may add its entry twice, which
 * `fanout status` shows as it is.
 */
async function reopenRun(
  deps: ResumeDependencies & PlanDependencies,
  event: ContinuingExecution,
  runId: string,
  field: 'retryOf' | 'resumeOf',
  lineageList: 'retries' | 'resumes',
  path: RunPath,
): Promise<{ run: RunHeaderRow; startedAt: string }> {
  const response = await deps.ledger.send(
    new GetCommand({ TableName: deps.tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID }, ConsistentRead: true }),
  );
  const run = response.Item as RunHeaderRow | undefined;
  if (!run) {
    throw FanoutInputError.of(
      field,
      field === 'resumeOf'
        ? `no run with this id in ledger ${deps.tableName} (a run whose process died before preparing it left nothing: run its input again)`
        : `no run with this id in ledger ${deps.tableName}`,
      runId,
    );
  }
  const runPath: RunPath = run.path ?? 'map';
  if (runPath !== path) {
    throw FanoutInputError.of(
      field,
      `the run ran on the ${runPath} path; ${field === 'retryOf' ? 'retry' : 'resume'} it with the ${runPath} path's state machine`,
      runId,
    );
  }
  if (run.planned === false) {
    // Its Prepare died before the commit point: nothing of it ran yet.
    if (field === 'retryOf') {
      throw FanoutInputError.of(
        field,
        'its plan was never completely written (the process that started it died while preparing it); finish it with the resume command first',
        runId,
      );
    }
    await completeRunPlan(deps, run);
  }
  const startedAt = deps.now().toISOString();
  const lineage: RetryLineage = { executionArn: event.executionArn, startedAt };
  await deps.ledger.send(new UpdateCommand(reopenedRunUpdate(deps.tableName, runId, lineageList, lineage)));
  return { run, startedAt };
}

/** What an execution continuing an earlier run hands to the Map: the run's own settings, a new round and manifest. */
function continuedRun(
  run: RunHeaderRow,
  event: ContinuingExecution,
  startedAt: string,
  round: { round: number; manifest: { bucket: string; key: string } | null },
): PreparedRun {
  return {
    runId: run.runId,
    path: run.path ?? 'map',
    round: round.round,
    itemCount: run.itemCount,
    executionArn: event.executionArn,
    createdAt: startedAt,
    manifest: round.manifest ?? run.manifest,
    resultPrefix: run.resultPrefix,
    jobQueue: run.jobQueue,
    jobDefinition: run.jobDefinition,
    command: run.command,
    // Runs prepared before jobs had a declared environment and timeout run on with none.
    environment: run.environment ?? {},
    jobTimeout: run.jobTimeout ?? {},
    // Runs prepared before jobs could name a share keep submitting without one.
    scheduling: run.scheduling ?? {},
    maxConcurrency: run.maxConcurrency,
    ...retryRoundThresholds(run),
    retry: run.retry,
    idempotent: run.idempotent,
    // A retry or resume changes the items' outcomes, so the aggregation runs again over them.
    ...(run.aggregate ? { aggregate: run.aggregate } : {}),
  };
}

/**
 * The array path's next round: the run's retry candidates are claimed, and the claimed items
 * become a smaller array (new index i runs the i-th claimed item).
 */
async function claimArrayRound(
  deps: ResumeDependencies & PlanDependencies,
  run: RunHeaderRow,
  event: ContinuingExecution,
  startedAt: string,
): Promise<{ prepared: PreparedRun; itemCount: number }> {
  const claimed = await claimRetryCandidates(deps, run, run.round + 1, {
    emptyManifest: true,
    indexed: true,
    claimant: event.executionArn,
  });
  return {
    prepared: {
      ...continuedRun(run, event, startedAt, claimed),
      ...ARRAY_THRESHOLDS,
      index: claimed.index as { bucket: string; key: string },
      arrays: planArrays(run.runId, claimed.round, claimed.itemCount),
    },
    itemCount: claimed.itemCount,
  };
}

/**
 * Prepares an execution that re-runs an earlier run's retry candidates: no new items, the
 * earlier run's own rows are claimed (the rule and code of the Retry Lambda) and updated in
 * place, so the ledger keeps one row per item. Records the execution in the header's `retries`.
 * With nothing to claim the manifest is empty and the Map runs zero items.
 */
export async function prepareRetry(
  deps: ResumeDependencies & PlanDependencies,
  event: ContinuingExecution,
  runId: string,
  path: RunPath,
): Promise<PreparedRun> {
  const { run, startedAt } = await reopenRun(deps, event, runId, 'retryOf', 'retries', path);
  if (path === 'array') {
    const { prepared, itemCount } = await claimArrayRound(deps, run, event, startedAt);
    return { ...prepared, retryOf: runId, retriedItemCount: itemCount };
  }
  const claimed = await claimRetryCandidates(deps, run, run.round + 1, {
    emptyManifest: true,
    claimant: event.executionArn,
  });
  return { ...continuedRun(run, event, startedAt, claimed), retryOf: runId, retriedItemCount: claimed.itemCount };
}

/**
 * Prepares an execution that finishes a run whose execution died (`resumeOf`): each row without
 * an outcome is settled from what Batch knows of its job (`resumeRun`), and the items to run (never
 * started, or lost and idempotent) make the manifest of round `header.round + 1`. Records the
 * execution in the header's `resumes`. With nothing to run the Map runs zero items.
 */
export async function prepareResume(
  deps: ResumeDependencies & PlanDependencies,
  event: ContinuingExecution,
  runId: string,
  path: RunPath,
): Promise<PreparedRun> {
  const { run, startedAt } = await reopenRun(deps, event, runId, 'resumeOf', 'resumes', path);
  if (path === 'array') {
    // The dead execution's array jobs: children still going are terminated (their outcome would
    // reach nobody), every child's outcome is recorded as Collect would have, never-started items
    // become NOT_STARTED; then the items safe to run again become a smaller array, as for a retry.
    await settleStoppedArrayRun(deps, run, { terminateReason: RESUME_TERMINATE_REASON });
    const { prepared, itemCount } = await claimArrayRound(deps, run, event, startedAt);
    return { ...prepared, resumeOf: runId, resumedItemCount: itemCount };
  }
  const resumed = await resumeRun(deps, run, run.round + 1, { claimant: event.executionArn });
  return { ...continuedRun(run, event, startedAt, resumed), resumeOf: runId, resumedItemCount: resumed.itemCount };
}
