import 'aws-sdk-client-mock-vitest/extend';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, type GetCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awsReportPath } from '../../../cli/commands/report';
import { runCli } from '../../../cli/program';
import type { ReportHeader } from '../../../report';
import { REPORT_ROW_ATTRIBUTES } from '../../../report/build';
import type { ItemRow, RunHeaderRow } from '../../../run';
import { tempDir } from '../../e2e/helpers';
import {
  account,
  arrayExecutionArn,
  arrayStateMachineArn,
  captureIo,
  describedExecution,
  describeStacks,
  executionArn,
  failedRow,
  headerRow,
  ledgerTable,
  region,
  stackOutputs,
  stopDate,
} from '../aws-stack';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const batchMock = mockClient(BatchClient);

const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
const ms = (iso: string) => Date.parse(iso);

/** The CloudWatch console page of a stream in the stack's job log group (docs/deploy-cli.md, "Log links"). */
const consoleLog = (stream: string) =>
  `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Ffanout-jobs/log-events/${stream.replaceAll('/', '$252F')}`;

/** A job as Batch's DescribeJobs returns it (docs.aws.amazon.com/batch/latest/APIReference/API_JobDetail.html). */
function jobDetail(jobId: string, fields: Partial<JobDetail> & Pick<JobDetail, 'status' | 'startedAt'>): JobDetail {
  return {
    jobArn: `arn:aws:batch:${region}:${account}:job/${jobId}`,
    jobName: 'sweep-7-2',
    jobId,
    jobQueue: `arn:aws:batch:${region}:${account}:job-queue/fanout-high`,
    jobDefinition: `arn:aws:batch:${region}:${account}:job-definition/fanout-job:3`,
    createdAt: ms('2026-03-02T10:00:05.000Z'),
    dependsOn: [],
    ...fields,
  };
}

/** A succeeded row as the child's RecordOutcome (or Collect) writes it: times from Batch. */
function succeededRow(runId: string, itemId: string, fields: Partial<ItemRow> = {}): Partial<ItemRow> {
  return {
    itemId,
    status: 'SUCCEEDED',
    idempotent: true,
    attempt: 1,
    kwargs: JSON.stringify({ seed: Number(itemId) }),
    jobId: `5c9d2e7f-1a3b-4c5d-8e9f-${runId.length}0000000000${itemId}`,
    exitCode: 0,
    logStream: `fanout-job/default/ok${itemId}`,
    startedAt: ms('2026-03-02T10:00:20.000Z'),
    stoppedAt: ms('2026-03-02T10:01:10.000Z'),
    ...fields,
  };
}

/** Only the attributes the report projects, as DynamoDB returns them. */
const projected = (row: Partial<ItemRow>) =>
  Object.fromEntries(Object.entries(row).filter(([key]) => (REPORT_ROW_ATTRIBUTES as readonly string[]).includes(key)));

const headers = new Map<string, RunHeaderRow & ReportHeader>();

beforeEach(() => {
  headers.clear();
  cloudFormationMock
    .on(DescribeStacksCommand)
    .resolves(describeStacks(stackOutputs({ ArrayStateMachineArn: arrayStateMachineArn })));
  sfnMock.on(DescribeExecutionCommand).rejects(notFound());
  ledgerMock.on(GetCommand).callsFake((input: GetCommandInput) => {
    const header = headers.get(input.Key?.runId as string);
    return header ? { Item: header } : {};
  });
});

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
  batchMock.reset();
});

