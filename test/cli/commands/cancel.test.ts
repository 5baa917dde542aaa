import 'aws-sdk-client-mock-vitest/extend';
import { BatchClient, DescribeJobsCommand, ListJobsCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program';
import {
  captureIo,
  describedExecution,
  describeStacks,
  executionArn,
  failedRow,
  headerRow,
  ledgerTable,
  mapStateMachineArn,
  region,
  startDate,
  stopDate,
} from '../aws-stack';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const batchMock = mockClient(BatchClient);

const listed = (name: string) => ({
  executionArn: executionArn(name),
  stateMachineArn: mapStateMachineArn,
  name,
  status: 'RUNNING' as const,
  startDate,
});

beforeEach(() => {
  cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
  ledgerMock.on(GetCommand).resolves({
    Item: headerRow('sweep-7', {
      status: 'FAILED',
      retries: [{ executionArn: executionArn('sweep-7-retry-1'), startedAt: '2026-03-02T11:00:00.000Z' }],
    }),
  });
  sfnMock
    .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') })
    .resolves(describedExecution('sweep-7', { status: 'FAILED', stopDate }));
  sfnMock.on(StopExecutionCommand).resolves({ stopDate });
});

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
  batchMock.reset();
});

describe('fanout cancel --aws', () => {
  it("stops the run's running retry execution, found by name, and settles the rows its children left", async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [listed('sweep-70'), listed('sweep-7-retry-1')] });
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-1') })
      .resolves(describedExecution('sweep-7-retry-1', { input: '{"retryOf":"sweep-7"}' }));
    // Its one retried item had not been submitted yet: nothing in Batch, so it never started.
    ledgerMock
      .on(QueryCommand)
      .resolves({ Items: [{ ...failedRow('sweep-7', '2'), status: 'RETRYING', attempt: 2, round: 2 }] });
    ledgerMock.on(UpdateCommand).resolves({ Attributes: {} });
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    const io = captureIo();

    const code = await runCli(['cancel', 'sweep-7', '--aws', '--region', region], io);

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StopExecutionCommand, {
      executionArn: executionArn('sweep-7-retry-1'),
      error: 'Fanout.Cancelled',
      cause: `cancelled with fanout cancel (process ${process.pid})`,
    });
    expect(ledgerMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: ledgerTable,
      FilterExpression: '#status IN (:pending, :retrying)',
      ExpressionAttributeValues: {
        ':runId': 'sweep-7',
        ':header': '#run',
        ':pending': 'PENDING',
        ':retrying': 'RETRYING',
      },
    });
    expect(batchMock).not.toHaveReceivedCommand(DescribeJobsCommand);
    // Marked NOT_STARTED, so that a later retry runs it (as the attempt it never made).
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      Key: { runId: 'sweep-7', itemId: '2' },
      ConditionExpression: '(#status = :pending OR #status = :retrying) AND #round <= :round',
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'FAILED',
        ':failureClass': 'NOT_STARTED',
        ':error': 'Fanout.NotStarted',
        ':round': 2,
      }),
    });
    expect(io.stdout).toEqual([
      `run sweep-7 cancelled (stopped ${executionArn('sweep-7-retry-1')}); 0 item(s) recorded FAILED (ABORTED); 1 never started (NOT_STARTED, run by fanout retry)`,
    ]);
  });

  it('terminates the array jobs of an array run that Step Functions leaves running, then settles its rows', async () => {
    ledgerMock.on(GetCommand).resolves({ Item: headerRow('sweep-7', { path: 'array' }) });
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [listed('sweep-7')] });
    const queue = (name: string) => `arn:aws:batch:${region}:123456789012:job-queue/${name}`;
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batchMock.on(ListJobsCommand, { jobQueue: queue('fanout-high') }).resolves({
      jobSummaryList: [
        // Submitted without .sync ahead of an aggregation job: still running.
        {
          jobId: 'arr-1',
          jobName: 'sweep-7-array-r1-0',
          status: 'RUNNING',
          createdAt: 1,
          arrayProperties: { size: 100 },
        },
        // Failed at its first failed child; its other children may still run.
        {
          jobId: 'arr-2',
          jobName: 'sweep-7-array-r1-1',
          status: 'FAILED',
          createdAt: 1,
          arrayProperties: { size: 100 },
        },
        { jobId: 'one', jobName: 'sweep-7-array-r1-2', status: 'SUCCEEDED', createdAt: 1 },
      ],
    });
    batchMock.on(TerminateJobCommand).resolves({});
    // Settling finds the round's jobs by name in the run's queue; none of them ever started a child.
    batchMock.on(DescribeJobsCommand).resolves({ jobs: [] });
    ledgerMock.on(QueryCommand).resolves({ Items: [{ ...failedRow('sweep-7', '0'), status: 'PENDING', round: 1 }] });
    ledgerMock.on(UpdateCommand).resolves({ Attributes: {} });
    const io = captureIo();

    const code = await runCli(['cancel', 'sweep-7', '--aws', '--region', region], io);

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: queue('fanout-high'),
      filters: [{ name: 'JOB_NAME', values: ['sweep-7-array-*'] }],
    });
    expect(batchMock.commandCalls(TerminateJobCommand).map((call) => call.args[0].input.jobId)).toEqual([
      'arr-1',
      'arr-2',
    ]);
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: 'fanout-high',
      filters: [{ name: 'JOB_NAME', values: ['sweep-7-array-r1-*'] }],
    });
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      Key: { runId: 'sweep-7', itemId: '0' },
      ExpressionAttributeValues: expect.objectContaining({ ':failureClass': 'NOT_STARTED' }),
    });
    expect(io.stdout).toEqual([
      `run sweep-7 cancelled (stopped ${executionArn('sweep-7')}); 2 array job(s) terminated; 0 item(s) recorded FAILED (ABORTED); 1 never started (NOT_STARTED, run by fanout retry)`,
    ]);
  });

  it("exits 2 when none of the run's executions is running, stopping nothing", async () => {
    sfnMock.on(ListExecutionsCommand).resolves({ executions: [listed('sweep-8')] });
    const io = captureIo();

    const code = await runCli(['cancel', 'sweep-7', '--aws', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr).toEqual(['fanout: run sweep-7 is not running on stack Fanout (eu-west-1)']);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });
});
