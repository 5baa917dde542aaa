import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventError } from '../../lambdas/shared/errors';
import { createSummarizeHandler } from '../../lambdas/summarize';
import { CapturingLogger } from './log-capture';

const ledgerMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);

function makeHandler() {
  return createSummarizeHandler({
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    s3: new S3Client({ region: 'us-east-1' }),
    tableName: 'fanout-ledger',
    now: () => new Date('2025-01-02T03:05:05.000Z'),
    logger: new CapturingLogger(logLines),
  });
}

const logLines: Array<Record<string, unknown>> = [];

const prepared = {
  runId: 'sweep-1',
  itemCount: 3,
  createdAt: '2025-01-02T03:04:05.000Z',
  executionArn: 'arn:exec',
  jobQueue: 'fanout-high',
};

function rows(...statuses: string[]) {
  return { Items: statuses.map((status, index) => ({ itemId: String(index), status })) };
}

afterEach(() => {
  ledgerMock.reset();
  s3Mock.reset();
});

describe('summarize', () => {
  it('reports a run whose items all succeeded as SUCCEEDED and records it in the header row', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'));
    ledgerMock.on(UpdateCommand).resolves({});

    const summary = await makeHandler()({
      prepared,
      fanOut: {
        MapRunArn: 'arn:maprun',
        ResultWriterDetails: { Bucket: 'fanout-data', Key: 'runs/sweep-1/results/u/manifest.json' },
      },
    });

    expect(summary).toEqual({
      runId: 'sweep-1',
      path: 'map',
      status: 'SUCCEEDED',
      counts: { total: 3, pending: 0, running: 0, succeeded: 3, failed: 0, retrying: 0, abandoned: 0 },
      itemCount: 3,
      pendingItemIds: [],
      startedAt: '2025-01-02T03:04:05.000Z',
      stoppedAt: '2025-01-02T03:05:05.000Z',
      durationMs: 60_000,
      executionArn: 'arn:exec',
      mapRunArn: 'arn:maprun',
      results: { bucket: 'fanout-data', key: 'runs/sweep-1/results/u/manifest.json' },
    });
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: 'fanout-ledger',
      Key: { runId: 'sweep-1', itemId: '#run' },
      UpdateExpression: 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt REMOVE #error',
      ConditionExpression: 'attribute_exists(#runId)',
      ExpressionAttributeNames: {
        '#runId': 'runId',
        '#status': 'status',
        '#counts': 'counts',
        '#stoppedAt': 'stoppedAt',
        '#error': 'error',
      },
      ExpressionAttributeValues: {
        ':status': 'SUCCEEDED',
        ':counts': summary.counts,
        ':stoppedAt': '2025-01-02T03:05:05.000Z',
      },
    });
  });

  it('logs the summary it wrote with the run id, the execution, the status and the counts', async () => {
    logLines.length = 0;
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'FAILED', 'SUCCEEDED'));
    await makeHandler()({ prepared: { ...prepared, executionArn: 'arn:execution:sweep-1' }, fanOut: {} });
    expect(logLines).toEqual([
      expect.objectContaining({
        message: 'summary written',
        runId: 'sweep-1',
        execution: 'arn:execution:sweep-1',
        status: 'COMPLETED_WITH_FAILURES',
        counts: expect.objectContaining({ succeeded: 2, failed: 1 }),
      }),
    ]);
  });

  it('reports tolerated failures as COMPLETED_WITH_FAILURES', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'FAILED', 'SUCCEEDED'));
    const summary = await makeHandler()({ prepared, fanOut: { MapRunArn: 'arn:maprun' } });
    expect(summary.status).toBe('COMPLETED_WITH_FAILURES');
    expect(summary.counts.failed).toBe(1);
  });

  it('reports a failed Map as FAILED with its error, and items never started as pending', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('FAILED', 'PENDING', 'PENDING'));
    const fanOutError = {
      Error: 'States.ExceedToleratedFailureThreshold',
      Cause: 'The specified tolerated failure threshold was exceeded',
    };

    const summary = await makeHandler()({ prepared, fanOutError });

    expect(summary).toMatchObject({
      status: 'FAILED',
      counts: { total: 3, pending: 2, failed: 1 },
      pendingItemIds: ['1', '2'],
      error: {
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The specified tolerated failure threshold was exceeded',
      },
    });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: 'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt, #error = :error',
      ExpressionAttributeValues: expect.objectContaining({ ':status': 'FAILED', ':error': summary.error }),
    });
  });

  it('does not call a run with unrecorded items a success', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'PENDING'));
    expect((await makeHandler()({ prepared, fanOut: {} })).status).toBe('COMPLETED_WITH_FAILURES');
  });

  it('reports a run that ends with a retry execution as a retry, with the items it re-ran', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'FAILED'));
    ledgerMock.on(UpdateCommand).resolves({});
    const summary = await makeHandler()({ prepared: { ...prepared, retryOf: 'sweep-1', retriedItemCount: 0 } });
    expect(summary).toMatchObject({
      runId: 'sweep-1',
      status: 'COMPLETED_WITH_FAILURES',
      retryOf: 'sweep-1',
      retriedItemCount: 0,
    });
  });

  describe('after a failed Map', () => {
    const fanOutError = { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'Map Run failed' };
    const withResults = { ...prepared, resultPrefix: 'runs/sweep-1/results', manifest: { bucket: 'fanout-data' } };
    const text = (value: unknown) => ({ Body: { transformToString: async () => JSON.stringify(value) } as never });
    const entry = (itemId: string, Status: string) => ({
      Input: JSON.stringify({ runId: 'sweep-1', round: 1, itemId }),
      Status,
      Error: 'States.ExceedToleratedFailureThreshold',
      Cause: 'Map Run failed',
    });

    it('marks the rows of children the Map aborted FAILED with class ABORTED, from the newest result files', async () => {
      ledgerMock
        .on(QueryCommand)
        .resolvesOnce(rows('FAILED', 'PENDING', 'PENDING'))
        .resolves(rows('FAILED', 'FAILED', 'PENDING'));
      ledgerMock.on(UpdateCommand).resolves({});
      // Item 0's child failed after recording its failure: its row is FAILED, and the condition refuses.
      ledgerMock
        .on(UpdateCommand, { Key: { runId: 'sweep-1', itemId: '0' } })
        .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
      s3Mock.on(ListObjectsV2Command).resolves({
        Contents: [
          { Key: 'runs/sweep-1/results/old/manifest.json', LastModified: new Date('2025-01-01T00:00:00Z') },
          { Key: 'runs/sweep-1/results/new/FAILED_0.json', LastModified: new Date('2025-01-02T00:00:00Z') },
          { Key: 'runs/sweep-1/results/new/manifest.json', LastModified: new Date('2025-01-02T00:00:00Z') },
        ],
      });
      s3Mock
        .on(GetObjectCommand, { Key: 'runs/sweep-1/results/new/manifest.json' })
        .resolves(text({ ResultFiles: { FAILED: [{ Key: 'runs/sweep-1/results/new/FAILED_0.json' }] } }));
      s3Mock
        .on(GetObjectCommand, { Key: 'runs/sweep-1/results/new/FAILED_0.json' })
        .resolves(text([entry('0', 'FAILED'), entry('1', 'ABORTED')]));

      const summary = await makeHandler()({ prepared: withResults, fanOutError });

      expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { runId: 'sweep-1', itemId: '1' },
        ConditionExpression: '(#status = :pending OR #status = :retrying) AND #round <= :round',
        // A RETRYING row still holds its previous attempt's job: an aborted child had none to record.
        UpdateExpression: expect.stringMatching(
          / REMOVE #jobId, #exitCode, #statusReason, #containerReason, #logStream, #startedAt, #stoppedAt$/,
        ),
        ExpressionAttributeValues: expect.objectContaining({
          ':failed': 'FAILED',
          ':failureClass': 'ABORTED',
          ':queue': 'fanout-high',
          ':runId': 'sweep-1',
          ':round': 1,
        }),
      });
      expect(summary).toMatchObject({ status: 'FAILED', counts: { failed: 2, pending: 1 }, pendingItemIds: ['2'] });
    });

    // On AWS a child whose ledger write failed after its job ended fails without recording the
    // outcome; the Map may still succeed within its tolerance (docs/failure-points.md).
    it('marks the row of a child that failed before recording its outcome FAILED (ABORTED), after a Map within tolerance too', async () => {
      ledgerMock.on(QueryCommand).resolvesOnce(rows('SUCCEEDED', 'PENDING')).resolves(rows('SUCCEEDED', 'FAILED'));
      ledgerMock.on(UpdateCommand).resolves({});
      s3Mock.on(ListObjectsV2Command).resolves({
        Contents: [{ Key: 'runs/sweep-1/results/r/manifest.json', LastModified: new Date('2025-01-02T00:00:00Z') }],
      });
      s3Mock
        .on(GetObjectCommand, { Key: 'runs/sweep-1/results/r/manifest.json' })
        .resolves(text({ ResultFiles: { FAILED: [{ Key: 'runs/sweep-1/results/r/FAILED_0.json' }] } }));
      s3Mock.on(GetObjectCommand, { Key: 'runs/sweep-1/results/r/FAILED_0.json' }).resolves(
        text([
          {
            Input: JSON.stringify({ runId: 'sweep-1', round: 1, itemId: '1' }),
            Status: 'FAILED',
            Error: 'DynamoDB.ProvisionedThroughputExceededException',
            Cause: 'Rate of requests exceeds the allowed throughput.',
          },
        ]),
      );

      const summary = await makeHandler()({ prepared: withResults, fanOut: {} });

      expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { runId: 'sweep-1', itemId: '1' },
        ConditionExpression: '(#status = :pending OR #status = :retrying) AND #round <= :round',
        ExpressionAttributeValues: expect.objectContaining({
          ':failureClass': 'ABORTED',
          ':error': 'DynamoDB.ProvisionedThroughputExceededException',
          ':cause':
            "the item's child execution failed before it recorded its job's outcome (the job may have run): DynamoDB.ProvisionedThroughputExceededException: Rate of requests exceeds the allowed throughput.",
        }),
      });
      expect(summary).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', counts: { failed: 1, pending: 0 } });
    });

    // "PENDING: child workflow executions that were not started" (docs: input-output-resultwriter.html).
    it('marks the rows of items the failed Map never started FAILED with class NOT_STARTED, for a retry to run', async () => {
      ledgerMock.on(QueryCommand).resolvesOnce(rows('FAILED', 'PENDING')).resolves(rows('FAILED', 'FAILED'));
      ledgerMock.on(UpdateCommand).resolves({});
      s3Mock.on(ListObjectsV2Command).resolves({
        Contents: [{ Key: 'runs/sweep-1/results/p/manifest.json', LastModified: new Date('2025-01-02T00:00:00Z') }],
      });
      s3Mock
        .on(GetObjectCommand, { Key: 'runs/sweep-1/results/p/manifest.json' })
        .resolves(text({ ResultFiles: { FAILED: [], PENDING: [{ Key: 'runs/sweep-1/results/p/PENDING_0.json' }] } }));
      s3Mock.on(GetObjectCommand, { Key: 'runs/sweep-1/results/p/PENDING_0.json' }).resolves(
        text([
          {
            Input: JSON.stringify({ runId: 'sweep-1', round: 1, itemId: '1' }),
            InputDetails: { Included: true },
            Status: 'PENDING',
          },
        ]),
      );

      const summary = await makeHandler()({ prepared: withResults, fanOutError });

      expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { runId: 'sweep-1', itemId: '1' },
        ConditionExpression: '(#status = :pending OR #status = :retrying) AND #round <= :round',
        ExpressionAttributeValues: expect.objectContaining({
          ':failureClass': 'NOT_STARTED',
          ':error': 'Fanout.NotStarted',
          ':cause': "the Map stopped before it started this item's child execution",
        }),
      });
      expect(summary).toMatchObject({ status: 'FAILED', counts: { failed: 2, pending: 0 } });
    });

    it('leaves the rows PENDING when the Map wrote no result files', async () => {
      ledgerMock.on(QueryCommand).resolves(rows('FAILED', 'PENDING', 'PENDING'));
      ledgerMock.on(UpdateCommand).resolves({});
      s3Mock.on(ListObjectsV2Command).resolves({ Contents: [] });
      const summary = await makeHandler()({ prepared: withResults, fanOutError });
      expect(summary).toMatchObject({ counts: { failed: 1, pending: 2 } });
      expect(ledgerMock).toHaveReceivedCommandTimes(UpdateCommand, 1);
    });
  });

  it('rejects an event without the prepared run', async () => {
    await expect(makeHandler()({ fanOut: {} })).rejects.toThrow(EventError);
    expect(ledgerMock).not.toHaveReceivedAnyCommand();
  });
});

