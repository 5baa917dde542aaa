import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  type MapRunListItem,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { loadConfig } from '../../config';
import {
  AWS_MIN_TIMEOUT_SECONDS,
  checkArrayPathInput,
  FanoutInputError,
  type RunPlan,
  validateInput,
} from '../../lambdas/shared';
import { startLocalCloud } from '../../local/cloud';
import type { InImageOptions } from '../../local/container';
import {
  type RunLedgerView,
  type RunPath,
  type RunSummary,
  readRunLedgerView,
  readRunRecord,
  runSummaryOf,
} from '../../run';
import { arrayProgress, terminateArrayRunJobs } from '../array-progress';
import { findJobEngine, prepareImageOf, prepareImageOfRun } from '../in-image';
import { localJobResources, readJsonDocument } from '../input';
import { CliError, type CliIo } from '../io';
import { beginLedgerUse } from '../ledger-snapshot';
import { liveJobs } from '../live-jobs';
import { jobUmask } from '../private-state';
import { ProgressReporter } from '../progress';
import { readLedgerHeader } from '../run-header';
import { survivingServiceFailure } from '../service-failure';
import { settleStoppedRun } from '../settle';
import { commandLine, holdStateDir } from '../state-lock';
import { printRunSummary } from '../summary';
import { type AwsTargetOptions, executionRecord, localTarget, openAwsTarget, type Target } from '../targets';
import { writeReportAfterRun } from './report';

export interface RunOptions {
  input: string;
  dir?: string;
  json?: boolean;
  /** Which state machine runs the input. @default 'map' */
  path?: RunPath;
  /** Milliseconds between progress polls. @default 500 locally, 2000 on AWS */
  pollIntervalMs?: number;
  /** Run on a deployed stack instead of the local cloud (`--aws`). */
  aws?: AwsTargetOptions | undefined;
  /** Resolves when the user asks to stop (Ctrl+C); the run is then aborted and summarized. @default SIGINT */
  interrupted?: Promise<unknown> | undefined;
  /** Run each local job in its job definition's image (`--in-image`; docs/job-image.md). */
  inImage?: boolean | undefined;
}

/** Resolves on the first SIGINT; the listener is removed by `dispose`. */
function interruptSignal(): { promise: Promise<unknown>; dispose(): void } {
  let listener: () => void = () => undefined;
  const promise = new Promise((resolve) => {
    listener = () => resolve('SIGINT');
    process.once('SIGINT', listener);
  });
  return { promise, dispose: () => process.removeListener('SIGINT', listener) };
}

/** A run id the user did not choose: sortable by time, unique enough for one machine. */
function generateRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * `fanout run`: validates the input (nothing is started or written when it is invalid),
 * starts an execution of the Map path (or, with `path: 'array'`, the array path) on the local
 * cloud (or, with `aws`, on a deployed stack) through the Step Functions API, shows progress,
 * and prints the run summary. Returns the exit code.
 */
