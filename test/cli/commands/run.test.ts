import 'aws-sdk-client-mock-vitest/extend';
import { BatchClient, DescribeJobsCommand, ListJobsCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionAlreadyExists,
  ListMapRunsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../../../cli/commands/run';
import { runCli } from '../../../cli/program';
import type { RunSummary } from '../../../run';
import {
  arrayExecutionArn,
  arrayStateMachineArn,
  captureIo,
  describedExecution,
  describeStacks,
  executionArn,
  failedRow,
  headerRow,
  inputFile,
  ledgerTable,
  mapStateMachineArn,
  region,
  stackOutputs,
  startDate,
  stopDate,
} from '../aws-stack';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const batchMock = mockClient(BatchClient);

const input = {
  runId: 'sweep-7',
  items: [{ seed: 0 }, { seed: 1 }, { seed: 2 }],
  command: ['python3', 'estimate.py', '--seed', '{seed}'],
};
const never = new Promise<never>(() => undefined);
const mapRunArn = `arn:aws:states:${region}:123456789012:mapRun:Fanout-MapStateMachine7A3B5C1D-Xy12Ab34Cd56/FanOut:0f3c9a4e-8b7d-4c2a-9e1f-5a6b7c8d9e0f`;
const thresholdCause = 'The specified tolerated failure threshold was exceeded';

/** Ledger queries by their shape: the count (key and status only), the failed-items index, the settle of a stopped run. */
function ledgerQueries(pages: {
  count: Array<Array<{ itemId: string; status: string }>>;
  failed?: unknown[];
  unsettled?: unknown[];
}) {
  let countPage = 0;
  ledgerMock.on(QueryCommand).callsFake((query: QueryCommandInput) => {
    if (query.IndexName === 'failed-items') return { Items: pages.failed ?? [] };
    if (query.FilterExpression) return { Items: pages.unsettled ?? [] };
    const page = countPage++;
    const items = pages.count[page] ?? [];
    const last =
      page < pages.count.length - 1 ? { LastEvaluatedKey: { runId: 'sweep-7', itemId: items.at(-1)?.itemId } } : {};
    return { Items: items, ...last };
  });
}

beforeEach(() => {
  cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
  // No job of the run is STARTING or RUNNING in Batch unless a test says so.
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: executionArn('sweep-7'), startDate });
  sfnMock.on(ListMapRunsCommand).resolves({
    mapRuns: [{ executionArn: executionArn('sweep-7'), mapRunArn, stateMachineArn: mapStateMachineArn, startDate }],
  });
  sfnMock.on(DescribeMapRunCommand).resolves({
    mapRunArn,
    executionArn: executionArn('sweep-7'),
    status: 'RUNNING',
    startDate,
    maxConcurrency: 1000,
    toleratedFailurePercentage: 0,
    toleratedFailureCount: 0,
    itemCounts: {
      pending: 0,
      running: 1,
      succeeded: 1,
      failed: 1,
      timedOut: 0,
      aborted: 0,
      total: 3,
      resultsWritten: 2,
    },
    executionCounts: {
      pending: 0,
      running: 1,
      succeeded: 1,
      failed: 1,
      timedOut: 0,
      aborted: 0,
      total: 3,
      resultsWritten: 2,
    },
  });
  // No run with this id in the ledger yet.
  ledgerMock.on(GetCommand).resolves({});
});

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
  batchMock.reset();
});

