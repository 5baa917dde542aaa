import 'aws-sdk-client-mock-vitest/extend';
import { Readable } from 'node:stream';
import { BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CollectDependencies, type CollectEvent, createCollectHandler } from '../../lambdas/collect';
import { ChildrenStillRunningError, CollectError } from '../../lambdas/shared/array-children';
import { EventError } from '../../lambdas/shared/errors';
import { manifestLine } from '../../lambdas/shared/manifest';

const region = 'us-east-1';
const s3Mock = mockClient(S3Client);
const batchMock = mockClient(BatchClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const now = new Date('2025-01-02T03:05:00.000Z');

function makeHandler(overrides: Partial<CollectDependencies> = {}) {
  return createCollectHandler({
    s3: new S3Client({ region }),
    batch: new BatchClient({ region }),
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    tableName: 'fanout-ledger',
    now: () => now,
    ...overrides,
  });
}

const itemIds = (count: number) => Array.from({ length: count }, (_, n) => `item-${n}`);

/** The manifest holds these items, in order; the ledger's Query answers with these statuses. */
function given(ids: string[], statuses: Record<string, string> = {}, manifestIds: string[] = ids): void {
  const body = manifestIds
    .map((itemId) => manifestLine({ itemId, jobName: `r-${itemId}`, kwargsJson: '{"x":1}', idempotent: true }))
    .join('\n');
  s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(body === '' ? '' : `${body}\n`)]) }));
  ledgerMock
    .on(QueryCommand)
    .resolves({ Items: ids.map((itemId) => ({ itemId, status: statuses[itemId] ?? 'SUCCEEDED' })) });
}

/** Batch knows these jobs; DescribeJobs answers with those asked for, unknown ids left out as AWS does. */
function batchKnows(jobs: JobDetail[]): void {
  const byId = new Map(jobs.map((job) => [job.jobId, job]));
  batchMock.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
    jobs: input.jobs.flatMap((id) => (byId.has(id) ? [byId.get(id)] : [])),
  }));
}

const succeeded = (jobId: string): JobDetail =>
  ({
    jobId,
    jobName: 'r-array-r1-0',
    status: 'SUCCEEDED',
    startedAt: 1000,
    stoppedAt: 2000,
    container: { exitCode: 0, logStreamName: `fanout-job/default/${jobId}` },
  }) as JobDetail;
/** An array parent as DescribeJobs shows it: its status and its children counted by status. */
const parent = (jobId: string, status: string, size: number, statusSummary: Record<string, number>): JobDetail =>
  ({ jobId, jobName: 'r-array-r1-0', status, arrayProperties: { size, statusSummary } }) as JobDetail;
const failed = (jobId: string, exitCode: number): JobDetail =>
  ({
    jobId,
    jobName: 'r-array-r1-0',
    status: 'FAILED',
    statusReason: 'Essential container in task exited',
    container: { exitCode, logStreamName: `fanout-job/default/${jobId}` },
  }) as JobDetail;

function collectEvent(
  arrays: CollectEvent['arrays'],
  itemCount = arrays.reduce((sum, array) => sum + array.size, 0),
  extra: Record<string, unknown> = {},
): CollectEvent {
  return {
    prepared: {
      runId: 'r',
      path: 'array',
      round: 1,
      itemCount,
      createdAt: '2025-01-02T03:04:05.000Z',
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-array:r',
      manifest: { bucket: 'fanout-data', key: 'runs/r/manifest.jsonl' },
      jobQueue: 'fanout-high',
      arrays: arrays.map(({ jobName, start, size }) => ({ jobName, start, size })),
      ...extra,
    },
    arrays,
  };
}

/** What Step Functions catches for a FAILED .sync job: States.TaskFailed with the job detail as the cause. */
const failedArray = (jobId: string, size: number, statusReason = 'Array Child Job failed') => ({
  jobName: 'r-array-r1-0',
  start: 0,
  size,
  error: {
    Error: 'States.TaskFailed',
    Cause: JSON.stringify({ JobId: jobId, JobName: 'r-array-r1-0', Status: 'FAILED', StatusReason: statusReason }),
  },
});

beforeEach(() => {
  ledgerMock.on(UpdateCommand).resolves({});
});

afterEach(() => {
  s3Mock.reset();
  batchMock.reset();
  ledgerMock.reset();
});