export async function runCommand(options: RunOptions, io: CliIo): Promise<number> {
  const raw = readJsonDocument(options.input, 'input');
  const requestedRunId = (raw as { runId?: unknown } | null)?.runId;
  const runId = typeof requestedRunId === 'string' ? requestedRunId : generateRunId();
  const path = options.path ?? 'map';
  let plan: RunPlan;
  try {
    // The local cloud honours shorter job timeouts than AWS (docs/job-contract.md, "Timeout"),
    // and has only the job queues and job definitions of the configuration.
    const config = options.aws ? undefined : loadConfig();
    plan = validateInput(raw, {
      executionName: runId,
      minTimeoutSeconds: config ? config.local.minTimeoutSeconds : AWS_MIN_TIMEOUT_SECONDS,
      ...(config ? { jobResources: localJobResources(config) } : {}),
    });
    if (path === 'array') checkArrayPathInput(raw);
  } catch (error) {
    if (error instanceof FanoutInputError) throw new CliError(`invalid input ${options.input}: ${error.message}`);
    throw error;
  }
  if (options.aws && options.inImage)
    throw new CliError('--in-image runs local jobs in their image; on AWS they always are');
  if (options.aws) {
    const target = await openAwsTarget(options.aws);
    try {
      if (await target.readRunHeader(runId)) {
        throw new CliError(
          `invalid input ${options.input}: runId "${runId}" already ran in ledger ${target.names.ledgerTable} of ${target.where}; choose another runId`,
        );
      }
      return await runOnTarget(target, { runId, executionName: runId, input: raw, path }, options, io);
    } finally {
      await target.close();
    }
  }
  const dir = options.dir ?? '.fanout';
  if (readRunRecord(dir, runId)) {
    throw new CliError(`invalid input ${options.input}: runId "${runId}" already ran in ${dir}; choose another runId`);
  }

  // The image is ready before anything is written: a run refused for its image leaves nothing behind.
  const inImage = options.inImage ? findJobEngine() : undefined;
  if (inImage) prepareImageOf(plan.input.jobDefinition, resolve(dir), io, inImage);
  return runOnLocalCloud(
    { runId, executionName: runId, input: raw, path },
    { ...options, dir, ...(inImage ? { jobsInImage: inImage } : {}) },
    io,
  );
}

/** One execution for a run: its own (`fanout run`) or a retry of it (`fanout retry`). */
export interface ExecutionPlan {
  /** The state machine that runs it. @default 'map' */
  path?: RunPath;
  /** The run whose ledger rows the execution writes. */
  runId: string;
  /** The execution's name; also names its run record (`<dir>/runs/<executionName>.json`). */
  executionName: string;
  input: unknown;
  /** Set for a retry execution: the run it re-runs. */
  retryOf?: string;
  /** Set for a resume execution: the run it finishes. */
  resumeOf?: string;
  /** The name of the run record written at the end. @default executionName */
  recordName?: string;
}

/**
 * Starts the local cloud, runs one execution to its end with progress and Ctrl+C handling,
 * writes its run record and prints the summary. Returns the exit code.
 */
export async function runOnLocalCloud(
  plan: ExecutionPlan,
  options: Omit<RunOptions, 'input'> & { dir: string; jobsInImage?: InImageOptions },
  io: CliIo,
): Promise<number> {
  const release = holdStateDir(options.dir, commandLine());
  try {
    // The run's rows change; the ledger snapshot keeps the other runs' views and gets this one's at the end.
    const ledgerUse = beginLedgerUse(options.dir, [plan.runId]);
    // `retry --in-image` and `resume --in-image` learn the job definition from the run's header,
    // which only the started local cloud can read.
    const imageOfRun = options.inImage && !options.jobsInImage ? findJobEngine() : undefined;
    const jobsInImage = options.jobsInImage ?? imageOfRun;
    const cloud = await startLocalCloud({
      dir: options.dir,
      ...jobUmask(),
      ...(jobsInImage ? { inImage: jobsInImage } : {}),
    });
    try {
      const target = localTarget(cloud, options.dir);
      if (imageOfRun) await prepareImageOfRun(target, plan.runId, resolve(options.dir), io, imageOfRun);
      // A resume runs on the path the run ran on, which its header says.
      const path = plan.path ?? (plan.resumeOf ? (await readLedgerHeader(target, plan.runId))?.path : undefined);
      const execution = path ? { ...plan, path } : plan;
      const running = runOnTarget(
        target,
        execution,
        options,
        io,
        () => writeReportAfterRun(cloud, execution, options.dir, io),
        (view) => ledgerUse.keep(plan.runId, view),
      );
      return await survivingServiceFailure(cloud, execution, running, options.dir);
    } finally {
      await cloud.stop();
      ledgerUse.end();
    }
  } finally {
    release();
  }
}

/**
 * Runs one execution on a target (the local cloud or a deployed stack) to its end, with
 * progress and Ctrl+C handling, keeps its record and prints the summary. Returns the exit code.
 */
