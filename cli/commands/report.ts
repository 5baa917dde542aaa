import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../config';
import type { LocalCloud } from '../../local/cloud';
import { startDynamoDb } from '../../local/dynamodb';
import {
  describeJobsTimes,
  describeSource,
  type ExecutionRecord,
  jobTimesFrom,
  journalJobTimes,
  type ReportHeader,
  readExecutionRecords,
  type SourceSummary,
  saveSourceSummary,
  writeRunReport,
} from '../../report';
import { readRunRecord } from '../../run';
import { CliError, type CliIo, ExitCode } from '../io';
import { openLiveCloud } from '../live-cloud';
import { liveEndpointsOf } from '../live-endpoints';
import { commandPrefix } from '../package-info';
import { checkStateFree, stateHolder } from '../state-lock';
import { type AwsTarget, type AwsTargetOptions, executionRecord, openAwsTarget, runOfExecution } from '../targets';

export interface ReportOptions {
  runId: string;
  dir?: string;
  /** @default `<dir>/reports/<runId>.html`; with `aws`, `./fanout-report-<runId>.html` */
  out?: string;
  /** Build the report from a deployed stack instead of the local state directory (`--aws`). */
  aws?: AwsTargetOptions | undefined;
}

/**
 * `fanout report RUNID`: writes the run's HTML report (docs/report.md) from its ledger rows,
 * its executions (retries included) and Batch's job times, and prints `report: <path>`.
 * RUNID may name a retry execution: the report is its run's. Locally the executions are the run
 * records and the times come from the local Batch service's journal; with `aws`, from Step
 * Functions and Batch of the deployed stack.
 */
export async function reportCommand(options: ReportOptions, io: CliIo): Promise<number> {
  if (options.aws) return awsReportCommand({ ...options, aws: options.aws }, io);
  const dirLabel = options.dir ?? '.fanout';
  const stateDir = resolve(dirLabel);
  const runId = readRunRecord(stateDir, options.runId)?.retryOf ?? options.runId;
  if (readExecutionRecords(stateDir, runId).length === 0)
    throw new CliError(`no run "${options.runId}" in ${dirLabel}`);
  const config = loadConfig();
  const { ledger, close } = await openReportLedger(stateDir, dirLabel, config);
  try {
    const path = await writeRunReport({
      ledger,
      tableName: config.ledgerTable,
      runId,
      stateDir,
      dirLabel,
      jobTimes: journalJobTimes(stateDir),
      computeConfig: config,
      commandPrefix: commandPrefix(),
      ...(options.out ? { out: resolve(options.out) } : {}),
    });
    io.out(`report: ${path}`);
    return ExitCode.Succeeded;
  } finally {
    await close();
  }
}

/**
 * The ledger of a local state folder: through the endpoint of the live `local serve` or `fanout
 * run` holding it, else on a DynamoDB of the report's own (refused, exit 75, while another
 * process holds the folder without publishing endpoints).
 */
async function openReportLedger(
  stateDir: string,
  dirLabel: string,
  config: ReturnType<typeof loadConfig>,
): Promise<{ ledger: DynamoDBClient; close: () => Promise<void> }> {
  const holder = stateHolder(stateDir);
  const endpoints = holder && liveEndpointsOf(stateDir, holder);
  if (endpoints) {
    const live = openLiveCloud(endpoints, config);
    return { ledger: live.ledger, close: async () => live.close() };
  }
  checkStateFree(stateDir, dirLabel);
  const dynamo = await startDynamoDb({ dir: join(stateDir, 'dynamodb') });
  const ledger = new DynamoDBClient({ region: config.region, endpoint: dynamo.url, credentials: dynamo.credentials });
  return {
    ledger,
    async close() {
      ledger.destroy();
      await dynamo.close();
    },
  };
}

/**
 * What `fanout report --aws` accepts as RUNID: a Step Functions execution name as fanout and
 * the console make them, which is also safe in the default file name.
 */
const EXECUTION_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** Where `fanout report --aws` writes when `--out` does not say: `fanout-report-<runId>.html` in `cwd`. */
export function awsReportPath(runId: string, cwd: string = process.cwd()): string {
  return resolve(cwd, `fanout-report-${runId}.html`);
}

