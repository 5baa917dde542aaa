import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ListMapRunsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { FanoutInputError, validateInput } from '../../lambdas/prepare';
import { checkArrayPathInput } from '../../lambdas/shared/arrays';
import type { RunPath } from '../../lambdas/shared/ledger';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { readJsonDocument } from '../input';
import { type CliIo, CliError } from '../io';
import { arrayProgress } from '../array-progress';
import { type ProgressCounts, ProgressReporter } from '../progress';
import { countRunItems, readRunAggregate, settleStoppedRun } from '../ledger';
import { printRunSummary } from '../report';
import { removeRunLock, writeRunLock } from '../lock';
import { readRunRecord, type RunSummary, writeRunRecord } from '../summary';

export interface RunOptions {
  input: string;
  dir?: string;
  /** Which state machine runs the input: `map` (Distributed Map) or `array` (Batch array jobs). @default 'map' */
  path?: RunPath;
  json?: boolean;
  /** Milliseconds between progress polls. @default 500 */
  pollIntervalMs?: number;
  /** Resolves when the user asks to stop (Ctrl+C); the run is then aborted and summarized. @default SIGINT */
  interrupted?: Promise<unknown>;
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
export function generateRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return `run-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * `fanout run`: validates the input (nothing is started or written when it is invalid),
 * starts an execution of the Map path (or, with `path: 'array'`, the array path) on the local
 * cloud through the Step Functions API, shows progress, and prints the run summary. Returns the
 * exit code.
 */
export async function runCommand(options: RunOptions, io: CliIo): Promise<number> {
  const raw = readJsonDocument(options.input, 'input');
  const requestedRunId = (raw as { runId?: unknown } | null)?.runId;
  const runId = typeof requestedRunId === 'string' ? requestedRunId : generateRunId();
  const path = options.path ?? 'map';
  try {
    validateInput(raw, { executionName: runId });
    if (path === 'array') checkArrayPathInput(raw);
  } catch (error) {
    if (error instanceof FanoutInputError) throw new CliError(`invalid input ${options.input}: ${error.message}`);
    throw error;
  }
  const dir = options.dir ?? '.fanout';
  if (readRunRecord(dir, runId)) {
    throw new CliError(`invalid input ${options.input}: runId "${runId}" already ran in ${dir}; choose another runId`);
  }

  return runOnLocalCloud({ runId, executionName: runId, input: raw, path }, { ...options, dir }, io);
}

/** One execution of the Map path for a run: its own (`fanout run`) or a retry of it (`fanout retry`). */
export interface ExecutionPlan {
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
  /** The state machine that runs it. @default 'map' */
  path?: RunPath;
}

/**
 * Starts the local cloud, runs one execution to its end with progress and Ctrl+C handling,
 * writes its run record and prints the summary. Returns the exit code.
 */
export async function runOnLocalCloud(plan: ExecutionPlan, options: Omit<RunOptions, 'input'> & { dir: string }, io: CliIo): Promise<number> {
  const cloud = await startLocalCloud({ dir: options.dir });
  const interrupt = options.interrupted ? undefined : interruptSignal();
  try {
    const summary = await executeRun(cloud, plan, { ...options, interrupted: options.interrupted ?? interrupt?.promise }, io);
    return await printRunSummary(io, summary, options.json ?? false, {
      ledger: cloud.clients.dynamodb,
      tableName: cloud.config.ledgerTable,
      dir: options.dir,
      stateDir: cloud.dir,
    });
  } finally {
    interrupt?.dispose();
    await cloud.stop();
  }
}

async function executeRun(cloud: LocalCloud, plan: ExecutionPlan, options: Omit<RunOptions, 'input'>, io: CliIo): Promise<RunSummary> {
  const { runId } = plan;
  const sfn = cloud.clients.sfn;
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: plan.path === 'array' ? cloud.arrayStateMachineArn : cloud.mapStateMachineArn,
      name: plan.executionName,
      input: JSON.stringify(plan.input),
    }),
  );
  const executionArn = started.executionArn as string;
  // Lets `fanout cancel` in another process find this execution while it runs.
  writeRunLock(cloud.dir, runId, { pid: process.pid, endpoint: cloud.endpoints.stepfunctions, region: cloud.region, executionArn });
  try {
    return await followExecution(cloud, plan, executionArn, options, io);
  } finally {
    removeRunLock(cloud.dir, runId, executionArn);
  }
}

async function followExecution(cloud: LocalCloud, plan: ExecutionPlan, executionArn: string, options: Omit<RunOptions, 'input'>, io: CliIo): Promise<RunSummary> {
  const { runId } = plan;
  const sfn = cloud.clients.sfn;
  if (!options.json) {
    const what = plan.retryOf ? `retry ${plan.executionName} of run ${runId}` : plan.resumeOf ? `resume ${plan.executionName} of run ${runId}` : `run ${runId}`;
    io.out(`${what} started (${cloud.dir})`);
  }

  const progress = new ProgressReporter(options.json ? { ...io, isTTY: false, out: () => undefined } : io);
  const startedAt = Date.now();
  const interval = options.pollIntervalMs ?? 500;
  let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  // Ctrl+C stops the execution as StopExecution does on AWS: running jobs are terminated,
  // and the run is summarized as ABORTED instead of leaving the ledger half-told.
  void options.interrupted?.then(async () => {
    io.err(`stopping run ${runId} ...`);
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Fanout.Interrupted', cause: 'stopped by the user (SIGINT)' }));
  }).catch((error: unknown) => io.err(`could not stop run ${runId}: ${(error as Error).message}`));
  const path = plan.path ?? 'map';
  const submittedSince = (execution.startDate ?? new Date(startedAt)).getTime() - 1000;
  const queues = cloud.config.jobQueues.map((queue) => queue.name);
  while (execution.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, interval));
    const counts = path === 'array' ? await arrayProgress(cloud.clients.batch, queues, runId, submittedSince) : await mapProgress(cloud, executionArn);
    if (counts && counts.total > 0) progress.update(counts, (Date.now() - startedAt) / 1000);
    execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  }
  progress.finish();

  const described = cloud.engine.describeExecution(executionArn);
  const stopDate = execution.stopDate ?? new Date();
  const startDate = execution.startDate ?? new Date(startedAt);
  const record = {
    runId,
    path,
    status: execution.status as RunSummary['status'],
    error: execution.error ?? null,
    cause: execution.cause ?? null,
    stateTransitions: described.stateTransitions,
    executionArn,
    startedAt: startDate.toISOString(),
    stoppedAt: stopDate.toISOString(),
    durationSeconds: (stopDate.getTime() - startDate.getTime()) / 1000,
    ...(plan.retryOf ? { retryOf: plan.retryOf, ...retriedItemCountOf(execution.output) } : {}),
  };
  writeRunRecord(cloud.dir, record, plan.recordName ?? plan.executionName);
  // An array run's children are not looked up by item job name; its rows stay as Collect left them.
  if (execution.status === 'ABORTED' && path === 'map') {
    // The execution's own Summarize never runs once it is stopped: settle the rows here.
    await settleStoppedRun(cloud.clients, { tableName: cloud.config.ledgerTable, bucket: cloud.config.bucket }, runId);
  }
  const counts = await countRunItems(cloud.clients.dynamodb, cloud.config.ledgerTable, runId);
  const aggregate = await readRunAggregate(cloud.clients.dynamodb, cloud.config.ledgerTable, runId);
  return { ...record, counts, ...(aggregate ? { aggregate } : {}) };
}

/** Item counts of the execution's latest Map Run (DescribeMapRun), or undefined before it starts. */
async function mapProgress(cloud: LocalCloud, executionArn: string): Promise<ProgressCounts | undefined> {
  const sfn = cloud.clients.sfn;
  const mapRuns = await sfn.send(new ListMapRunsCommand({ executionArn }));
  const latest = mapRuns.mapRuns?.at(-1);
  if (!latest?.mapRunArn) return undefined;
  const c = (await sfn.send(new DescribeMapRunCommand({ mapRunArn: latest.mapRunArn }))).itemCounts;
  if (!c) return undefined;
  return {
    total: c.total ?? 0,
    succeeded: c.succeeded ?? 0,
    failed: (c.failed ?? 0) + (c.timedOut ?? 0) + (c.aborted ?? 0),
    running: c.running ?? 0,
    pending: c.pending ?? 0,
  };
}

/** A retry execution that succeeded outputs Summarize's summary, which says how many items it re-ran. */
function retriedItemCountOf(output: string | undefined): { retriedItemCount?: number } {
  if (!output) return {};
  const count = (JSON.parse(output) as { retriedItemCount?: unknown }).retriedItemCount;
  return typeof count === 'number' ? { retriedItemCount: count } : {};
}