export async function runOnTarget(
  target: Target,
  plan: ExecutionPlan,
  options: Omit<RunOptions, 'input'>,
  io: CliIo,
  writeReport?: () => Promise<string | undefined>,
  keepView?: (view: RunLedgerView) => void,
): Promise<number> {
  const interrupt = options.interrupted ? undefined : interruptSignal();
  try {
    const { summary, view } = await executeRun(
      target,
      plan,
      { ...options, interrupted: options.interrupted ?? interrupt?.promise },
      io,
    );
    keepView?.(view);
    const report = writeReport ? await writeReport() : undefined;
    const exitCode = printRunSummary(io, summary, options.json ?? false, target.location, view.failures);
    // With --json the summary stays the last stdout line.
    if (report && options.json) io.err(`report: ${report}`);
    else if (report) io.out(`report: ${report}`);
    return exitCode;
  } finally {
    interrupt?.dispose();
  }
}

async function executeRun(
  target: Target,
  plan: ExecutionPlan,
  options: Omit<RunOptions, 'input'>,
  io: CliIo,
): Promise<{ summary: RunSummary; view: RunLedgerView }> {
  const { runId } = plan;
  const sfn = target.clients.sfn;
  const stateMachineArn = plan.path === 'array' ? target.names.arrayStateMachineArn : target.names.mapStateMachineArn;
  if (!stateMachineArn) throw new CliError(`${target.where} has no array path state machine`);
  let executionArn: string;
  try {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: plan.executionName, input: JSON.stringify(plan.input) }),
    );
    executionArn = started.executionArn as string;
  } catch (error) {
    // Nothing was started: the state machine refused the request (a name already used, access denied).
    throw new CliError(
      `could not start ${plan.executionName} on ${target.where}: ${(error as Error).name}: ${(error as Error).message}`,
    );
  }
  const release = target.follow(runId, executionArn);
  try {
    return await followExecution(target, plan, executionArn, options, io);
  } finally {
    release();
  }
}

