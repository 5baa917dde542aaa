import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../../config';
import { startDynamoDb } from '../../local/dynamodb';
import {
  countRunStatuses,
  failureReason,
  listFailedItems,
  type RunRecord,
  type RunSummary,
  readRunFollowUps,
  readRunRecord,
} from '../../run';
import { CliError, type CliIo, ExitCode } from '../io';
import { checkStateFree } from '../state-lock';
import { didYouMean, runNamesIn } from '../suggest';
import { printRunSummary, type RunLocation } from '../summary';
import { type AwsTargetOptions, localRunLocation, openAwsTarget } from '../targets';

export interface StatusOptions {
  runId: string;
  dir?: string;
  json?: boolean;
  /** List every failed item instead of the summary (`--failures`). */
  failures?: boolean;
  /** Read the run from a deployed stack instead of the local state directory (`--aws`). */
  aws?: AwsTargetOptions | undefined;
}

/**
 * `fanout status RUNID`: the run summary from the run's record and its ledger rows,
 * read after the process that ran it has exited, with the executions that retried it.
 * RUNID may also name a retry execution (`<runId>-retry-<n>`). Locally the record is
 * `<dir>/runs/<RUNID>.json`; on AWS it is the execution's DescribeExecution. Exit code 0 when
 * it succeeded.
 */
export async function statusCommand(options: StatusOptions, io: CliIo): Promise<number> {
  if (options.aws) {
    const target = await openAwsTarget(options.aws);
    try {
      const record = await target.readRun(options.runId);
      if (!record)
        throw new CliError(
          `no run "${options.runId}" in ${target.where} (no execution of ${target.names.mapStateMachineArn} by that name, no row in ledger ${target.names.ledgerTable})`,
        );
      if (options.failures) return await printFailures(io, record.runId, options.json ?? false, target.location);
      return await printRecordSummary(io, record, options.json ?? false, target.location);
    } finally {
      await target.close();
    }
  }
  const dir = resolve(options.dir ?? '.fanout');
  const record = readRunRecord(dir, options.runId);
  if (!record) throw new CliError(`no run "${options.runId}" in ${dir}${didYouMean(options.runId, runNamesIn(dir))}`);
  const config = loadConfig();
  checkStateFree(dir, options.dir ?? '.fanout');
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: dynamo.url,
    credentials: dynamo.credentials,
  });
  try {
    const location = localRunLocation(client, config.ledgerTable, dir, options.dir ?? '.fanout');
    if (options.failures) return await printFailures(io, record.runId, options.json ?? false, location);
    return await printRecordSummary(io, record, options.json ?? false, location);
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

/** Prints the summary of a run's (or retry execution's) record with the run's current ledger counts and retries. */
async function printRecordSummary(io: CliIo, record: RunRecord, json: boolean, location: RunLocation): Promise<number> {
  // A retry execution's record names the run it re-ran: the counts are that run's rows.
  const counts = (await countRunStatuses(location.ledger, location.tableName, record.runId)).counts;
  const followUps = await readRunFollowUps(location.ledger, location.tableName, record.runId);
  // A retry execution's summary lists no retries of its own.
  const retries = record.retryOf ? [] : followUps.retries;
  const { aggregate } = followUps;
  const summary: RunSummary = {
    ...record,
    counts,
    ...(retries.length > 0 ? { retries } : {}),
    ...(aggregate ? { aggregate } : {}),
  };
  return printRunSummary(io, summary, json, location);
}

/**
 * Every failed item of a run (FAILED, and the RETRYING or ABANDONED rows a failure led to), with
 * the reason that tells most (`failureReason`) and where its log is: one JSON line
 * `{runId, failures: [...]}` with `--json`, else one line per item. Exit code 0.
 */
async function printFailures(io: CliIo, runId: string, json: boolean, location: RunLocation): Promise<number> {
  const items = await listFailedItems(location.ledger, location.tableName, runId);
  const failures = items.map((item) => ({
    itemId: item.itemId,
    kwargs: item.kwargs === undefined ? null : (JSON.parse(item.kwargs) as unknown),
    status: item.status ?? 'FAILED',
    attempt: item.attempt ?? 1,
    failureClass: item.failureClass ?? null,
    reason: failureReason(item),
    exitCode: item.exitCode ?? null,
    statusReason: item.statusReason ?? null,
    containerReason: item.containerReason ?? null,
    jobId: item.jobId ?? null,
    log: item.logStream ? location.logLink(item.logStream) : null,
  }));
  if (json) {
    io.out(JSON.stringify({ runId, failures }));
    return ExitCode.Succeeded;
  }
  if (failures.length === 0) io.out(`run ${runId} has no failed items`);
  for (const failure of failures) {
    const exit = failure.exitCode === null ? '' : ` exit ${failure.exitCode}`;
    io.out(`${failure.itemId}${exit} ${failure.failureClass ?? 'UNKNOWN'}: ${failure.reason}`);
    io.out(`  kwargs: ${JSON.stringify(failure.kwargs)}${failure.log ? `\n  log: ${failure.log}` : ''}`);
  }
  return ExitCode.Succeeded;
}
