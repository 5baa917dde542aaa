import { loadConfig } from '../../config';
import { latestExecutionArn, type RunRecord, readRunExecutions, readRunRecord, runSummaryOf } from '../../run';
import { printFailures } from '../failure-list';
import { CliError, type CliIo } from '../io';
import { openLiveCloud } from '../live-cloud';
import type { LiveEndpoints } from '../live-endpoints';
import { processAlive, type RunLock, readRunLock } from '../lock';
import { didYouMean, runNamesIn } from '../suggest';
import { printRunSummary, type SummaryHints } from '../summary';
import { executionRecord, runOfExecution } from '../targets';

/** What `fanout status` was asked, as the live path needs it. */
export interface LiveStatusRequest {
  runId: string;
  dir: string;
  json: boolean;
  failures: boolean;
  hints: SummaryHints;
}

/**
 * `fanout status RUNID` while a live `fanout local serve` or `fanout run` holds the folder: the
 * run's executions from its records, and from the lock of the execution that runs now; their
 * current status from DescribeExecution and the items from the ledger, both through that
 * process's endpoints; counted per the status model as after it ends.
 */
export async function liveStatus(request: LiveStatusRequest, endpoints: LiveEndpoints, io: CliIo): Promise<number> {
  const { dir, runId: name } = request;
  const record = readRunRecord(dir, name);
  const lock = runningLock(dir, record?.runId ?? name, name);
  if (!record && !lock) throw new CliError(`no run "${name}" in ${dir}${didYouMean(name, runNamesIn(dir))}`);
  const config = loadConfig();
  const cloud = openLiveCloud(endpoints, config);
  try {
    const named = record ?? (await runningRecord(cloud, lock as RunLock, name));
    if (request.failures)
      return await printFailures(io, named.runId, request.json, {
        ...request.hints,
        ledger: cloud.ledger,
        tableName: config.ledgerTable,
      });
    const view = await cloud.ledgerView(named.runId);
    const kept = readRunExecutions(dir, named.runId).at(-1) ?? named;
    const latestArn = lock?.executionArn ?? latestExecutionArn(kept, view.followUps);
    const latest = await cloud.executionStatus(latestArn, kept.status);
    const live = latest === 'RUNNING' ? await cloud.runningJobs(named) : undefined;
    const summary = runSummaryOf(named, view, latest, live);
    return printRunSummary(io, summary, request.json, request.hints, view.failures);
  } finally {
    cloud.close();
  }
}

/**
 * The lock of the run's execution a live process follows now, when `name` is the run or that
 * execution (`<runId>-retry-<n>` runs under its run's lock).
 */
function runningLock(dir: string, runId: string, name: string): RunLock | undefined {
  for (const candidate of new Set([runId, name.replace(/-(retry-\d+|resume-[^-]+)$/, '')])) {
    const lock = readRunLock(dir, candidate);
    if (!lock || !processAlive(lock.pid)) continue;
    if (candidate === name || lock.executionArn.endsWith(`:${name}`)) return lock;
  }
  return undefined;
}

/** A running execution has no record yet: what DescribeExecution says of it, in a record's shape. */
async function runningRecord(cloud: ReturnType<typeof openLiveCloud>, lock: RunLock, name: string): Promise<RunRecord> {
  const execution = await cloud.describeExecution(lock.executionArn);
  if (!execution)
    throw new CliError(`no run "${name}": its execution ${lock.executionArn} is unknown to process ${lock.pid}`);
  const path = lock.executionArn.includes(`:execution:${loadConfig().arrayStateMachine}:`) ? 'array' : 'map';
  return executionRecord(
    { ...execution, executionArn: lock.executionArn },
    { ...runOfExecution(execution), path },
    null,
  );
}
