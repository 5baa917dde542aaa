/**
 * Runs several inputs at once on ONE local cloud, so their jobs meet in the same Batch queues
 * (each `fanout run` starts a local cloud of its own), then prints the order in which their jobs
 * started and writes each run's report. Used by examples/fair-share and examples/priority.
 *
 *   npx tsx examples/run-together.ts [--dir DIR] [--path map|array] [--delay SECONDS] INPUT.json...
 *
 * `--delay` starts each input that many seconds after the one before it (default 0).
 * `--queue-together` holds the queues' compute environments until every run has queued its jobs.
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  ListJobsCommand,
  UpdateComputeEnvironmentCommand,
} from '@aws-sdk/client-batch';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { writeReportAfterRun } from '../cli/commands/report';
import { runOnTarget } from '../cli/commands/run';
import { localJobResources, readJsonDocument } from '../cli/input';
import type { CliIo } from '../cli/io';
import { localTarget } from '../cli/targets';
import { loadConfig } from '../config';
import { validateInput } from '../lambdas/shared';
import { type LocalCloud, startLocalCloud } from '../local/cloud';
import type { RunPath } from '../run';

/** One run of the group and when its items' first attempts started. */
export interface RunTogetherResult {
  label: string;
  runId: string;
  exitCode: number;
  /** The report file, when one was written. */
  report?: string;
  /** Epoch milliseconds, earliest first. */
  starts: number[];
}

export interface RunTogetherOptions {
  dir: string;
  inputs: readonly string[];
  path?: RunPath;
  /** Seconds between the start of one input and the next. @default 0 */
  delaySeconds?: number;
  /** Where progress lines go. @default stderr */
  log?: (line: string) => void;
  /**
   * Holds the compute environments of the runs' job queues (DISABLED) until every run has
   * submitted its jobs, so that all of them wait from the start and none gets a head start
   * however slowly a busy machine prepares them. @default false
   */
  queueTogether?: boolean;
}

/** The compute environments of `queues`, by name. */
async function computeEnvironmentsOf(cloud: LocalCloud, queues: readonly string[]): Promise<string[]> {
  const { jobQueues } = await cloud.clients.batch.send(new DescribeJobQueuesCommand({ jobQueues: [...queues] }));
  const arns = new Set(
    (jobQueues ?? []).flatMap((queue) =>
      (queue.computeEnvironmentOrder ?? []).map((entry) => entry.computeEnvironment),
    ),
  );
  const { computeEnvironments } = await cloud.clients.batch.send(new DescribeComputeEnvironmentsCommand({}));
  return (computeEnvironments ?? [])
    .filter((environment) => arns.has(environment.computeEnvironmentArn))
    .map((environment) => environment.computeEnvironmentName as string);
}

async function setState(cloud: LocalCloud, environments: readonly string[], state: 'ENABLED' | 'DISABLED') {
  for (const computeEnvironment of environments) {
    await cloud.clients.batch.send(new UpdateComputeEnvironmentCommand({ computeEnvironment, state }));
  }
}

