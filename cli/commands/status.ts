import { resolve } from 'node:path';
import { logFileFor } from '../../local/batch/executor/log-file';
// Only light modules at start-up: the AWS SDK, the target and DynamoDB load when needed.
import type { RunLedgerView } from '../../run/ledger-view';
import { readRunExecutions, readRunRecord, runSummaryOf } from '../../run/record';
import { CliError, type CliIo, ExitCode } from '../io';
import { readLedgerView } from '../ledger-snapshot';
import { liveEndpointsOf } from '../live-endpoints';
import { checkStateFree, stateHolder } from '../state-lock';
import { didYouMean, runNamesIn } from '../suggest';
import { printRunSummary, type SummaryHints } from '../summary';
import type { AwsTargetOptions } from '../targets/aws';

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
 * `fanout status RUNID`: the run's summary in the status model (docs/run-status.md): its
 * current status across all its executions and its items counted from the ledger, read after
 * the process that ran it has exited. RUNID may also name a retry execution
 * (`<runId>-retry-<n>`). Locally the executions are `<dir>/runs/*.json` and the ledger is read
 * from its snapshot when the store has not changed since (cli/ledger-snapshot.ts); on AWS they
 * are DescribeExecution and the ledger table. While a live `fanout local serve` or `fanout run`
 * holds the folder, both are read through that process's endpoints (./status-live.ts). Exit code 0 when the run succeeded or completed
 * within its tolerated failures.
 */
export async function statusCommand(options: StatusOptions, io: CliIo): Promise<number> {
  if (options.aws) {
    const { awsStatus } = await import('./status-aws');
    return awsStatus({ ...options, aws: options.aws }, io);
  }
  const dirText = options.dir ?? '.fanout';
  const dir = resolve(dirText);
  const hints: SummaryHints = {
    logLink: (logStream) => logFileFor(dir, logStream),
    statusFlags: `--dir ${dirText}`,
  };
  const holder = stateHolder(dir);
  const live = holder && liveEndpointsOf(dir, holder);
  if (live) {
    // A live `local serve` or `fanout run` holds the ledger: read it, and its runs, through that process.
    const { liveStatus } = await import('./status-live');
    const request = { runId: options.runId, dir, json: options.json ?? false, failures: options.failures ?? false };
    try {
      return await liveStatus({ ...request, hints }, live, io);
    } catch (error) {
      if (stateHolder(dir)) throw error;
      // It ended meanwhile: its records and ledger are the folder's again.
    }
  }
  const record = readRunRecord(dir, options.runId);
  if (!record) throw new CliError(`no run "${options.runId}" in ${dir}${didYouMean(options.runId, runNamesIn(dir))}`);
  // A holder that publishes no endpoints holds the folder only for a moment (another status, a report).
  checkStateFree(dir, dirText);
  if (options.failures) return localFailures(dir, dirText, record.runId, options.json ?? false, hints, io);
  const view = readLedgerView(dir, record.runId) ?? (await readFromStore(dir, dirText, record.runId));
  // The run's record names its own execution (or its resume); the retry executions have their own.
  const latest = readRunExecutions(dir, record.runId).at(-1) ?? record;
  const summary = runSummaryOf(record, view, latest.status);
  return printRunSummary(io, summary, options.json ?? false, hints, view.failures);
}

async function readFromStore(dir: string, dirText: string, runId: string): Promise<RunLedgerView> {
  const { loadConfig } = await import('../../config');
  const { readLocalLedgerViews } = await import('./local-ledger');
  const views = await readLocalLedgerViews(dir, loadConfig(), [runId]);
  const view = views?.get(runId);
  if (!view) throw busyLedger(dirText);
  return view;
}

function busyLedger(dirText: string): CliError {
  return new CliError(`the ledger of ${dirText} is in use by another process; try again`, ExitCode.Busy);
}

async function localFailures(
  dir: string,
  dirText: string,
  runId: string,
  json: boolean,
  hints: SummaryHints,
  io: CliIo,
): Promise<number> {
  const { loadConfig } = await import('../../config');
  const { openLocalLedger } = await import('./local-ledger');
  const { printFailures } = await import('../failure-list');
  const config = loadConfig();
  const ledger = await openLocalLedger(dir, config);
  if (!ledger) throw busyLedger(dirText);
  try {
    return await printFailures(io, runId, json, { ...hints, ledger: ledger.client, tableName: config.ledgerTable });
  } finally {
    await ledger.close();
  }
}