describe('collect', () => {
  it("records child i of the array as manifest item i, with the map path's fields and failure classes", async () => {
    given(itemIds(3), { 'item-1': 'FAILED' });
    batchKnows([
      parent('p', 'FAILED', 3, { SUCCEEDED: 2, FAILED: 1 }),
      succeeded('p:0'),
      failed('p:1', 3),
      succeeded('p:2'),
    ]);

    const summary = await makeHandler()(collectEvent([failedArray('p', 3)]));

    // First the parent (have all children ended?), then the children, in one call.
    expect(batchMock.commandCalls(DescribeJobsCommand).map((call) => call.args[0].input.jobs)).toEqual([
      ['p'],
      ['p:0', 'p:1', 'p:2'],
    ]);
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'fanout-ledger',
      Key: { runId: 'r', itemId: 'item-0' },
      UpdateExpression:
        'SET #status = :succeeded, #jobId = :jobId, #exitCode = :exitCode, #logStream = :logStream, #startedAt = :startedAt, #stoppedAt = :stoppedAt, #queue = :queue, #updatedAt = :updatedAt REMOVE #error, #cause, #failureClass, #statusReason, #containerReason, #failedRunId',
      ConditionExpression:
        'attribute_exists(#itemId) AND #status <> :succeeded AND #status <> :abandoned AND #round <= :round',
      ExpressionAttributeValues: expect.objectContaining({
        ':jobId': 'p:0',
        ':exitCode': 0,
        ':logStream': 'fanout-job/default/p:0',
        ':startedAt': 1000,
        ':stoppedAt': 2000,
        ':round': 1,
        ':queue': 'fanout-high',
        ':updatedAt': now.toISOString(),
      }),
    });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: 'item-1' },
      UpdateExpression:
        'SET #status = :failed, #failureClass = :failureClass, #error = :error, #cause = :cause, #jobId = :jobId, #exitCode = :exitCode, #statusReason = :statusReason, #containerReason = :containerReason, #logStream = :logStream, #queue = :queue, #failedRunId = :runId, #updatedAt = :updatedAt REMOVE #startedAt, #stoppedAt',
      ExpressionAttributeValues: expect.objectContaining({
        ':failed': 'FAILED',
        ':failureClass': 'APP_ERROR',
        ':error': 'States.TaskFailed',
        ':cause': 'Batch job p:1 failed: Essential container in task exited',
        ':jobId': 'p:1',
        ':exitCode': 3,
        ':runId': 'r',
      }),
    });
    // Two writes per item at most: the PENDING row (Prepare) and this one.
    expect(
      ledgerMock.commandCalls(UpdateCommand).filter((call) => call.args[0].input.Key?.itemId !== '#run'),
    ).toHaveLength(3);
    expect(summary).toMatchObject({
      runId: 'r',
      path: 'array',
      status: 'FAILED',
      counts: { total: 3, succeeded: 2, failed: 1 },
      error: {
        error: 'States.TaskFailed',
        cause: 'Batch job p (r-array-r1-0) failed: Array Child Job failed; 1 item(s) of this execution FAILED (item-1)',
      },
      arrayJobs: [{ jobName: 'r-array-r1-0', jobId: 'p', size: 3, status: 'FAILED' }],
    });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: '#run' },
      UpdateExpression: 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt, #error = :error',
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'FAILED' }),
    });
  });

  it('describes children 100 at a time across jobs, and a plain job by its own id', async () => {
    given(itemIds(251));
    const ids = [...Array.from({ length: 250 }, (_, i) => `a:${i}`), 'b'];
    batchKnows([parent('a', 'SUCCEEDED', 250, { SUCCEEDED: 250 }), ...ids.map(succeeded)]);
    const arrays = [
      { jobName: 'r-array-r1-0', start: 0, size: 250, job: { jobId: 'a', status: 'SUCCEEDED' } },
      { jobName: 'r-array-r1-1', start: 250, size: 1, job: { jobId: 'b', status: 'SUCCEEDED' } },
    ];

    const summary = await makeHandler()(collectEvent(arrays));

    const [parents, ...calls] = batchMock.commandCalls(DescribeJobsCommand).map((call) => call.args[0].input.jobs);
    expect(parents).toEqual(['a', 'b']);
    expect(calls.map((jobs) => jobs?.length)).toEqual([100, 100, 51]);
    expect(calls.flat()).toEqual(ids);
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: 'item-250' },
      ExpressionAttributeValues: expect.objectContaining({ ':jobId': 'b' }),
    });
    expect(summary).toMatchObject({ status: 'SUCCEEDED', counts: { total: 251, succeeded: 251 } });
    expect(summary.error).toBeUndefined();
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: '#run' },
      UpdateExpression: 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt REMOVE #error',
    });
  });

  it('records the items of a job that was never submitted as SUBMIT_ERROR, without asking Batch', async () => {
    given(itemIds(2), { 'item-0': 'FAILED', 'item-1': 'FAILED' });
    const cause = 'JobQueue fanout-high not found. (Service: AWSBatch; Status Code: 400; Error Code: ClientException)';
    const summary = await makeHandler()(
      collectEvent([
        { jobName: 'r-array-r1-0', start: 0, size: 2, error: { Error: 'Batch.ClientException', Cause: cause } },
      ]),
    );

    expect(batchMock).not.toHaveReceivedCommand(DescribeJobsCommand);
    for (const itemId of ['item-0', 'item-1']) {
      expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { runId: 'r', itemId },
        UpdateExpression: expect.stringContaining('REMOVE #jobId, #exitCode'),
        ExpressionAttributeValues: expect.objectContaining({
          ':failureClass': 'SUBMIT_ERROR',
          ':error': 'Batch.ClientException',
          ':cause': cause,
        }),
      });
    }
    expect(summary.error).toEqual({
      error: 'Batch.ClientException',
      cause: `Batch job r-array-r1-0 was not submitted: ${cause}; 2 item(s) of this execution FAILED (item-0, item-1)`,
    });
  });

  it("records children that never existed with their parent's failure", async () => {
    given(itemIds(2), { 'item-0': 'FAILED', 'item-1': 'FAILED' });
    batchKnows([]);
    await makeHandler()(collectEvent([failedArray('p', 2, 'cancelled by the operator')]));
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: 'item-1' },
      ExpressionAttributeValues: expect.objectContaining({
        ':failureClass': 'ABORTED',
        ':jobId': 'p',
        ':exitCode': null,
        ':statusReason': 'cancelled by the operator',
      }),
    });
  });

  it('leaves a row whose condition refuses the write (a final or newer outcome is there)', async () => {
    given(itemIds(2));
    batchKnows([succeeded('p:0'), succeeded('p:1')]);
    ledgerMock
      .on(UpdateCommand, { Key: { runId: 'r', itemId: 'item-0' } })
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    await expect(
      makeHandler()(
        collectEvent([{ jobName: 'r-array-r1-0', start: 0, size: 2, job: { jobId: 'p', status: 'SUCCEEDED' } }]),
      ),
    ).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });

  it('keeps at most writeConcurrency ledger writes in flight', async () => {
    given(itemIds(120));
    batchKnows(Array.from({ length: 120 }, (_, i) => succeeded(`p:${i}`)));
    let inFlight = 0;
    let most = 0;
    ledgerMock.on(UpdateCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return {};
    });
    await makeHandler({ writeConcurrency: 4 })(
      collectEvent([{ jobName: 'r-array-r1-0', start: 0, size: 120, job: { jobId: 'p', status: 'SUCCEEDED' } }]),
    );
    expect(most).toBe(4);
    expect(ledgerMock.commandCalls(UpdateCommand)).toHaveLength(121);
  });

  it('fails a run whose items cannot all succeed even when this execution ran nothing, and reports the retry', async () => {
    // Nothing was retried: the round's manifest is empty, the run's rows are still there.
    given(['a', 'b'], { b: 'FAILED' }, []);
    const summary = await makeHandler()(collectEvent([], 2, { retryOf: 'r', retriedItemCount: 0 }));
    expect(summary).toMatchObject({
      status: 'FAILED',
      retryOf: 'r',
      retriedItemCount: 0,
      error: { error: 'Fanout.ItemsNotSucceeded', cause: "1 failed of the run's 2 items did not succeed" },
    });
  });

  it('refuses a manifest the jobs do not cover, and an event that is not the state it expects', async () => {
    given(itemIds(3));
    batchKnows([succeeded('p:0'), succeeded('p:1')]);
    await expect(
      makeHandler()(
        collectEvent([{ jobName: 'r-array-r1-0', start: 0, size: 2, job: { jobId: 'p', status: 'SUCCEEDED' } }]),
      ),
    ).rejects.toThrow(CollectError);
    await expect(makeHandler()({ prepared: { runId: 'r' } })).rejects.toThrow(EventError);
  });
});