async function awsReportCommand(options: ReportOptions & { aws: AwsTargetOptions }, io: CliIo): Promise<number> {
  if (!EXECUTION_NAME.test(options.runId)) {
    throw new CliError(
      `runId must be an execution name (1-80 letters, digits, "_", "-" or ".", starting with a letter or digit); received "${options.runId}"`,
    );
  }
  const target = await openAwsTarget(options.aws);
  try {
    const run = await findAwsRun(target, options.runId);
    const path = await writeRunReport({
      ledger: target.clients.dynamodb,
      tableName: target.names.ledgerTable,
      runId: run.runId,
      ...(run.header ? { header: run.header } : {}),
      records: run.records,
      ...(run.source ? { source: run.source } : {}),
      targetFlags: target.location.statusFlags,
      jobTimes: describeJobsTimes(target.clients.batch),
      logUrl: (logStream) => target.location.logLink(logStream),
      // The stack is built from the same file (infra/config.ts): its job definitions and queues.
      computeConfig: loadConfig(),
      commandPrefix: commandPrefix(),
      out: options.out ? resolve(options.out) : awsReportPath(run.runId),
    });
    io.out(`report: ${path}`);
    return ExitCode.Succeeded;
  } finally {
    await target.close();
  }
}

/** A run on a deployed stack: its header row, its executions' records, and its item source. */
interface AwsRun {
  runId: string;
  header?: ReportHeader;
  records: ExecutionRecord[];
  source?: SourceSummary;
}

/**
 * Finds a run on a deployed stack by the name a user gives: a run id (its header row), a retry
 * execution `<runId>-retry-<n>` (the header of `<runId>` lists it, whichever state machine ran
 * it), or an execution of the map state machine under another name (`target.readRun`). Its
 * executions are the one the header names and the retries it lists, each described once; one
 * Step Functions no longer keeps (90 days after it closed) is left out.
 */
async function findAwsRun(target: AwsTarget, name: string): Promise<AwsRun> {
  let runId = name;
  let header: ReportHeader | undefined = await target.readRunHeader(name);
  let namedArn: string | undefined;
  if (!header) {
    const retried = /^(.+)-retry-\d+$/.exec(name)?.[1];
    const retriedHeader = retried ? await target.readRunHeader(retried) : undefined;
    if (retried && retriedHeader?.retries?.some((retry) => retry.executionArn.endsWith(`:${name}`))) {
      runId = retried;
      header = retriedHeader;
    } else {
      const record = await target.readRun(name);
      if (!record) {
        throw new CliError(
          `no run "${name}" in ${target.where} (no row in ledger ${target.names.ledgerTable}, no execution of ${target.names.mapStateMachineArn} by that name)`,
        );
      }
      runId = record.runId;
      namedArn = record.executionArn;
      if (runId !== name) header = await target.readRunHeader(runId);
    }
  }
  // The execution asked for by name is kept even when the header does not list it (a retry that failed before Prepare ran).
  const arns = [
    ...new Set([
      header?.executionArn ?? namedArn,
      ...(header?.retries ?? []).map((retry) => retry.executionArn),
      namedArn,
    ]),
  ].filter((arn): arn is string => arn !== undefined);
  const described: DescribeExecutionCommandOutput[] = [];
  for (const arn of arns) {
    const execution = await target.describeExecution(arn);
    if (execution) described.push(execution);
  }
  const path = header?.path ?? 'map';
  const records = described.map((execution) => ({
    ...executionRecord(execution, { ...runOfExecution(execution), path }, null),
    name: execution.name ?? (execution.executionArn as string).split(':').at(-1) ?? runId,
  }));
  const own = described.find((execution) => execution.executionArn === arns[0]);
  const source = own ? describeSource(parseInput(own.input)) : undefined;
  return { runId, ...(header ? { header } : {}), records, ...(source ? { source } : {}) };
}

function parseInput(input: string | undefined): unknown {
  try {
    return JSON.parse(input ?? 'null');
  } catch {
    // An input that is not JSON failed in Prepare: it names no item source.
    return undefined;
  }
}

/**
 * Writes the report at the end of a local `run`, `retry` or `resume` and returns its path; a
 * report that cannot be written is a warning on stderr, never a failed run. The input's item
 * source is kept for later reports, since the ledger does not keep it. Job times come from the
 * journal, and for array children that never launched (which it does not hold) from the service
 * itself while it still runs.
 */
export async function writeReportAfterRun(
  cloud: LocalCloud,
  plan: { runId: string; input: unknown },
  dirLabel: string,
  io: CliIo,
): Promise<string | undefined> {
  try {
    const source = describeSource(plan.input);
    if (source) saveSourceSummary(cloud.dir, plan.runId, source);
    return await writeRunReport({
      ledger: cloud.clients.dynamodb,
      tableName: cloud.config.ledgerTable,
      runId: plan.runId,
      stateDir: cloud.dir,
      dirLabel,
      jobTimes: jobTimesFrom(journalJobTimes(cloud.dir), describeJobsTimes(cloud.clients.batch)),
      computeConfig: cloud.config,
      commandPrefix: commandPrefix(),
    });
  } catch (error) {
    io.err(`fanout: the run's report was not written: ${(error as Error).message}`);
    return undefined;
  }
}