/** Resolves once each run has a job in its queue (an array job queues all of its children at once). */
async function untilQueued(cloud: LocalCloud, runs: ReadonlyArray<{ runId: string; queue: string }>): Promise<void> {
  const waiting = new Set(runs);
  while (waiting.size > 0) {
    for (const run of [...waiting]) {
      const { jobSummaryList } = await cloud.clients.batch.send(
        new ListJobsCommand({ jobQueue: run.queue, filters: [{ name: 'JOB_NAME', values: [`${run.runId}*`] }] }),
      );
      if ((jobSummaryList ?? []).length > 0) waiting.delete(run);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Each item's first start, read from the ledger rows of the run. */
async function itemStarts(cloud: LocalCloud, runId: string): Promise<number[]> {
  const ledger = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
  const starts: number[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ledger.send(
      new QueryCommand({
        TableName: cloud.config.ledgerTable,
        KeyConditionExpression: 'runId = :runId',
        ExpressionAttributeValues: { ':runId': runId },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const row of page.Items ?? []) {
      const history = (row.attempts ?? []) as Array<{ startedAt?: number }>;
      const times = [row.startedAt, ...history.map((attempt) => attempt.startedAt)].filter(
        (time): time is number => typeof time === 'number',
      );
      if (times.length > 0) starts.push(Math.min(...times));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return starts.sort((a, b) => a - b);
}

/** Validates every input (nothing starts when one is invalid), then runs them all on one local cloud. */
export async function runTogether(options: RunTogetherOptions): Promise<RunTogetherResult[]> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const config = loadConfig();
  const stamp = Date.now().toString(36);
  const plans = options.inputs.map((file) => {
    const label = basename(file, '.json');
    const runId = `${label}-${stamp}`;
    const input = readJsonDocument(file, 'input');
    const plan = validateInput(input, {
      executionName: runId,
      minTimeoutSeconds: config.local.minTimeoutSeconds,
      jobResources: localJobResources(config),
    });
    return { label, runId, input, queue: plan.input.jobQueue };
  });
  const cloud = await startLocalCloud({ dir: options.dir });
  try {
    const target = localTarget(cloud, options.dir);
    const queues = plans.map((plan) => ({ runId: plan.runId, queue: plan.queue }));
    const held = options.queueTogether
      ? await computeEnvironmentsOf(cloud, [...new Set(queues.map((q) => q.queue))])
      : [];
    await setState(cloud, held, 'DISABLED');
    const released = untilQueued(cloud, held.length > 0 ? queues : []).then(() => setState(cloud, held, 'ENABLED'));
    const never = new Promise<never>(() => undefined);
    const results = await Promise.all(
      plans.map(async ({ label, runId, input }, index) => {
        await new Promise((resolve) => setTimeout(resolve, index * (options.delaySeconds ?? 0) * 1000));
        log(`${label}: run ${runId} started`);
        let report: string | undefined;
        const io: CliIo = {
          out: () => undefined,
          err: (text) => log(`${label}: ${text}`),
          isTTY: false,
          status: () => undefined,
        };
        const plan = { runId, executionName: runId, input, path: options.path ?? 'map' };
        const exitCode = await runOnTarget(target, plan, { json: true, interrupted: never }, io, async () => {
          report = await writeReportAfterRun(cloud, plan, options.dir, io);
          return report;
        });
        await released;
        const result: RunTogetherResult = { label, runId, exitCode, starts: await itemStarts(cloud, runId) };
        return report ? { ...result, report } : result;
      }),
    );
    return results;
  } finally {
    await cloud.stop();
  }
}

/** The start order as one line of labels, and each run's first and median start after the first job of all. */
export function describeStartOrder(results: readonly RunTogetherResult[]): string[] {
  const all = results.flatMap((result) => result.starts.map((at) => ({ at, label: result.label })));
  all.sort((a, b) => a.at - b.at);
  const origin = all[0]?.at ?? 0;
  const seconds = (at: number | undefined) => (at === undefined ? '-' : `+${((at - origin) / 1000).toFixed(1)} s`);
  return [
    `start order: ${all.map((start) => start.label).join(' ')}`,
    ...results.map(
      (result) =>
        `${result.label}: ${result.starts.length} jobs, first started ${seconds(result.starts[0])}, median ${seconds(result.starts[Math.floor((result.starts.length - 1) / 2)])}, last ${seconds(result.starts.at(-1))}; exit code ${result.exitCode}`,
    ),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: '.fanout' },
      path: { type: 'string' },
      delay: { type: 'string' },
      'queue-together': { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: npx tsx examples/run-together.ts [--dir DIR] [--path map|array] [--delay S] [--queue-together] INPUT...\n',
    );
    process.exit(2);
  }
  const results = await runTogether({
    dir: values.dir,
    inputs: positionals,
    ...(values.path === 'array' ? { path: 'array' as const } : {}),
    delaySeconds: Number(values.delay ?? 0),
    queueTogether: values['queue-together'] ?? false,
  });
  for (const line of describeStartOrder(results)) process.stdout.write(`${line}\n`);
  process.exitCode = results.every((result) => result.exitCode === 0) ? 0 : 1;
}