describe('summarize with an aggregation job', () => {
  const withAggregate = { ...prepared, aggregate: { jobName: 'sweep-1-aggregate' } };

  it('records a succeeded aggregation job on the header row as aggregateOutcome', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'));
    ledgerMock.on(UpdateCommand).resolves({});

    const summary = await makeHandler()({
      prepared: withAggregate,
      aggregate: { jobId: 'job-9', exitCode: 0, logStream: 'fanout-job/default/job-9' },
    });

    const outcome = {
      status: 'SUCCEEDED',
      jobName: 'sweep-1-aggregate',
      jobId: 'job-9',
      exitCode: 0,
      logStream: 'fanout-job/default/job-9',
    };
    expect(summary).toMatchObject({ status: 'SUCCEEDED', aggregate: outcome });
    expect(summary.error).toBeUndefined();
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression:
        'SET #status = :status, #counts = :counts, #stoppedAt = :stoppedAt, #aggregateOutcome = :aggregate REMOVE #error',
      ExpressionAttributeNames: expect.objectContaining({ '#aggregateOutcome': 'aggregateOutcome' }),
      ExpressionAttributeValues: expect.objectContaining({ ':aggregate': outcome }),
    });
  });

  it('fails the run with Fanout.AggregateFailed, taking the exit code and log from the failed job detail', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'));
    ledgerMock.on(UpdateCommand).resolves({});
    const cause = JSON.stringify({
      JobId: 'job-9',
      Status: 'FAILED',
      Container: { ExitCode: 4, LogStreamName: 'fanout-job/default/job-9' },
    });

    const summary = await makeHandler()({
      prepared: withAggregate,
      aggregateError: { Error: 'States.TaskFailed', Cause: cause },
    });

    expect(summary).toMatchObject({
      status: 'FAILED',
      counts: { succeeded: 3 },
      error: {
        error: 'Fanout.AggregateFailed',
        cause: expect.stringContaining('aggregation job sweep-1-aggregate failed (States.TaskFailed)'),
      },
      aggregate: {
        status: 'FAILED',
        jobName: 'sweep-1-aggregate',
        jobId: 'job-9',
        exitCode: 4,
        logStream: 'fanout-job/default/job-9',
        error: 'States.TaskFailed',
      },
    });
  });

  it('records no outcome when the run has an aggregation job that did not run', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('FAILED', 'SUCCEEDED', 'SUCCEEDED'));
    ledgerMock.on(UpdateCommand).resolves({});
    const summary = await makeHandler()({
      prepared: withAggregate,
      fanOutError: { Error: 'States.ExceedToleratedFailureThreshold' },
    });
    expect(summary.aggregate).toBeUndefined();
    expect(summary.error?.error).toBe('States.ExceedToleratedFailureThreshold');
  });
});