async function followExecution(
  target: Target,
  plan: ExecutionPlan,
  executionArn: string,
  options: Omit<RunOptions, 'input'>,
  io: CliIo,
): Promise<{ summary: RunSummary; view: RunLedgerView }> {
  const { runId } = plan;
  const sfn = target.clients.sfn;
  if (!options.json) {
    const what = plan.retryOf
      ? `retry ${plan.executionName} of run ${runId}`
      : plan.resumeOf
        ? `resume ${plan.executionName} of run ${runId}`
        : `run ${runId}`;
    io.out(`${what} started (${target.where})`);
  }

  const progress = new ProgressReporter(options.json ? { ...io, isTTY: false, out: () => undefined } : io);
  const startedAt = Date.now();
  const interval = options.pollIntervalMs ?? target.pollIntervalMs;
  let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  // Ctrl+C stops the execution as StopExecution does on AWS: running jobs are terminated,
  // and the run is summarized as ABORTED instead of leaving the ledger half-told.
  void options.interrupted
    ?.then(async () => {
      io.err(`stopping run ${runId} ...`);
      await sfn.send(
        new StopExecutionCommand({ executionArn, error: 'Fanout.Interrupted', cause: 'stopped by the user (SIGINT)' }),
      );
    })
    .catch((error: unknown) => io.err(`could not stop run ${runId}: ${(error as Error).message}`));
  const path = plan.path ?? 'map';
  // Array jobs are found by name among those submitted since the execution started.
  const submittedSince = (execution.startDate ?? new Date(startedAt)).getTime() - 1000;
  while (execution.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, interval));
    if (path === 'array') {
      const counts = await arrayProgress(target.clients.batch, target.names.jobQueues ?? [], runId, submittedSince);
      if (counts.total > 0) progress.update(counts, (Date.now() - startedAt) / 1000);
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      continue;
    }
    const mapRuns = await sfn.send(new ListMapRunsCommand({ executionArn }));
    // Each retry round starts a Map Run of its own, and AWS does not document the list's order.
    const latest = newestMapRun(mapRuns.mapRuns ?? []);
    if (latest?.mapRunArn) {
      const mapRun = await sfn.send(new DescribeMapRunCommand({ mapRunArn: latest.mapRunArn }));
      const c = mapRun.itemCounts;
      // A retry round counts its own items: its rate and ETA run from its own start.
      const round = mapRuns.mapRuns?.length ?? 1;
      const roundStartedAt = round > 1 ? (mapRun.startDate?.getTime() ?? startedAt) : startedAt;
      if (c) {
        // A running child may still wait for its job in Batch's queue: only Batch says it runs.
        const children = c.running ?? 0;
        const jobs =
          children > 0 ? (await liveJobs(target.clients.batch, target.names.jobQueues ?? [], runId)).running : 0;
        const running = Math.min(children, jobs);
        progress.update(
          {
            total: c.total ?? 0,
            succeeded: c.succeeded ?? 0,
            failed: (c.failed ?? 0) + (c.timedOut ?? 0) + (c.aborted ?? 0),
            running,
            queued: (c.pending ?? 0) + children - running,
          },
          (Date.now() - roundStartedAt) / 1000,
          round > 1 ? `round ${round}` : undefined,
        );
      }
    }
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  progress.finish();

  refuseContinuation(plan, execution);
  const record = executionRecord(
    { ...execution, executionArn, startDate: execution.startDate ?? new Date(startedAt) },
    { runId, path, ...(plan.retryOf ? { retryOf: plan.retryOf } : {}) },
    await target.stateTransitions(executionArn),
  );
  target.keepRecord(record, plan.recordName ?? plan.executionName);
  const { names } = target;
  if (execution.status === 'ABORTED' && path === 'array') {
    // Jobs submitted without .sync outlive the stopped execution: stop them as a user would expect.
    await terminateArrayRunJobs(
      target.clients.batch,
      target.names.jobQueues ?? [],
      runId,
      submittedSince,
      // The reason says "cancelled": a child terminated while running is then classed ABORTED.
      `run ${runId} was cancelled: its execution stopped (${execution.error ?? 'StopExecution'})`,
    );
  }
  if (execution.status === 'ABORTED') {
    // The execution's own Summarize (Collect) never runs once it is stopped: settle the rows here.
    await settleStoppedRun(target.clients, { tableName: names.ledgerTable, bucket: names.bucket }, runId);
  }
  const view = await readRunLedgerView(target.clients.dynamodb, names.ledgerTable, runId);
  // The execution just ended is the run's latest: the summary tells the run's state after it.
  return { summary: withoutRetries(runSummaryOf(record, view, record.status)), view };
}

/** `run`, `retry` and `resume` print the summary after their execution; `status` lists the run's retries. */
function withoutRetries({ retries: _retries, ...summary }: RunSummary): RunSummary {
  return summary;
}

/**
 * A retry or resume execution that Prepare refused (no such run, a plan never written, the wrong
 * path) changed nothing: it is reported as refused input (exit 2) and keeps no record, so the
 * run's own record still tells how the run ended.
 */
function refuseContinuation(
  plan: ExecutionPlan,
  execution: { status?: string | undefined; error?: string | undefined; cause?: string | undefined },
) {
  if (!(plan.retryOf || plan.resumeOf) || execution.status !== 'FAILED' || execution.error !== 'FanoutInputError')
    return;
  const command = plan.retryOf ? 'retry' : 'resume';
  throw new CliError(`${command} of run ${plan.runId} refused: ${lambdaErrorMessage(execution.cause)}`);
}

/** The message of a Lambda error's cause (`{"errorType","errorMessage","trace"}`), or the cause as it is. */
function lambdaErrorMessage(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not a Lambda error document: shown as it is.
  }
  return cause ?? '(no cause)';
}

/** The Map Run started last; of equal start dates, the later in the list. */
function newestMapRun(mapRuns: readonly MapRunListItem[]): MapRunListItem | undefined {
  let newest: MapRunListItem | undefined;
  for (const mapRun of mapRuns) {
    if (!newest || (mapRun.startDate?.getTime() ?? 0) >= (newest.startDate?.getTime() ?? 0)) newest = mapRun;
  }
  return newest;
}
