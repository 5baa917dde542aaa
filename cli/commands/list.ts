import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../config';
import { countRunStatuses, type LedgerClient, type RunPath, readRunRecord, type StatusCounts } from '../../run';
import { paintStatus, palette } from '../colour';
import { type CliIo, ExitCode } from '../io';
import { processAlive, readRunLock } from '../lock';
import { type AwsTargetOptions, openAwsTarget } from '../targets';
import { openLocalLedger } from './local-ledger';

export interface ListOptions {
  dir?: string;
  json?: boolean;
  /** At most this many executions, newest first. @default 50 */
  limit?: number;
  /** List the executions of a deployed stack instead of the local state directory (`--aws`). */
  aws?: AwsTargetOptions | undefined;
}

/** One execution in `fanout list`: a run, or a `fanout retry`/`resume` execution of one. */
export interface RunListing {
  /** The execution's name: what `fanout status`, `logs` and `report` take. */
  id: string;
  /** The run it belongs to (the same as `id` for a run's own execution). */
  runId: string;
  path: RunPath;
  status: string;
  /** The run's item counts from the ledger; null when the ledger cannot be read now. */
  counts: StatusCounts | null;
  startedAt: string | null;
  stoppedAt: string | null;
  durationSeconds: number | null;
}

const DEFAULT_LIMIT = 50;

/**
 * `fanout list`: the runs of the local state directory (from `<dir>/runs/*.json` and the lock
 * files of the runs a live process is running, with each run's counts from the ledger), or with
 * `--aws` the executions of the stack's state machines. Newest first; `--json` prints
 * `{"runs": [...]}` as one line. Exit code 0.
 */
export async function listCommand(options: ListOptions, io: CliIo): Promise<number> {
  const limit = options.limit ?? DEFAULT_LIMIT;
  const runs = options.aws
    ? await listAwsRuns(options.aws, limit)
    : await listLocalRuns(options.dir ?? '.fanout', limit, io);
  if (options.json) {
    io.out(JSON.stringify({ runs }));
    return ExitCode.Succeeded;
  }
  if (runs.length === 0) {
    io.out(options.aws ? 'no runs in the stack' : `no runs in ${resolve(options.dir ?? '.fanout')}`);
    return ExitCode.Succeeded;
  }
  io.out(formatRunList(runs, io.colour));
  return ExitCode.Succeeded;
}

/** The runs as a table for people: one line per execution. */
export function formatRunList(runs: readonly RunListing[], colour = false): string {
  const paint = palette(colour);
  const header = ['ID', 'PATH', 'STATUS', 'ITEMS', 'SUCCEEDED', 'FAILED', 'OTHER', 'STARTED', 'DURATION'];
  const rows = runs.map((run) => {
    const counts = run.counts;
    const other = counts ? counts.total - counts.succeeded - counts.failed : undefined;
    return [
      run.id,
      run.path,
      run.status,
      counts ? String(counts.total) : '-',
      counts ? String(counts.succeeded) : '-',
      counts ? String(counts.failed) : '-',
      other === undefined ? '-' : String(other),
      run.startedAt ? run.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-',
      formatDuration(run),
    ];
  });
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[], paintCell: (cell: string, column: number) => string = (cell) => cell) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0);
        return paintCell(padded, column);
      })
      .join('  ')
      .trimEnd();
  return [
    paint.bold(line(header)),
    ...rows.map((row) =>
      line(row, (cell, column) =>
        column === 2 ? paintStatus(paint, cell.trimEnd()) + cell.slice(cell.trimEnd().length) : cell,
      ),
    ),
  ].join('\n');
}

function formatDuration(run: RunListing): string {
  if (run.durationSeconds !== null) return `${run.durationSeconds.toFixed(1)}s`;
  return run.status === 'RUNNING' ? 'running' : '-';
}

/** The run a retry or resume execution continues, from its name (`<runId>-retry-<n>`, `<runId>-resume-<time>`). */
function runIdOfName(name: string): string {
  return name.replace(/-(retry-\d+|resume-[^-]+)$/, '');
}

