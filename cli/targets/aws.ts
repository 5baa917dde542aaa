import { BatchClient } from '@aws-sdk/client-batch';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../config';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow, type RunRecord } from '../../run';
import { CliError } from '../io';
import type { RunLocation } from '../summary';
import {
  DEFAULT_STACK,
  type ExecutionRun,
  executionArnOf,
  executionRecord,
  type Target,
  type TargetNames,
} from './target';

/** Where `--aws` looks: a deployed stack, by name, in a region. */
export interface AwsTargetOptions {
  /** @default 'Fanout' */
  stack?: string;
  /** @default the SDK's region chain (AWS_REGION, the profile), else fanout.config.json's region */
  region?: string;
}

/** The CloudFormation outputs of a deployed fanout stack. */
export interface StackOutputs {
  MapStateMachineArn: string;
  ArrayStateMachineArn?: string;
  LedgerTableName: string;
  DataBucketName: string;
  NoticesTopicArn?: string;
  JobQueueHighArn?: string;
  JobQueueLowArn?: string;
  JobDefinitionArn?: string;
  JobLogGroupName: string;
  Region: string;
}

/** The outputs the CLI cannot work without; the others are read when present. */
export const REQUIRED_STACK_OUTPUTS = [
  'MapStateMachineArn',
  'LedgerTableName',
  'DataBucketName',
  'JobLogGroupName',
  'Region',
] as const;
const OPTIONAL_STACK_OUTPUTS = [
  'ArrayStateMachineArn',
  'NoticesTopicArn',
  'JobQueueHighArn',
  'JobQueueLowArn',
  'JobDefinitionArn',
] as const;

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** Step Functions quotas are per account and shared (DescribeExecution, DescribeMapRun): poll gently. */
const AWS_POLL_INTERVAL_MS = 2_000;

/**
 * Reads a stack's outputs with DescribeStacks. A stack that does not exist, an output the CLI
 * needs that the stack lacks, and a state machine output that is not a state machine ARN are
 * each a `CliError` naming the stack and the key.
 */
export async function readStackOutputs(
  cloudFormation: CloudFormationClient,
  stack: string,
  region: string,
): Promise<StackOutputs> {
  let described: DescribeStacksCommandOutput;
  try {
    described = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
  } catch (error) {
    const { name, message } = error as Error;
    // docs: AWSCloudFormation/latest/APIReference/API_DescribeStacks.html ("If the stack doesn't exist, a ValidationError is returned")
    if (name === 'ValidationError' && /does not exist/.test(message)) {
      throw new CliError(
        `stack ${stack} does not exist in ${region}; deploy it, or name the deployed stack with --stack and its region with --region`,
      );
    }
    throw new CliError(`cannot read stack ${stack} in ${region} (CloudFormation DescribeStacks): ${name}: ${message}`);
  }
  const description = described.Stacks?.[0];
  if (!description)
    throw new CliError(
      `stack ${stack} does not exist in ${region}; deploy it, or name the deployed stack with --stack and its region with --region`,
    );
  const values = new Map((description.Outputs ?? []).map((output) => [output.OutputKey, output.OutputValue]));
  const outputs: Record<string, string> = {};
  for (const key of REQUIRED_STACK_OUTPUTS) {
    const value = values.get(key);
    if (!value) {
      throw new CliError(
        `stack ${stack} in ${region} (${description.StackStatus ?? 'status unknown'}) has no output ${key}; the CLI needs ${REQUIRED_STACK_OUTPUTS.join(', ')}`,
      );
    }
    outputs[key] = value;
  }
  for (const key of OPTIONAL_STACK_OUTPUTS) {
    const value = values.get(key);
    if (value) outputs[key] = value;
  }
  for (const key of ['MapStateMachineArn', 'ArrayStateMachineArn'] as const) {
    const value = outputs[key];
    if (value !== undefined && !STATE_MACHINE_ARN.test(value)) {
      throw new CliError(
        `stack ${stack} output ${key} must be a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>); received "${value}"`,
      );
    }
  }
  return outputs as unknown as StackOutputs;
}

