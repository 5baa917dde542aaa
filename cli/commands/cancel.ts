import { resolve } from 'node:path';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { terminateArrayRunJobs } from '../array-progress';
import { CliError, type CliIo, ExitCode } from '../io';
import { processAlive, readRunLock, removeRunLock } from '../lock';
import { settleStoppedRun } from '../settle';
import { type AwsTargetOptions, openAwsTarget } from '../targets';

export interface CancelOptions {
  runId: string;
  dir?: string;
  /** Cancel a run of a deployed stack instead of one a local process runs (`--aws`). */
  aws?: AwsTargetOptions | undefined;
}

/**
 * `fanout cancel RUNID`: stops the run's execution that a `fanout run` (or `fanout retry`)
 * process is following, found through the run's lock file, with StopExecution on that
 * process's local cloud (error `Fanout.Cancelled`). As on AWS, the Map's children are aborted
 * and their `.sync` tasks terminate the Batch jobs; the `fanout run` process then prints the
 * run ABORTED and exits 1. With `aws`, the run's running executions on the stack are found by
 * name (ListExecutions), stopped, and the run's rows settled here, since no process need follow
 * a run on AWS. Exit 0 when the stop was accepted, 2 when the run is not running.
 */
export async function cancelCommand(options: CancelOptions, io: CliIo): Promise<number> {
  if (options.aws) return cancelOnAws(options.runId, options.aws, io);
  const dirText = options.dir ?? '.fanout';
  const dir = resolve(dirText);
  const notRunning = new CliError(`run ${options.runId} is not running in ${dirText}`);
  const lock = readRunLock(dir, options.runId);
  if (!lock) throw notRunning;
  if (!processAlive(lock.pid)) {
    // The process that ran it was killed: its local cloud is gone with it.
    removeRunLock(dir, options.runId, lock.executionArn);
    throw notRunning;
  }
  const sfn = new SFNClient({
    region: lock.region,
    endpoint: lock.endpoint,
    credentials: lock.credentials,
  });
  try {
    await stopRun(sfn, options.runId, lock.executionArn);
  } finally {
    sfn.destroy();
  }
  io.out(`run ${options.runId} cancelled; process ${lock.pid} summarizes it`);
  return ExitCode.Succeeded;
}

/** StopExecution with the error every cancelled run carries; a refusal exits 1. */
async function stopRun(sfn: SFNClient, runId: string, executionArn: string): Promise<void> {
  try {
    await sfn.send(
      new StopExecutionCommand({
        executionArn,
        error: 'Fanout.Cancelled',
        cause: `cancelled with fanout cancel (process ${process.pid})`,
      }),
    );
  } catch (error) {
    throw new CliError(`could not cancel run ${runId}: ${(error as Error).message}`, ExitCode.Failed);
  }
}

async function cancelOnAws(runId: string, options: AwsTargetOptions, io: CliIo): Promise<number> {
  const target = await openAwsTarget(options);
  try {
    const running = await target.runningExecutions(runId);
    if (running.length === 0) throw new CliError(`run ${runId} is not running on ${target.where}`);
    for (const executionArn of running) await stopRun(target.clients.sfn, runId, executionArn);
    const header = await target.readRunHeader(runId);
    let terminated: number | undefined;
    if (header?.path === 'array') {
      // Step Functions terminates only .sync jobs: arrays submitted ahead of an aggregation job,
      // and the children a failed array still runs, are terminated here before the rows are settled.
      terminated = await terminateArrayRunJobs(
        target.clients.batch,
        target.names.jobQueues ?? [],
        runId,
        0,
        `run ${runId} was cancelled with fanout cancel`,
      );
    }
    // A stopped execution never reaches Summarize (Collect), and on AWS no process need be following it.
    const settled = await settleStoppedRun(
      target.clients,
      { tableName: target.names.ledgerTable, bucket: target.names.bucket },
      runId,
    );
    io.out(
      [
        `run ${runId} cancelled (stopped ${running.join(', ')})`,
        ...(terminated === undefined ? [] : [`${terminated} array job(s) terminated`]),
        `${settled.failed} item(s) recorded FAILED (ABORTED)`,
        `${settled.notStarted} never started (NOT_STARTED, run by fanout retry)`,
        ...(settled.stillRunning > 0 ? [`${settled.stillRunning} still ending, left PENDING`] : []),
      ].join('; '),
    );
    return ExitCode.Succeeded;
  } finally {
    await target.close();
  }
}
