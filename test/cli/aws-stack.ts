import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { CliIo } from '../../cli/io';
import type { ItemRow, RunHeaderRow } from '../../run';

/**
 * Fixtures for the `--aws` commands: a deployed stack's DescribeStacks output, executions as
 * DescribeExecution returns them, and ledger rows as the state machine and Prepare write them.
 */

export const region = 'eu-west-1';
export const account = '123456789012';
export const mapStateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:Fanout-MapStateMachine7A3B5C1D-Xy12Ab34Cd56`;
export const ledgerTable = 'Fanout-LedgerTable0C1D2E3F-1A2B3C4D5E6F';
export const bucket = 'fanout-data-123456789012-eu-west-1';
export const logGroup = '/aws/batch/fanout-jobs';

export const executionArn = (name: string) => `${mapStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
/** The array path's state machine, for stacks that deploy it (`stackOutputs({ ArrayStateMachineArn: arrayStateMachineArn })`). */
export const arrayStateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:Fanout-ArrayStateMachine9E8D7C6B-Ab12Cd34Ef56`;
export const arrayExecutionArn = (name: string) =>
  `${arrayStateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/** The stack's outputs, keyed as the CDK app declares them. */
export function stackOutputs(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const outputs: Record<string, string | undefined> = {
    MapStateMachineArn: mapStateMachineArn,
    LedgerTableName: ledgerTable,
    DataBucketName: bucket,
    NoticesTopicArn: `arn:aws:sns:${region}:${account}:Fanout-NoticesTopic1A2B3C4D-AbCdEf123456`,
    JobQueueHighArn: `arn:aws:batch:${region}:${account}:job-queue/fanout-high`,
    JobQueueLowArn: `arn:aws:batch:${region}:${account}:job-queue/fanout-low`,
    JobDefinitionArn: `arn:aws:batch:${region}:${account}:job-definition/fanout-job:3`,
    JobLogGroupName: logGroup,
    Region: region,
    ...overrides,
  };
  return Object.fromEntries(
    Object.entries(outputs).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** DescribeStacks as CloudFormation answers for a stack that exists. */
export function describeStacks(
  outputs: Record<string, string> = stackOutputs(),
  status = 'CREATE_COMPLETE',
): DescribeStacksCommandOutput {
  return {
    $metadata: {},
    Stacks: [
      {
        StackId: `arn:aws:cloudformation:${region}:${account}:stack/Fanout/5d2e4f60-1234-11ef-9a8b-0a1b2c3d4e5f`,
        StackName: 'Fanout',
        CreationTime: new Date('2026-03-01T09:00:00.000Z'),
        StackStatus: status as 'CREATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

export const startDate = new Date('2026-03-02T10:00:00.000Z');
export const stopDate = new Date('2026-03-02T10:04:30.500Z');

/** DescribeExecution of one execution of the Map state machine. */
export function describedExecution(
  name: string,
  fields: Partial<DescribeExecutionCommandOutput> = {},
): DescribeExecutionCommandOutput {
  return {
    $metadata: {},
    executionArn: executionArn(name),
    stateMachineArn: mapStateMachineArn,
    name,
    status: 'RUNNING',
    startDate,
    input: JSON.stringify({ runId: name, items: [{ seed: 1 }] }),
    ...fields,
  };
}

/** The header row Prepare writes (and Summarize completes). */
export function headerRow(runId: string, overrides: Partial<RunHeaderRow> = {}): RunHeaderRow {
  return {
    runId,
    itemId: '#run',
    kind: 'run',
    path: 'map',
    status: 'RUNNING',
    executionName: runId,
    executionArn: executionArn(runId),
    round: 1,
    itemCount: 3,
    createdAt: startDate.toISOString(),
    manifest: { bucket, key: `runs/${runId}/manifest.jsonl` },
    resultPrefix: `runs/${runId}/results`,
    jobQueue: 'fanout-high',
    jobDefinition: 'fanout-job:3',
    command: ['python3', 'estimate.py', '--seed', '{seed}'],
    environment: {},
    jobTimeout: {},
    scheduling: {},
    maxConcurrency: 1000,
    toleratedFailurePercentage: 0,
    toleratedFailureCount: 0,
    retry: { rounds: 1, maxAttempts: 3 },
    idempotent: true,
    ...overrides,
  };
}

/** An item row as Prepare writes it and the child's RecordJobFailure completes it. */
export function failedRow(runId: string, itemId: string, overrides: Partial<ItemRow> = {}): ItemRow {
  return {
    runId,
    itemId,
    status: 'FAILED',
    idempotent: true,
    attempt: 1,
    round: 1,
    jobName: `${runId}-${itemId}`,
    kwargs: JSON.stringify({ seed: Number(itemId) }),
    createdAt: startDate.toISOString(),
    updatedAt: '2026-03-02T10:03:00.000Z',
    queue: 'fanout-high',
    jobId: `0b5e7c1a-2f4d-4e8a-9c3b-00000000000${itemId.at(-1)}`,
    exitCode: 3,
    statusReason: 'Essential container in task exited',
    logStream: `fanout-job/default/4f6a2b8c9d0e1f2a3b4c5d6e7f80910${itemId.at(-1)}`,
    error: 'States.TaskFailed',
    cause: `Batch job 0b5e7c1a failed: Essential container in task exited`,
    failureClass: 'APP_ERROR',
    failedRunId: runId,
    ...overrides,
  };
}

/** What a user sees: stdout and stderr lines of one command. */
export function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    isTTY: false,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    status: () => undefined,
  };
}

/** Writes an execution input file and returns its path. */
export function inputFile(input: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'fanout-aws-')), 'input.json');
  writeFileSync(path, JSON.stringify(input));
  return path;
}
