import { resolve } from 'node:path';
import { readRunRecord } from '../../run';
import { CliError, type CliIo } from '../io';
import { commandPrefix } from '../package-info';
import { type AwsTarget, executionArnOf, openAwsTarget } from '../targets';
import type { ExecutionPlan, RunOptions } from './run';
import { runOnLocalCloud, runOnTarget } from './run';

export interface RetryOptions extends Omit<RunOptions, 'input' | 'dir'> {
  runId: string;
  dir?: string;
}

/** The name of the next retry execution of a run: `<runId>-retry-<n>`, the first n without a record in `dir`. */
function nextRetryName(dir: string, runId: string): string {
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
  if (options.aws && options.inImage)
    throw new CliError('--in-image runs local jobs in their image; on AWS they always are');
  if (options.aws) {
    const target = await openAwsTarget(options.aws);
    try {
      return await runOnTarget(target, await awsRetryPlan(target, options.runId), options, io);
    } finally {
      await target.close();
    }
  }
  const dir = options.dir ?? '.fanout';
  const record = readRunRecord(resolve(dir), options.runId);
  if (!record) throw new CliError(`no run "${options.runId}" in ${dir}`);
  if (record.retryOf)
    throw new CliError(
      `"${options.runId}" is a retry of run ${record.retryOf}; retry the run: ${commandPrefix()} retry ${record.retryOf} --dir ${dir}`,
    );
  if (record.status === 'RUNNING')
    throw new CliError(`run ${options.runId} is still running in ${dir}; retry it once it has ended`);
  const executionName = nextRetryName(resolve(dir), options.runId);
  return runOnLocalCloud(
    {
      runId: options.runId,
      executionName,
      input: { retryOf: options.runId },
      retryOf: options.runId,
      path: record.path ?? 'map',
    },
    { ...options, dir },
    io,
  );
}

/**
 * The retry execution of a run on a deployed stack, with the checks the local retry makes on
 * run records made on the ledger and Step Functions instead: the run has a header row, is not a
 * retry execution, and none of its executions still runs. The name is `<runId>-retry-<n>`, the
 * first n from the header's retry count on that names no execution yet.
 */
async function awsRetryPlan(target: AwsTarget, runId: string): Promise<ExecutionPlan> {
  const header = await target.readRunHeader(runId);
  if (!header) {
    const record = await target.readRun(runId);
    if (record?.retryOf)
      throw new CliError(
        `"${runId}" is a retry of run ${record.retryOf}; retry the run: ${commandPrefix()} retry ${record.retryOf} ${target.location.statusFlags}`,
      );
    throw new CliError(`no run "${runId}" in ledger ${target.names.ledgerTable} of ${target.where}`);
  }
  const running = await target.runningExecutions(runId);
  if (running.length > 0)
    throw new CliError(
      `run ${runId} is still running on ${target.where} (${running.join(', ')}); retry it once it has ended`,
    );
  for (let n = (header.retries?.length ?? 0) + 1; ; n += 1) {
    const executionName = `${runId}-retry-${n}`;
    const path = header.path ?? 'map';
    const stateMachineArn = path === 'array' ? target.names.arrayStateMachineArn : target.names.mapStateMachineArn;
    if (!stateMachineArn) throw new CliError(`run ${runId} ran on the array path, which ${target.where} does not have`);
    if (!(await target.describeExecution(executionArnOf(stateMachineArn, executionName)))) {
      return { runId, executionName, input: { retryOf: runId }, retryOf: runId, path };
    }
  }
}
