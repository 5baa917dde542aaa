import { resolve } from 'node:path';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { type CliIo, CliError, ExitCode } from '../io';
import { processAlive, readRunLock, removeRunLock } from '../lock';

export interface CancelOptions {
  runId: string;
  dir?: string;
}

/**
 * `fanout cancel RUNID`: stops the run's execution that a `fanout run` (or `fanout retry`)
 * process is following, found through the run's lock file, with StopExecution on that
 * process's local cloud (error `Fanout.Cancelled`). As on AWS, the Map's children are aborted
 * and their `.sync` tasks terminate the Batch jobs; the `fanout run` process then prints the
 * run ABORTED and exits 1. Exit 0 when the stop was accepted, 2 when the run is not running.
 */
export async function cancelCommand(options: CancelOptions, io: CliIo): Promise<number> {
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
  const sfn = new SFNClient({ region: lock.region, endpoint: lock.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    await sfn.send(
      new StopExecutionCommand({ executionArn: lock.executionArn, error: 'Fanout.Cancelled', cause: `cancelled with fanout cancel (process ${process.pid})` }),
    );
  } catch (error) {
    throw new CliError(`could not cancel run ${options.runId}: ${(error as Error).message}`, ExitCode.Failed);
  } finally {
    sfn.destroy();
  }
  io.out(`run ${options.runId} cancelled; process ${lock.pid} summarizes it`);
  return ExitCode.Succeeded;
}
