import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../../local/cloud';
import { type ItemRow, RUN_HEADER_ITEM_ID } from '../../run';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
const cliEntry = join(repoRoot, 'bin', 'fanout.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last non-empty stdout line parsed as JSON (the `--json` contract). */
  json: <T = Record<string, unknown>>() => T;
}

/** A fresh state directory for one test. */
export function tempDir(prefix = 'fanout-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A `fanout` command left running in the background, as a user's terminal would run it. */
export interface BackgroundFanout {
  readonly child: ChildProcess;
  /** What it printed so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts the real `fanout` command in the repository root and returns at once. With `detached`
 * it leads a process group of its own, so that `process.kill(-child.pid, ...)` reaches everything
 * it started, as a closed terminal would.
 */
export function startFanout(args: readonly string[], options: { detached?: boolean } = {}): BackgroundFanout {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Runs the real `fanout` command as a user would, in the repository root unless told another folder. */
export function runFanout(
  args: readonly string[],
  stdin?: string,
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], {
      cwd: options.cwd ?? repoRoot,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code,
        stdout,
        stderr,
        json: <T>() => {
          const last = stdout.trim().split('\n').at(-1);
          if (!last) throw new Error(`no stdout; stderr: ${stderr}`);
          return JSON.parse(last) as T;
        },
      }),
    );
    child.stdin.end(stdin ?? '');
  });
}

/** How many processes have `marker` in their command line (a job's unique argument). */
export function countProcesses(marker: string): number {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    // pgrep exits 1 when nothing matches.
    return 0;
  }
}

/** Polls until `ready()` holds; fails after `timeoutMs` with `what` and `context()` in the message. */
export async function waitUntil(
  ready: () => boolean,
  what: string,
  context: () => string = () => '',
  timeoutMs = 30_000,
): Promise<void> {
  for (let waited = 0; !ready(); waited += 100) {
    if (waited > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s ${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Starts an execution of the Map path and waits until it ends. */
export async function runExecution(
  cloud: LocalCloud,
  name: string,
  input: unknown,
): Promise<DescribeExecutionCommandOutput> {
  const { executionArn } = await cloud.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: cloud.mapStateMachineArn, name, input: JSON.stringify(input) }),
  );
  for (;;) {
    const execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every item row of a run in the ledger (the header row left out), in item order. */
export async function itemRowsOf(cloud: LocalCloud, runId: string): Promise<ItemRow[]> {
  const ledger = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
  const rows: ItemRow[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ledger.send(
      new QueryCommand({
        TableName: cloud.config.ledgerTable,
        KeyConditionExpression: 'runId = :r AND itemId > :header',
        ExpressionAttributeValues: { ':r': runId, ':header': RUN_HEADER_ITEM_ID },
        ExclusiveStartKey: start,
      }),
    );
    rows.push(...((page.Items ?? []) as ItemRow[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return rows;
}
