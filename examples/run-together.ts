/**
 * Runs several inputs at once on ONE local cloud, so their jobs meet in the same Batch queues
 * (each `fanout run` starts a local cloud of its own), then prints the order in which their jobs
 * started and writes each run's report. Used by examples/fair-share and examples/priority.
 *
 *   npx tsx examples/run-together.ts [--dir DIR] [--path map|array] [--delay SECONDS] INPUT.json...
 *
 * `--delay` starts each input that many seconds after the one before it (default 0).
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
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
    validateInput(input, {
      executionName: runId,
      minTimeoutSeconds: config.local.minTimeoutSeconds,
      jobResources: localJobResources(config),
    });
    return { label, runId, input };
  });
  const cloud = await startLocalCloud({ dir: options.dir });
  try {
    const target = localTarget(cloud, options.dir);
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
    options: { dir: { type: 'string', default: '.fanout' }, path: { type: 'string' }, delay: { type: 'string' } },
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: npx tsx examples/run-together.ts [--dir DIR] [--path map|array] [--delay S] INPUT...\n',
    );
    process.exit(2);
  }
  const results = await runTogether({
    dir: values.dir,
    inputs: positionals,
    ...(values.path === 'array' ? { path: 'array' as const } : {}),
    delaySeconds: Number(values.delay ?? 0),
  });
  for (const line of describeStartOrder(results)) process.stdout.write(`${line}\n`);
  process.exitCode = results.every((result) => result.exitCode === 0) ? 0 : 1;
}
