import { latestExecutionArn, type RunRecord, readRunLedgerView, runSummaryOf } from '../../run';
import { printFailures } from '../failure-list';
import { CliError, type CliIo } from '../io';
import { runningJobsOf } from '../live-jobs';
import { printRunSummary } from '../summary';
import { type AwsTarget, type AwsTargetOptions, openAwsTarget } from '../targets';

/**
 * `fanout status RUNID --aws`: the run's executions from Step Functions (DescribeExecution of the
 * one RUNID names and of the run's latest), its items from the ledger table, and while it runs,
 * how many of its jobs Batch reports STARTING or RUNNING.
 */
export async function awsStatus(
  options: { runId: string; json?: boolean; failures?: boolean; aws: AwsTargetOptions },
  io: CliIo,
): Promise<number> {
  const target = await openAwsTarget(options.aws);
  try {
    const record = await target.readRun(options.runId);
    if (!record)
      throw new CliError(
        `no run "${options.runId}" in ${target.where} (no execution of ${target.names.mapStateMachineArn} by that name, no row in ledger ${target.names.ledgerTable})`,
      );
    if (options.failures) return await printFailures(io, record.runId, options.json ?? false, target.location);
    const view = await readRunLedgerView(target.clients.dynamodb, target.names.ledgerTable, record.runId);
    const latest = await latestExecutionStatus(target, record, latestExecutionArn(record, view.followUps));
    const live =
      latest === 'RUNNING'
        ? await runningJobsOf(target.clients.batch, target.names.jobQueues ?? [], record)
        : undefined;
    const summary = runSummaryOf(record, view, latest, live);
    return printRunSummary(io, summary, options.json ?? false, target.location, view.failures);
  } finally {
    await target.close();
  }
}

async function latestExecutionStatus(
  target: AwsTarget,
  record: RunRecord,
  latestArn: string,
): Promise<RunRecord['status']> {
  if (latestArn === record.executionArn) return record.status;
  const latest = await target.describeExecution(latestArn);
  if (!latest?.status) return record.status;
  return latest.status === 'PENDING_REDRIVE' ? 'RUNNING' : latest.status;
}
