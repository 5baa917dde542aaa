import { resolve } from 'node:path';
import { type CliIo, CliError } from '../io';
import { readRunRecord } from '../summary';
import type { RunOptions } from './run';
import { runOnLocalCloud } from './run';

export interface RetryOptions extends Omit<RunOptions, 'input' | 'dir'> {
  runId: string;
  dir?: string;
}

/** The name of the next retry execution of a run: `<runId>-retry-<n>`, the first n without a record in `dir`. */
export function nextRetryName(dir: string, runId: string): string {
  for (let n = 1; ; n += 1) {
    const name = `${runId}-retry-${n}`;
    if (!readRunRecord(dir, name)) return name;
  }
}

/**
 * `fanout retry RUNID`: starts a new execution of the run's path (Map or array) with input `{retryOf: RUNID}`.
 * It re-runs the run's retry candidates (failed and idempotent, or never submitted, with
 * attempts left), updating the run's own ledger rows, and prints the summary of the run's rows
 * afterwards. Exit codes as `run`.
 */
export async function retryCommand(options: RetryOptions, io: CliIo): Promise<number> {
  const dir = options.dir ?? '.fanout';
  const record = readRunRecord(resolve(dir), options.runId);
  if (!record) throw new CliError(`no run "${options.runId}" in ${dir}`);
  if (record.retryOf) throw new CliError(`"${options.runId}" is a retry of run ${record.retryOf}; retry the run: fanout retry ${record.retryOf}`);
  if (record.status === 'RUNNING') throw new CliError(`run ${options.runId} is still running in ${dir}; retry it once it has ended`);
  const executionName = nextRetryName(resolve(dir), options.runId);
  return runOnLocalCloud(
    { runId: options.runId, executionName, input: { retryOf: options.runId }, retryOf: options.runId, path: record.path ?? 'map' },
    { ...options, dir },
    io,
  );
}