describe('fanout run --aws', () => {
  it('starts the execution named after the run id, follows the Map Run, and prints the summary of a FAILED run with exit 1', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce(describedExecution('sweep-7', { input: JSON.stringify(input) }))
      .resolves(
        describedExecution('sweep-7', {
          input: JSON.stringify(input),
          status: 'FAILED',
          stopDate,
          error: 'States.ExceedToleratedFailureThreshold',
          cause: thresholdCause,
        }),
      );
    ledgerQueries({
      count: [
        [{ itemId: '0', status: 'SUCCEEDED' }],
        [
          { itemId: '1', status: 'FAILED' },
          { itemId: '2', status: 'FAILED' },
        ],
      ],
    });
    const io = captureIo();

    const code = await runCommand(
      { input: inputFile(input), json: true, aws: { region }, pollIntervalMs: 0, interrupted: never },
      io,
    );

    expect(code).toBe(1);
    expect(JSON.parse(io.stdout.at(-1) as string)).toEqual({
      runId: 'sweep-7',
      path: 'map',
      status: 'FAILED',
      executionStatus: 'FAILED',
      items: { total: 3, succeeded: 1, failed: 2, neverStarted: 0, queued: 0, running: 0 },
      counts: { total: 3, pending: 0, running: 0, succeeded: 1, failed: 2, retrying: 0, abandoned: 0 },
      error: 'States.ExceedToleratedFailureThreshold',
      cause: thresholdCause,
      stateTransitions: null,
      executionArn: executionArn('sweep-7'),
      startedAt: '2026-03-02T10:00:00.000Z',
      stoppedAt: '2026-03-02T10:04:30.500Z',
      durationSeconds: 270.5,
    } satisfies RunSummary);
    expect(cloudFormationMock).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, { StackName: 'Fanout' });
    expect(ledgerMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'sweep-7', itemId: '#run' },
      ConsistentRead: true,
    });
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: mapStateMachineArn, name: 'sweep-7', input: JSON.stringify(input) },
    ]);
    expect(sfnMock).toHaveReceivedCommandWith(ListMapRunsCommand, { executionArn: executionArn('sweep-7') });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeMapRunCommand, { mapRunArn });
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') });
    // The two pages of the count of the run's rows, and its first failures from the failed-items index.
    expect(ledgerMock).toHaveReceivedCommandTimes(QueryCommand, 3);
    expect(sfnMock).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it("runs --path array on the stack's array state machine, with progress from the array jobs' status summaries", async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ ArrayStateMachineArn: arrayStateMachineArn })));
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: arrayExecutionArn('sweep-7'), startDate });
    const running = {
      ...describedExecution('sweep-7', { input: JSON.stringify(input) }),
      executionArn: arrayExecutionArn('sweep-7'),
    };
    const ended = {
      ...describedExecution('sweep-7', { input: JSON.stringify(input), status: 'SUCCEEDED', stopDate }),
      executionArn: arrayExecutionArn('sweep-7'),
    };
    sfnMock.on(DescribeExecutionCommand).resolvesOnce(running).resolvesOnce(running).resolves(ended);
    const highQueue = stackOutputs().JobQueueHighArn as string;
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    batchMock.on(ListJobsCommand, { jobQueue: highQueue }).resolves({
      jobSummaryList: [
        {
          jobId: 'arr-1',
          jobName: 'sweep-7-array-r1-0',
          status: 'PENDING',
          createdAt: startDate.getTime(),
          arrayProperties: { size: 3 },
        },
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: 'arr-1',
          jobName: 'sweep-7-array-r1-0',
          jobQueue: highQueue,
          jobDefinition: 'fanout-job:3',
          status: 'PENDING',
          startedAt: 0,
          arrayProperties: { size: 3, statusSummary: { SUCCEEDED: 2, RUNNING: 1 } },
        },
      ],
    } as never);
    ledgerQueries({
      count: [
        [
          { itemId: '0', status: 'SUCCEEDED' },
          { itemId: '1', status: 'SUCCEEDED' },
          { itemId: '2', status: 'SUCCEEDED' },
        ],
      ],
    });
    const io = captureIo();

    const code = await runCommand(
      { input: inputFile(input), path: 'array', aws: { region }, pollIntervalMs: 0, interrupted: never },
      io,
    );

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: arrayStateMachineArn, name: 'sweep-7', input: JSON.stringify(input) },
    ]);
    expect(sfnMock).not.toHaveReceivedCommand(ListMapRunsCommand);
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: highQueue,
      filters: [{ name: 'JOB_NAME', values: ['sweep-7-array-*'] }],
    });
    expect(io.stdout.join('\n')).toContain('2/3 done · 2 succeeded · 0 failed · 1 running');
    expect(io.stdout.join('\n')).toMatch(/status\s+SUCCEEDED/);
  });

  it('shows progress and the failed items with their CloudWatch console links', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce(describedExecution('sweep-7'))
      .resolves(
        describedExecution('sweep-7', {
          status: 'FAILED',
          stopDate,
          error: 'States.ExceedToleratedFailureThreshold',
          cause: thresholdCause,
        }),
      );
    ledgerQueries({
      count: [
        [
          { itemId: '0', status: 'SUCCEEDED' },
          { itemId: '1', status: 'FAILED' },
          { itemId: '2', status: 'FAILED' },
        ],
      ],
      failed: [
        failedRow('sweep-7', '1'),
        failedRow('sweep-7', '2', {
          exitCode: 137,
          failureClass: 'OUT_OF_MEMORY',
          containerReason: 'OutOfMemoryError: Container killed due to memory usage',
        }),
      ],
    });
    const io = captureIo();

    const code = await runCommand(
      { input: inputFile(input), aws: { region }, pollIntervalMs: 0, interrupted: never },
      io,
    );

    expect(code).toBe(1);
    const stdout = io.stdout.join('\n');
    expect(io.stdout[0]).toBe('run sweep-7 started (stack Fanout (eu-west-1))');
    // The Map Run's running child still waits in Batch's queue: it is queued, not running.
    expect(stdout).toMatch(/^2\/3 done · 1 succeeded · 1 failed · 0 running · 1 queued · /m);
    expect(stdout).toMatch(/status\s+FAILED/);
    expect(stdout).toMatch(/state transitions\s+not reported/);
    const logUrl = (stream: string) =>
      `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Ffanout-jobs/log-events/${stream.replaceAll('/', '$252F')}`;
    expect(io.stdout.at(-1)).toBe(
      [
        'failed items:',
        '  1 exit 3: Essential container in task exited (APP_ERROR)',
        `    log: ${logUrl('fanout-job/default/4f6a2b8c9d0e1f2a3b4c5d6e7f809101')}`,
        '  2 exit 137: OutOfMemoryError: Container killed due to memory usage (OUT_OF_MEMORY)',
        `    log: ${logUrl('fanout-job/default/4f6a2b8c9d0e1f2a3b4c5d6e7f809102')}`,
        'details: npx fanout status sweep-7 --aws --stack Fanout --region eu-west-1 --json',
      ].join('\n'),
    );
    expect(ledgerMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: ledgerTable,
      IndexName: 'failed-items',
      KeyConditionExpression: '#failedRunId = :runId',
      ExpressionAttributeValues: { ':runId': 'sweep-7' },
      Limit: 10,
    });
  });

  it("follows the newest Map Run (a retry round's), whatever the order ListMapRuns gives", async () => {
    const retryRoundArn = mapRunArn.replace(/:[0-9a-f-]+$/, ':7c2d1e0f-3a4b-4c5d-8e6f-9a0b1c2d3e4f');
    sfnMock.on(ListMapRunsCommand).resolves({
      mapRuns: [
        {
          executionArn: executionArn('sweep-7'),
          mapRunArn: retryRoundArn,
          stateMachineArn: mapStateMachineArn,
          startDate: new Date('2026-03-02T10:03:00.000Z'),
        },
        {
          executionArn: executionArn('sweep-7'),
          mapRunArn,
          stateMachineArn: mapStateMachineArn,
          startDate,
          stopDate: new Date('2026-03-02T10:02:59.000Z'),
        },
      ],
    });
    sfnMock
      .on(DescribeExecutionCommand)
      .resolvesOnce(describedExecution('sweep-7'))
      .resolves(describedExecution('sweep-7', { status: 'SUCCEEDED', stopDate }));
    ledgerQueries({ count: [[{ itemId: '0', status: 'SUCCEEDED' }]] });

    expect(
      await runCommand(
        { input: inputFile(input), json: true, aws: { region }, pollIntervalMs: 0, interrupted: never },
        captureIo(),
      ),
    ).toBe(0);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeMapRunCommand, { mapRunArn: retryRoundArn });
  });

  it.each(['FanOutInShare', 'FanOutInSharePrioritized'])(
    'follows the Map Run of %s, the Map a run in a fair-share share goes through (docs/map-path.md, "Fair share")',
    async (label) => {
      const sharedRunArn = mapRunArn.replace('/FanOut:', `/${label}:`);
      sfnMock.on(ListMapRunsCommand).resolves({
        mapRuns: [
          {
            executionArn: executionArn('sweep-7'),
            mapRunArn: sharedRunArn,
            stateMachineArn: mapStateMachineArn,
            startDate,
          },
        ],
      });
      sfnMock
        .on(DescribeExecutionCommand)
        .resolvesOnce(describedExecution('sweep-7'))
        .resolves(describedExecution('sweep-7', { status: 'SUCCEEDED', stopDate }));
      ledgerQueries({ count: [[{ itemId: '0', status: 'SUCCEEDED' }]] });

      expect(
        await runCommand(
          { input: inputFile(input), json: true, aws: { region }, pollIntervalMs: 0, interrupted: never },
          captureIo(),
        ),
      ).toBe(0);
      expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(DescribeMapRunCommand, { mapRunArn: sharedRunArn });
    },
  );

  it('exits 0 for a run that succeeded (through the command line)', async () => {
    sfnMock
      .on(DescribeExecutionCommand)
      .resolves(describedExecution('sweep-7', { status: 'SUCCEEDED', stopDate, output: '{"status":"SUCCEEDED"}' }));
    ledgerQueries({
      count: [
        [
          { itemId: '0', status: 'SUCCEEDED' },
          { itemId: '1', status: 'SUCCEEDED' },
          { itemId: '2', status: 'SUCCEEDED' },
        ],
      ],
    });
    const io = captureIo();

    const code = await runCli(
      ['run', inputFile(input), '--aws', '--stack', 'Fanout', '--region', region, '--json'],
      io,
    );

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({
      runId: 'sweep-7',
      status: 'SUCCEEDED',
      counts: { total: 3, succeeded: 3 },
      stateTransitions: null,
    });
  });

  it('rejects an invalid input with exit 2, naming the field, before reading the stack or starting anything', async () => {
    const io = captureIo();

    const code = await runCli(
      ['run', inputFile({ items: [{ seed: 1 }], maxConcurrency: -1 }), '--aws', '--region', region],
      io,
    );

    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/invalid input .*maxConcurrency/);
    expect(cloudFormationMock).not.toHaveReceivedAnyCommand();
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
    expect(ledgerMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 naming the stack and the key when the stack lacks an output, starting nothing', async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ MapStateMachineArn: undefined })));
    const io = captureIo();

    const code = await runCli(['run', inputFile(input), '--aws', '--stack', 'Fanout', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr).toEqual([
      'fanout: stack Fanout in eu-west-1 (CREATE_COMPLETE) has no output MapStateMachineArn; the CLI needs MapStateMachineArn, LedgerTableName, DataBucketName, JobLogGroupName, Region',
    ]);
    expect(sfnMock).not.toHaveReceivedAnyCommand();
  });

  it('exits 2 when the run id already has a header row in the ledger, starting nothing', async () => {
    ledgerMock.on(GetCommand).resolves({ Item: headerRow('sweep-7') });
    const io = captureIo();
    const path = inputFile(input);

    const code = await runCli(['run', path, '--aws', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr).toEqual([
      `fanout: invalid input ${path}: runId "sweep-7" already ran in ledger ${ledgerTable} of stack Fanout (eu-west-1); choose another runId`,
    ]);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('exits 2 when Step Functions refuses the execution name', async () => {
    sfnMock.on(StartExecutionCommand).rejects(
      new ExecutionAlreadyExists({
        message: `Execution Already Exists: '${executionArn('sweep-7')}'`,
        $metadata: {},
      }),
    );
    const io = captureIo();

    const code = await runCli(['run', inputFile(input), '--aws', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr[0]).toBe(
      `fanout: could not start sweep-7 on stack Fanout (eu-west-1): ExecutionAlreadyExists: Execution Already Exists: '${executionArn('sweep-7')}'`,
    );
  });

  it('refuses --stack without --aws', async () => {
    const io = captureIo();
    expect(await runCli(['run', inputFile(input), '--stack', 'Fanout'], io)).toBe(2);
    expect(io.stderr).toEqual(['fanout: --stack and --region apply to a deployed stack only: add --aws']);
  });

  it('stops the execution on Ctrl+C and settles the rows its stopped children left, as locally', async () => {
    let stopped = false;
    sfnMock.on(StopExecutionCommand).callsFake(() => {
      stopped = true;
      return { stopDate };
    });
    sfnMock.on(DescribeExecutionCommand).callsFake(() =>
      stopped
        ? describedExecution('sweep-7', {
            status: 'ABORTED',
            stopDate,
            error: 'Fanout.Interrupted',
            cause: 'stopped by the user (SIGINT)',
          })
        : describedExecution('sweep-7'),
    );
    // No header before the start (the check that the run id is new); Prepare's header when the stop is settled.
    ledgerMock
      .on(GetCommand)
      .callsFake(() => (sfnMock.commandCalls(StartExecutionCommand).length > 0 ? { Item: headerRow('sweep-7') } : {}));
    const pending = { ...failedRow('sweep-7', '0'), status: 'PENDING' };
    ledgerQueries({
      count: [
        [
          { itemId: '0', status: 'FAILED' },
          { itemId: '1', status: 'SUCCEEDED' },
          { itemId: '2', status: 'SUCCEEDED' },
        ],
      ],
      unsettled: [pending],
    });
    ledgerMock.on(UpdateCommand).resolves({ Attributes: { ...pending, status: 'FAILED', failureClass: 'ABORTED' } });
    // The job outlives its aborted child for a moment on AWS: settling terminates it.
    const jobId = '0b5e7c1a-2f4d-4e8a-9c3b-000000000000';
    batchMock.on(ListJobsCommand).resolves({
      jobSummaryList: [
        {
          jobArn: `arn:aws:batch:${region}:123456789012:job/${jobId}`,
          jobId,
          jobName: 'sweep-7-0',
          status: 'RUNNING',
          createdAt: 1,
        },
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId,
          jobName: 'sweep-7-0',
          jobQueue: 'fanout-high',
          jobDefinition: 'fanout-job:3',
          status: 'RUNNING',
          startedAt: 1,
          container: { environment: [{ name: 'FANOUT_RUN_ID', value: 'sweep-7' }] },
        },
      ],
    });
    batchMock.on(TerminateJobCommand).resolves({});
    const io = captureIo();

    const code = await runCommand(
      {
        input: inputFile(input),
        json: true,
        aws: { region },
        pollIntervalMs: 0,
        interrupted: Promise.resolve('SIGINT'),
      },
      io,
    );

    expect(code).toBe(1);
    expect(sfnMock).toHaveReceivedCommandExactlyOnceWith(StopExecutionCommand, {
      executionArn: executionArn('sweep-7'),
      error: 'Fanout.Interrupted',
      cause: 'stopped by the user (SIGINT)',
    });
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: 'fanout-high',
      filters: [{ name: 'JOB_NAME', values: ['sweep-7-*'] }],
    });
    expect(batchMock).toHaveReceivedCommandWith(TerminateJobCommand, { jobId });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: ledgerTable,
      Key: { runId: 'sweep-7', itemId: '0' },
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'FAILED',
        ':failureClass': 'ABORTED',
        ':seenStatus': 'PENDING',
        ':seenAttempt': 1,
      }),
    });
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({
      status: 'ABORTED',
      error: 'Fanout.Interrupted',
      counts: { total: 3, failed: 1, succeeded: 2 },
      stateTransitions: null,
    });
    expect(io.stderr).toContain('stopping run sweep-7 ...');
  });
});