describe('fanout report --aws', () => {
  it('builds the report from the ledger, Step Functions and Batch: retries, failures with CloudWatch links, the failed aggregation job', async () => {
    const retries = [{ executionArn: executionArn('sweep-7-retry-1'), startedAt: '2026-03-02T11:00:00.000Z' }];
    const aggregateCause = JSON.stringify({
      JobId: 'a9b8c7d6-aaaa-4bbb-8ccc-000000000aaa',
      StatusReason: 'Essential container in task exited',
      Container: { ExitCode: 4 },
    });
    headers.set('sweep-7', {
      ...headerRow('sweep-7', {
        status: 'FAILED',
        round: 2,
        retries,
        aggregate: { jobName: 'sweep-7-aggregate', command: ['python3', 'reduce.py'], kwargs: '{}' },
      }),
      // Summarize's record of the aggregation job the retry ran (docs/map-path.md, "Run header row").
      aggregateOutcome: {
        status: 'FAILED',
        jobName: 'sweep-7-aggregate',
        jobId: 'a9b8c7d6-aaaa-4bbb-8ccc-000000000aaa',
        exitCode: 4,
        logStream: 'fanout-job/default/agg',
        error: 'States.TaskFailed',
        cause: aggregateCause,
      },
    });
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') }).resolves(
      describedExecution('sweep-7', {
        status: 'SUCCEEDED',
        stopDate,
        input: JSON.stringify({
          runId: 'sweep-7',
          items: [{ seed: 0 }, { seed: 1 }, { seed: 2 }],
          toleratedFailureCount: 2,
        }),
      }),
    );
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-1') }).resolves(
      describedExecution('sweep-7-retry-1', {
        status: 'FAILED',
        startDate: new Date('2026-03-02T11:00:00.000Z'),
        stopDate: new Date('2026-03-02T11:03:00.000Z'),
        input: '{"retryOf":"sweep-7"}',
        error: 'Fanout.AggregateFailed',
        cause: 'aggregation job sweep-7-aggregate failed (States.TaskFailed)',
      }),
    );
    const firstAttempt2 = '0b5e7c1a-2f4d-4e8a-9c3b-0000000000a2';
    ledgerMock.on(QueryCommand).resolves({
      Items: [
        succeededRow('sweep-7', '0'),
        projected(failedRow('sweep-7', '1', { idempotent: false })),
        succeededRow('sweep-7', '2', {
          attempt: 2,
          startedAt: ms('2026-03-02T11:00:30.000Z'),
          stoppedAt: ms('2026-03-02T11:01:00.000Z'),
          attempts: [
            {
              attempt: 1,
              jobId: firstAttempt2,
              failureClass: 'APP_ERROR',
              statusReason: 'Essential container in task exited',
            },
          ],
        }),
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        jobDetail('0b5e7c1a-2f4d-4e8a-9c3b-000000000001', {
          jobName: 'sweep-7-1',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: ms('2026-03-02T10:00:20.000Z'),
          stoppedAt: ms('2026-03-02T10:00:50.000Z'),
          container: { exitCode: 3, logStreamName: 'fanout-job/default/4f6a2b8c9d0e1f2a3b4c5d6e7f809101' },
        }),
        jobDetail(firstAttempt2, {
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: ms('2026-03-02T10:00:20.000Z'),
          stoppedAt: ms('2026-03-02T10:00:40.000Z'),
          container: { exitCode: 3, logStreamName: 'fanout-job/default/first2' },
        }),
        jobDetail('a9b8c7d6-aaaa-4bbb-8ccc-000000000aaa', {
          jobName: 'sweep-7-aggregate',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: ms('2026-03-02T11:01:30.000Z'),
          stoppedAt: ms('2026-03-02T11:02:30.000Z'),
          container: { exitCode: 4, logStreamName: 'fanout-job/default/agg' },
        }),
      ],
    });
    const out = join(tempDir('fanout-report-aws-'), 'sweep-7.html');
    const io = captureIo();

    const code = await runCli(['report', 'sweep-7', '--aws', '--region', region, '--out', out], io);

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout).toEqual([`report: ${out}`]);
    expect(cloudFormationMock).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, { StackName: 'Fanout' });
    // The header is read once, consistently, and not again with the rows.
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'sweep-7', itemId: '#run' },
      ConsistentRead: true,
    });
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(QueryCommand, {
      TableName: ledgerTable,
      KeyConditionExpression: '#runId = :runId AND #a0 > :header',
      ExpressionAttributeValues: { ':runId': 'sweep-7', ':header': '#run' },
    });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: executionArn('sweep-7-retry-1'),
    });
    expect(batchMock).toHaveReceivedCommandExactlyOnceWith(DescribeJobsCommand, {
      jobs: ['0b5e7c1a-2f4d-4e8a-9c3b-000000000001', firstAttempt2, 'a9b8c7d6-aaaa-4bbb-8ccc-000000000aaa'],
    });

    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-testid="run-status">FAILED<');
    expect(html).toContain('items: an inline list of 3');
    expect(html).toContain('data-execution="sweep-7"');
    expect(html).toMatch(
      /data-execution="sweep-7-retry-1">\s*<td>sweep-7-retry-1<\/td><td>retry<\/td><td><span class="status FAILED">FAILED<\/span><\/td>/,
    );
    // No billed transitions on AWS: "—" in the header and left out of the cost.
    expect(html).toContain('<dt>state transitions</dt><dd>—</dd>');
    expect(html).toContain('Step Functions: not included');
    // One bar per attempt (4) and the aggregation job's.
    expect(html.match(/<rect class="bar /g)).toHaveLength(5);
    expect(html).toMatch(/<rect class="bar failed" data-item="2" data-attempt="1"/);
    expect(html).toMatch(/<rect class="bar aggregate failed" data-aggregate="sweep-7-aggregate"/);
    expect(html).toContain(`href="${consoleLog('fanout-job/default/4f6a2b8c9d0e1f2a3b4c5d6e7f809101')}"`);
    expect(html).toContain('<h3>Aggregation job: Essential container in task exited</h3>');
    expect(html).toContain(`<td><a href="${consoleLog('fanout-job/default/agg')}">fanout-job/default/agg</a></td>`);
    expect(html).toContain(
      'data-testid="retry-command">npx fanout retry sweep-7 --aws --stack Fanout --region eu-west-1</pre>',
    );
  });

  it('reports an array run by the name of its retry execution: children timed by Batch, the run retried on the stack', async () => {
    const parent = '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a6b7';
    const retryJob = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
    const arrayHeader = headerRow('scan', {
      path: 'array',
      status: 'FAILED',
      round: 2,
      executionArn: arrayExecutionArn('scan'),
      retries: [{ executionArn: arrayExecutionArn('scan-retry-1'), startedAt: '2026-03-02T11:00:00.000Z' }],
    });
    headers.set('scan', arrayHeader);
    sfnMock.on(DescribeExecutionCommand, { executionArn: arrayExecutionArn('scan') }).resolves(
      describedExecution('scan', {
        executionArn: arrayExecutionArn('scan'),
        stateMachineArn: arrayStateMachineArn,
        status: 'FAILED',
        stopDate,
        error: 'States.TaskFailed',
        input: JSON.stringify({ runId: 'scan', replicas: { count: 3 } }),
      }),
    );
    sfnMock.on(DescribeExecutionCommand, { executionArn: arrayExecutionArn('scan-retry-1') }).resolves(
      describedExecution('scan-retry-1', {
        executionArn: arrayExecutionArn('scan-retry-1'),
        stateMachineArn: arrayStateMachineArn,
        status: 'FAILED',
        startDate: new Date('2026-03-02T11:00:00.000Z'),
        stopDate: new Date('2026-03-02T11:02:00.000Z'),
        error: 'States.TaskFailed',
        input: '{"retryOf":"scan"}',
      }),
    );
    ledgerMock.on(QueryCommand).resolves({
      Items: [
        succeededRow('scan', '0', { jobId: `${parent}:0` }),
        // Failed as child 1, and again as the retry's plain job (one item: Batch refuses arrays of one).
        projected(
          failedRow('scan', '1', {
            attempt: 2,
            jobId: retryJob,
            logStream: 'fanout-job/default/retry1',
            attempts: [
              {
                attempt: 1,
                jobId: `${parent}:1`,
                failureClass: 'APP_ERROR',
                statusReason: 'Essential container in task exited',
              },
            ],
          }),
        ),
        succeededRow('scan', '2', { jobId: `${parent}:2` }),
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        jobDetail(`${parent}:1`, {
          jobName: 'scan-array-r1-0',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: ms('2026-03-02T10:00:20.000Z'),
          stoppedAt: ms('2026-03-02T10:00:40.000Z'),
          arrayProperties: { index: 1 },
          container: { exitCode: 3, logStreamName: 'fanout-job/default/child1' },
        }),
        jobDetail(retryJob, {
          jobName: 'scan-array-r2-0',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: ms('2026-03-02T11:00:30.000Z'),
          stoppedAt: ms('2026-03-02T11:00:50.000Z'),
          container: { exitCode: 3, logStreamName: 'fanout-job/default/retry1' },
        }),
      ],
    });
    const out = join(tempDir('fanout-report-aws-'), 'scan.html');
    const io = captureIo();

    const code = await runCli(
      ['report', 'scan-retry-1', '--aws', '--stack', 'Fanout', '--region', region, '--out', out],
      io,
    );

    expect(code, io.stderr.join('\n')).toBe(0);
    // Not a run id: the header of the run it names lists it, so no execution is looked up by name.
    expect(ledgerMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'scan-retry-1', itemId: '#run' },
      ConsistentRead: true,
    });
    expect(ledgerMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'scan', itemId: '#run' },
      ConsistentRead: true,
    });
    expect(sfnMock).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
    expect(batchMock).toHaveReceivedCommandExactlyOnceWith(DescribeJobsCommand, { jobs: [`${parent}:1`, retryJob] });

    const html = readFileSync(out, 'utf8');
    expect(html).toContain('data-testid="run-id">scan<');
    expect(html).toContain('<dt>path</dt><dd>array</dd>');
    expect(html).toContain('replicas: 3 copies, index in &quot;index&quot;');
    expect(html.match(/<rect class="bar /g)).toHaveLength(4);
    expect(html).toMatch(/<rect class="bar failed" data-item="1" data-attempt="1"/);
    expect(html).toMatch(/<rect class="bar failed" data-item="1" data-attempt="2"/);
    expect(html).toContain(`href="${consoleLog('fanout-job/default/retry1')}"`);
    expect(html).toContain(
      'data-testid="retry-command">npx fanout retry scan --aws --stack Fanout --region eu-west-1</pre>',
    );
    expect(html).toContain('Prepare, Collect and Notify per execution');
  });

  it('exits 2 for a run with neither a ledger row nor an execution of that name, and for a RUNID that is no execution name', async () => {
    const io = captureIo();
    expect(await runCli(['report', 'nothing-here', '--aws', '--region', region], io)).toBe(2);
    expect(io.stderr[0]).toBe(
      `fanout: no run "nothing-here" in stack Fanout (eu-west-1) (no row in ledger ${ledgerTable}, no execution of ${describedExecution('x').stateMachineArn} by that name)`,
    );

    const bad = captureIo();
    expect(await runCli(['report', '../../etc/passwd', '--aws', '--region', region], bad)).toBe(2);
    expect(bad.stderr[0]).toBe(
      'fanout: runId must be an execution name (1-80 letters, digits, "_", "-" or ".", starting with a letter or digit); received "../../etc/passwd"',
    );
    expect(cloudFormationMock).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  it('refuses --stack and --region without --aws', async () => {
    const io = captureIo();
    expect(await runCli(['report', 'sweep-7', '--stack', 'Fanout'], io)).toBe(2);
    expect(io.stderr[0]).toBe('fanout: --stack and --region apply to a deployed stack only: add --aws');
  });

  it('writes to fanout-report-<runId>.html in the working directory by default', () => {
    expect(awsReportPath('sweep-7', '/home/me/work')).toBe('/home/me/work/fanout-report-sweep-7.html');
  });
});