describe('collect before every child has ended', () => {
  it('records nothing and asks to be retried while a FAILED array still has children running', async () => {
    given(itemIds(3));
    // Batch fails an array at its first failed child; the others run on.
    batchKnows([parent('p', 'FAILED', 3, { FAILED: 1, RUNNING: 2 })]);

    await expect(makeHandler()(collectEvent([failedArray('p', 3)]))).rejects.toThrow(ChildrenStillRunningError);
    await expect(makeHandler()(collectEvent([failedArray('p', 3)]))).rejects.toThrow(
      'array job p (r-array-r1-0) is FAILED with 2 of 3 children still to end',
    );
    expect(ledgerMock).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('waits for a job submitted without waiting (before an aggregation job) that is still RUNNING', async () => {
    given(itemIds(2));
    batchKnows([parent('p', 'PENDING', 2, { RUNNING: 2 })]);
    const submitted = { jobName: 'r-array-r1-0', start: 0, size: 2, job: { jobId: 'p', status: 'SUBMITTED' } };

    await expect(makeHandler()(collectEvent([submitted]))).rejects.toThrow('Batch job p (r-array-r1-0) is PENDING');
    expect(ledgerMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('collect with an aggregation job', () => {
  const submitted = { jobName: 'r-array-r1-0', start: 0, size: 2, job: { jobId: 'p', status: 'SUBMITTED' } };
  const withAggregate = { aggregate: { jobName: 'r-aggregate', command: ['reduce'], kwargs: '{}' } };

  it("records how the aggregation job ended on the header and takes the jobs' final status", async () => {
    given(itemIds(2));
    batchKnows([parent('p', 'SUCCEEDED', 2, { SUCCEEDED: 2 }), succeeded('p:0'), succeeded('p:1')]);
    const event = {
      ...collectEvent([submitted], 2, withAggregate),
      aggregation: { result: { jobId: 'agg-1', exitCode: 0, logStream: 'fanout-job/default/agg-1' } },
    };

    const summary = await makeHandler()(event);

    const outcome = {
      status: 'SUCCEEDED',
      jobName: 'r-aggregate',
      jobId: 'agg-1',
      exitCode: 0,
      logStream: 'fanout-job/default/agg-1',
    };
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      aggregate: outcome,
      arrayJobs: [{ jobId: 'p', status: 'SUCCEEDED' }],
    });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'r', itemId: '#run' },
      UpdateExpression:
        'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt, #aggregateOutcome = :aggregate REMOVE #error',
      ExpressionAttributeValues: expect.objectContaining({ ':aggregate': outcome }),
    });
  });

  it('fails the run with Fanout.AggregateFailed when only the aggregation job failed', async () => {
    given(itemIds(2));
    batchKnows([parent('p', 'SUCCEEDED', 2, { SUCCEEDED: 2 }), succeeded('p:0'), succeeded('p:1')]);
    const cause = JSON.stringify({ JobId: 'agg-1', Status: 'FAILED', Container: { ExitCode: 4 } });
    const event = {
      ...collectEvent([submitted], 2, withAggregate),
      aggregation: { error: { Error: 'States.TaskFailed', Cause: cause } },
    };

    const summary = await makeHandler()(event);

    expect(summary).toMatchObject({
      status: 'FAILED',
      counts: { succeeded: 2 },
      error: { error: 'Fanout.AggregateFailed' },
      aggregate: { status: 'FAILED', jobId: 'agg-1', exitCode: 4 },
    });
  });

  it("keeps the items' failure as the run's error when Batch failed the aggregation job for its failed dependency", async () => {
    given(itemIds(2), { 'item-1': 'FAILED' });
    batchKnows([parent('p', 'FAILED', 2, { SUCCEEDED: 1, FAILED: 1 }), succeeded('p:0'), failed('p:1', 2)]);
    const cause = JSON.stringify({ JobId: 'agg-1', Status: 'FAILED', StatusReason: 'Dependent Job failed' });
    const event = {
      ...collectEvent([submitted], 2, withAggregate),
      aggregation: { error: { Error: 'States.TaskFailed', Cause: cause } },
    };

    const summary = await makeHandler()(event);

    expect(summary.status).toBe('FAILED');
    expect(summary.error?.error).not.toBe('Fanout.AggregateFailed');
    expect(summary.error?.cause).toContain('item-1');
    expect(summary.aggregate).toMatchObject({ status: 'FAILED', jobName: 'r-aggregate' });
  });
});