async function listLocalRuns(dirText: string, limit: number, io: CliIo): Promise<RunListing[]> {
  const dir = resolve(dirText);
  let files: string[];
  try {
    files = readdirSync(join(dir, 'runs'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const config = loadConfig();
  const listings = new Map<string, RunListing>();
  for (const file of files.filter((name) => name.endsWith('.json'))) {
    const name = file.slice(0, -'.json'.length);
    const record = readRunRecord(dir, name);
    if (!record) continue;
    listings.set(name, {
      id: name,
      runId: record.runId,
      path: record.path,
      status: record.status,
      counts: null,
      startedAt: record.startedAt,
      stoppedAt: record.stoppedAt,
      durationSeconds: record.durationSeconds,
    });
  }
  // A run a live process is running has a lock file, and a record only once an execution ended.
  for (const file of files.filter((name) => name.endsWith('.lock'))) {
    const runId = file.slice(0, -'.lock'.length);
    const lock = readRunLock(dir, runId);
    if (!lock || !processAlive(lock.pid)) continue;
    const name = lock.executionArn.split(':').at(-1) ?? runId;
    listings.set(name, {
      id: name,
      runId,
      path: lock.executionArn.includes(`:execution:${config.arrayStateMachine}:`) ? 'array' : 'map',
      status: 'RUNNING',
      counts: null,
      startedAt: statSync(join(dir, 'runs', file)).mtime.toISOString(),
      stoppedAt: null,
      durationSeconds: null,
    });
  }
  const newest = [...listings.values()]
    .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || a.id.localeCompare(b.id))
    .slice(0, limit);
  if (newest.length === 0) return newest;
  const ledger = await openLocalLedger(dir, config);
  if (!ledger) {
    io.err(`fanout: item counts are not shown: another fanout process is using ${dir}`);
    return newest;
  }
  try {
    await addCounts(newest, ledger.client, config.ledgerTable);
  } finally {
    await ledger.close();
  }
  return newest;
}

/** Fills in each listing's counts: one ledger query per run, shared by its executions. */
async function addCounts(listings: RunListing[], ledger: LedgerClient, table: string): Promise<void> {
  const byRun = new Map<string, StatusCounts | null>();
  for (const listing of listings) {
    if (!byRun.has(listing.runId)) {
      const { counts } = await countRunStatuses(ledger, table, listing.runId);
      byRun.set(listing.runId, counts.total > 0 ? counts : null);
    }
    listing.counts = byRun.get(listing.runId) ?? null;
  }
}

async function listAwsRuns(options: AwsTargetOptions, limit: number): Promise<RunListing[]> {
  const target = await openAwsTarget(options);
  try {
    const machines: Array<[RunPath, string]> = [['map', target.names.mapStateMachineArn]];
    if (target.names.arrayStateMachineArn) machines.push(['array', target.names.arrayStateMachineArn]);
    const listings: RunListing[] = [];
    for (const [path, stateMachineArn] of machines)
      listings.push(...(await listExecutions(target.clients.sfn, stateMachineArn, path, limit)));
    const newest = listings.sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '')).slice(0, limit);
    await addCounts(newest, target.clients.dynamodb, target.names.ledgerTable);
    return newest;
  } finally {
    await target.close();
  }
}

async function listExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  path: RunPath,
  limit: number,
): Promise<RunListing[]> {
  const listings: RunListing[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: Math.min(1000, limit - listings.length),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const execution of page.executions ?? []) {
      const name = execution.name ?? '';
      const started = execution.startDate;
      const stopped = execution.stopDate;
      listings.push({
        id: name,
        runId: runIdOfName(name),
        path,
        status: execution.status === 'PENDING_REDRIVE' ? 'RUNNING' : (execution.status ?? 'RUNNING'),
        counts: null,
        startedAt: started ? started.toISOString() : null,
        stoppedAt: stopped ? stopped.toISOString() : null,
        durationSeconds: started && stopped ? (stopped.getTime() - started.getTime()) / 1000 : null,
      });
    }
    nextToken = page.nextToken;
  } while (nextToken && listings.length < limit);
  return listings;
}
