import { resolve } from 'node:path';
import { readRunRecord } from '../../run';
import { CliError, type CliIo } from '../io';
import { processAlive, readRunLock, removeRunLock } from '../lock';
import { commandPrefix } from '../package-info';
import type { RunOptions } from './run';
import { runOnLocalCloud } from './run';

export interface ResumeOptions extends Omit<RunOptions, 'input' | 'dir'> {
  runId: string;
  dir?: string;
  /** @default Date.now */
  now?: () => number;
}

/**
 * The name of a resume execution: `<runId>-resume-<time in base 36>`, at most 80 characters
 * (a run id has at most 64), unique for each resume of one run.
 */
function resumeExecutionName(runId: string, now: number): string {
  return `${runId}-resume-${now.toString(36)}`;
}

/**
 * `fanout resume RUNID`: finishes a run whose `fanout run` (or `fanout retry`) process died
 * (killed with SIGKILL, a crash, a closed terminal). A new execution with input `{resumeOf: RUNID}`
 * settles each row left without an outcome from what the local Batch service (restarted on the
 * same state directory, see docs/local-batch.md "Journal") knows of its job: succeeded jobs are
 * recorded, lost jobs become FAILED (ABORTED) and re-run only when idempotent, never-started items
 * run. Refuses a run whose process is still alive (its lock file) or that has ended. Exit codes as
 * `run`; the run's record (`<dir>/runs/<runId>.json`) then describes the resume execution.
 */
export async function resumeCommand(options: ResumeOptions, io: CliIo): Promise<number> {
  const dirText = options.dir ?? '.fanout';
  const dir = resolve(dirText);
  const { runId } = options;
  const lock = readRunLock(dir, runId);
  if (lock && processAlive(lock.pid)) {
    throw new CliError(
      `run ${runId} is still running in ${dirText} (process ${lock.pid}); resume it only once that process has died, or stop it with ${commandPrefix()} cancel ${runId} --dir ${dirText}`,
    );
  }
  if (lock) {
    // The process that followed the run died: the lock is all that is left of it.
    removeRunLock(dir, runId, lock.executionArn);
  } else {
    const record = readRunRecord(dir, runId);
    if (record && record.status !== 'RUNNING') {
      throw new CliError(
        `run ${runId} has ended (${record.status}) in ${dirText}; nothing to resume (re-run its failures with ${commandPrefix()} retry ${runId} --dir ${dirText})`,
      );
    }
  }
  const executionName = resumeExecutionName(runId, (options.now ?? Date.now)());
  return runOnLocalCloud(
    { runId, executionName, input: { resumeOf: runId }, resumeOf: runId, recordName: runId },
    { ...options, dir: dirText },
    io,
  );
}
