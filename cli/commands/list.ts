import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListExecutionsCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../config';
import {
  currentRunStatus,
  type ExecutionStatus,
  type ItemTally,
  type RunLedgerView,
  type RunPath,
  type RunState,
  readRunLedgerView,
  readRunRecord,
  type StatusCounts,
  tallyItems,
} from '../../run';
import { paintStatus, palette } from '../colour';
import { type CliIo, ExitCode } from '../io';
import { readLedgerView } from '../ledger-snapshot';
import { type LiveCloud, openLiveCloud } from '../live-cloud';
import { liveEndpointsOf } from '../live-endpoints';
import { runningJobsOf } from '../live-jobs';
import { processAlive, readRunLock } from '../lock';
import { stateHolder } from '../state-lock';
import { type AwsTargetOptions, openAwsTarget } from '../targets';
import { readLocalLedgerViews } from './local-ledger';

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
  /**
   * The run's current status in the status model (docs/run-status.md), the same on every line of
   * the run; the execution's own status when the ledger cannot be read now.
   */
  status: RunState;
  /** This execution's own status. */
  executionStatus: ExecutionStatus;
  /** The run's items by what happened to them; null when the ledger cannot be read now. */
  items: ItemTally | null;
  /** The run's item counts per ledger status; null when the ledger cannot be read now. */
  counts: StatusCounts | null;
  startedAt: string | null;
  stoppedAt: string | null;
  durationSeconds: number | null;
}

const DEFAULT_LIMIT = 50;

/**
 * `fanout list`: the runs of the local state directory (from `<dir>/runs/*.json` and the lock
 * files of the runs a live process is running, with each run's counts from the ledger, read
 * through the endpoints of a live `local serve` or `fanout run` holding the folder), or with
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
  const header = ['ID', 'PATH', 'STATUS', 'ITEMS', 'SUCCEEDED', 'FAILED', 'NEVER STARTED', 'STARTED', 'DURATION'];
  const rows = runs.map((run) => {
    const items = run.items;
    return [
      run.id,
      run.path,
      run.status,
      items ? String(items.total) : '-',
      items ? String(items.succeeded) : '-',
      items ? String(items.failed) : '-',
      items ? String(items.neverStarted) : '-',
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
      executionStatus: record.status,
      items: null,
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
      executionStatus: 'RUNNING',
      items: null,
      counts: null,
      startedAt: statSync(join(dir, 'runs', file)).mtime.toISOString(),
      stoppedAt: null,
      durationSeconds: null,
    });
  }
  const newest = [...listings.values()]
    .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || a.id.localeCompare(b.id))
    .slice(0, limit);
  const holder = stateHolder(dir);
  const endpoints = holder && liveEndpointsOf(dir, holder);
  if (endpoints) {
    try {
      await addLiveRunStates(newest, openLiveCloud(endpoints, config));
      return newest;
    } catch (error) {
      if (stateHolder(dir)) {
        io.err(
          `fanout: item counts are not shown: process ${endpoints.pid} did not answer (${(error as Error).message})`,
        );
        return newest;
      }
      // It ended meanwhile: the ledger is the folder's again.
    }
  }
  // A run a live process is running holds the ledger: it has no counts until it ends.
  const ended = [...new Set(newest.filter((listing) => listing.status !== 'RUNNING').map((l) => l.runId))];
  const views = new Map<string, RunLedgerView>();
  for (const runId of ended) {
    const view = readLedgerView(dir, runId);
    if (view) views.set(runId, view);
  }
  const unread = ended.filter((runId) => !views.has(runId));
  if (unread.length > 0) {
    const read = await readLocalLedgerViews(dir, config, unread);
    if (read) for (const [runId, view] of read) views.set(runId, view);
    else io.err(`fanout: item counts are not shown: another fanout process is using ${dir}`);
  }
  addRunStates(newest, views, new Map());
  return newest;
}

/**
 * Gives every listing its run's state read through the endpoints of the live process holding the
 * folder: every run's ledger, and Batch's running jobs of the runs that run.
 */
async function addLiveRunStates(listings: RunListing[], cloud: LiveCloud): Promise<void> {
  try {
    const views = new Map<string, RunLedgerView>();
    const live = new Map<string, { running: number }>();
    for (const runId of new Set(listings.map((listing) => listing.runId))) {
      views.set(runId, await cloud.ledgerView(runId));
      const running = listings.find((listing) => listing.runId === runId && listing.executionStatus === 'RUNNING');
      if (running) live.set(runId, await cloud.runningJobs(running));
    }
    addRunStates(listings, views, live);
  } finally {
    cloud.close();
  }
}

/**
 * Gives every listing its run's state: the status model's status from the ledger header and the
 * run's latest execution among the listings, and the items counted (with `live` jobs for a run
 * that runs). A run without rows or a view keeps its execution's status and no counts.
 */
function addRunStates(
  listings: RunListing[],
  views: ReadonlyMap<string, RunLedgerView>,
  live: ReadonlyMap<string, { running: number }>,
): void {
  const latest = new Map<string, RunListing>();
  for (const listing of listings) {
    const seen = latest.get(listing.runId);
    if (!seen || (listing.startedAt ?? '') >= (seen.startedAt ?? '')) latest.set(listing.runId, listing);
  }
  for (const listing of listings) {
    const view = views.get(listing.runId);
    if (!view || view.counts.total === 0) continue;
    const latestExecution = latest.get(listing.runId)?.executionStatus ?? listing.executionStatus;
    const running = latestExecution === 'RUNNING';
    const items = tallyItems(
      view.counts,
      view.failedWithoutStart,
      running ? (live.get(listing.runId) ?? { running: 0 }) : undefined,
    );
    listing.items = items;
    listing.counts = view.counts;
    listing.status = currentRunStatus({ header: view.followUps.status, latestExecution, tally: items });
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
    const views = new Map<string, RunLedgerView>();
    const live = new Map<string, { running: number }>();
    for (const runId of new Set(newest.map((listing) => listing.runId))) {
      views.set(runId, await readRunLedgerView(target.clients.dynamodb, target.names.ledgerTable, runId));
      const running = newest.find((listing) => listing.runId === runId && listing.executionStatus === 'RUNNING');
      if (running) live.set(runId, await runningJobsOf(target.clients.batch, target.names.jobQueues ?? [], running));
    }
    addRunStates(newest, views, live);
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
      const status = execution.status === 'PENDING_REDRIVE' ? 'RUNNING' : (execution.status ?? 'RUNNING');
      listings.push({
        id: name,
        runId: runIdOfName(name),
        path,
        status,
        executionStatus: status,
        items: null,
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