/** The region of the SDK's standard chain (AWS_REGION, AWS_DEFAULT_REGION via the profile, the config file), or undefined. */
async function regionFromSdkChain(): Promise<string | undefined> {
  const probe = new CloudFormationClient({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}

/**
 * The region `--aws` uses: `--region`, else the SDK's standard chain, else the region of
 * `fanout.config.json`.
 */
export async function resolveRegion(
  explicit: string | undefined,
  sdkRegion: () => Promise<string | undefined> = regionFromSdkChain,
  configRegion: () => string = () => loadConfig().region,
): Promise<string> {
  if (explicit) return explicit;
  return (await sdkRegion()) || configRegion();
}

/**
 * The CloudWatch console page of a log stream. The console takes each path segment
 * URI-encoded twice with `%` written as `$` (not documented by AWS; see docs/deploy-cli.md).
 * @example cloudWatchLogUrl('eu-west-1', '/aws/batch/job', 'fanout-job/default/0f1e')
 */
export function cloudWatchLogUrl(region: string, logGroup: string, logStream: string): string {
  const segment = (text: string) => encodeURIComponent(encodeURIComponent(text)).replace(/%/g, '$');
  return `${consoleOrigin(region)}/cloudwatch/home?region=${region}#logsV2:log-groups/log-group/${segment(logGroup)}/log-events/${segment(logStream)}`;
}

function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

/** A deployed fanout stack as a target, with the look-ups that replace the local run records and lock files. */
export interface AwsTarget extends Target {
  readonly stack: string;
  readonly region: string;
  readonly outputs: StackOutputs;
  /** DescribeExecution, or undefined when the execution does not exist. */
  describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined>;
  /** The run's header row in the ledger (consistent read), or undefined when the ledger has no such run. */
  readRunHeader(runId: string): Promise<RunHeaderRow | undefined>;
  /**
   * The record of an execution by name: a run (its execution is named after the run id, else
   * the ledger's header row names it) or a retry execution (`<runId>-retry-<n>`). Undefined
   * when neither exists.
   */
  readRun(name: string): Promise<RunRecord | undefined>;
  /** The run's executions that are RUNNING: its own, its retry and resume executions. */
  runningExecutions(runId: string): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Opens a deployed stack as a target: resolves the region, reads the stack's outputs, and
 * creates the clients with the SDK's standard credential chain.
 * @example const target = await openAwsTarget({ stack: 'Fanout', region: 'eu-west-1' }); ...; await target.close();
 */
export async function openAwsTarget(
  options: AwsTargetOptions = {},
  sdkRegion?: () => Promise<string | undefined>,
): Promise<AwsTarget> {
  const stack = options.stack ?? DEFAULT_STACK;
  const region = await resolveRegion(options.region, sdkRegion);
  const cloudFormation = new CloudFormationClient({ region });
  let outputs: StackOutputs;
  try {
    outputs = await readStackOutputs(cloudFormation, stack, region);
  } finally {
    cloudFormation.destroy();
  }
  return createAwsTarget(stack, outputs);
}

function createAwsTarget(stack: string, outputs: StackOutputs): AwsTarget {
  const region = outputs.Region;
  const sfn = new SFNClient({ region });
  const dynamodb = new DynamoDBClient({ region });
  const s3 = new S3Client({ region });
  const batch = new BatchClient({ region });
  const ledger = DynamoDBDocumentClient.from(dynamodb);
  const names: TargetNames = {
    mapStateMachineArn: outputs.MapStateMachineArn,
    ...(outputs.ArrayStateMachineArn ? { arrayStateMachineArn: outputs.ArrayStateMachineArn } : {}),
    ledgerTable: outputs.LedgerTableName,
    bucket: outputs.DataBucketName,
    jobQueues: [outputs.JobQueueHighArn, outputs.JobQueueLowArn].filter((arn): arn is string => arn !== undefined),
  };
  const location: RunLocation = {
    ledger: dynamodb,
    tableName: names.ledgerTable,
    logLink: (logStream) => cloudWatchLogUrl(region, outputs.JobLogGroupName, logStream),
    statusFlags: `--aws --stack ${stack} --region ${region}`,
  };

  const describeExecution = async (executionArn: string) => {
    try {
      return await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  };
  const readRunHeader = async (runId: string) =>
    (
      await ledger.send(
        new GetCommand({
          TableName: names.ledgerTable,
          Key: { runId, itemId: RUN_HEADER_ITEM_ID },
          ConsistentRead: true,
        }),
      )
    ).Item as RunHeaderRow | undefined;
  const stateMachines = [names.mapStateMachineArn, ...(names.arrayStateMachineArn ? [names.arrayStateMachineArn] : [])];

  return {
    stack,
    region,
    outputs,
    where: `stack ${stack} (${region})`,
    clients: { sfn, dynamodb, s3, batch },
    names,
    location,
    pollIntervalMs: AWS_POLL_INTERVAL_MS,
    // Step Functions reports no transition count; a Distributed Map's children are separate
    // executions with histories of their own (docs/deploy-cli.md, "State transitions").
    stateTransitions: async () => null,
    // Step Functions keeps the execution and `fanout cancel --aws` finds it by name: nothing to write.
    follow: () => () => undefined,
    keepRecord: () => undefined,
    describeExecution,
    readRunHeader,
    async readRun(name) {
      let execution = await describeExecution(executionArnOf(names.mapStateMachineArn, name));
      if (!execution) {
        // An execution started elsewhere (the console, a schedule) may carry a runId unlike its name.
        const header = await readRunHeader(name);
        if (header?.executionArn) execution = await describeExecution(header.executionArn);
      }
      return execution ? executionRecord(execution, runOfExecution(execution), null) : undefined;
    },
    async runningExecutions(runId) {
      const running = new Set<string>();
      for (const stateMachineArn of stateMachines) {
        let nextToken: string | undefined;
        do {
          const page = await sfn.send(
            new ListExecutionsCommand({
              stateMachineArn,
              statusFilter: 'RUNNING',
              maxResults: 1000,
              ...(nextToken ? { nextToken } : {}),
            }),
          );
          for (const execution of page.executions ?? []) {
            const name = execution.name ?? '';
            if (name === runId) {
              running.add(execution.executionArn as string);
            } else if (name.startsWith(`${runId}-retry-`) || name.startsWith(`${runId}-resume-`)) {
              // Another run's id may start the same way: the input says which run it continues.
              const described = await describeExecution(execution.executionArn as string);
              const run = described && runOfExecution(described);
              if (run && run.runId === runId && described.status === 'RUNNING')
                running.add(execution.executionArn as string);
            }
          }
          nextToken = page.nextToken;
        } while (nextToken);
      }
      const header = await readRunHeader(runId);
      if (header?.executionArn && !running.has(header.executionArn)) {
        const own = await describeExecution(header.executionArn);
        if (own?.status === 'RUNNING') running.add(header.executionArn);
      }
      return [...running];
    },
    async close() {
      for (const client of [sfn, dynamodb, s3, batch]) client.destroy();
    },
  };
}

/**
 * The run an execution belongs to, from its input: `retryOf` or `resumeOf` for an execution that
 * continues a run, else the input's `runId`, else (as Prepare decides) the execution's name.
 */
export function runOfExecution(execution: Pick<DescribeExecutionCommandOutput, 'input' | 'name'>): ExecutionRun {
  let input: { runId?: unknown; retryOf?: unknown; resumeOf?: unknown } = {};
  try {
    const parsed: unknown = JSON.parse(execution.input ?? '{}');
    if (parsed && typeof parsed === 'object') input = parsed;
  } catch {
    // An input that is not JSON failed in Prepare; the execution's name is all there is.
  }
  if (typeof input.retryOf === 'string') return { runId: input.retryOf, retryOf: input.retryOf };
  if (typeof input.resumeOf === 'string') return { runId: input.resumeOf };
  return { runId: typeof input.runId === 'string' ? input.runId : (execution.name as string) };
}
