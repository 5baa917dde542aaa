import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventError } from '../../lambdas/shared/errors';
import { createSummarizeHandler } from '../../lambdas/summarize';

const ledgerMock = mockClient(DynamoDBDocumentClient);

function makeHandler() {
  return createSummarizeHandler({
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    tableName: 'fanout-ledger',
    now: () => new Date('2025-01-02T03:05:05.000Z'),
  });
}

const prepared = { runId: 'sweep-1', itemCount: 3, createdAt: '2025-01-02T03:04:05.000Z', executionArn: 'arn:exec', jobQueue: 'fanout-high' };

function rows(...statuses: string[]) {
  return { Items: statuses.map((status, index) => ({ itemId: String(index), status })) };
}

afterEach(() => ledgerMock.reset());

describe('summarize', () => {
  it('reports a run whose items all succeeded as SUCCEEDED and records it in the header row', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED'));
    ledgerMock.on(UpdateCommand).resolves({});

    const summary = await makeHandler()({
      prepared,
      fanOut: { MapRunArn: 'arn:maprun', ResultWriterDetails: { Bucket: 'fanout-data', Key: 'runs/sweep-1/results/u/manifest.json' } },
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
      ExpressionAttributeNames: { '#runId': 'runId', '#status': 'status', '#counts': 'counts', '#stoppedAt': 'stoppedAt', '#error': 'error' },
      ExpressionAttributeValues: { ':status': 'SUCCEEDED', ':counts': summary.counts, ':stoppedAt': '2025-01-02T03:05:05.000Z' },
    });
  });

  it('reports tolerated failures as COMPLETED_WITH_FAILURES', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('SUCCEEDED', 'FAILED', 'SUCCEEDED'));
    const summary = await makeHandler()({ prepared, fanOut: { MapRunArn: 'arn:maprun' } });
    expect(summary.status).toBe('COMPLETED_WITH_FAILURES');
    expect(summary.counts.failed).toBe(1);
  });

  it('reports a failed Map as FAILED with its error, and items never started as pending', async () => {
    ledgerMock.on(QueryCommand).resolves(rows('FAILED', 'PENDING', 'PENDING'));
    const fanOutError = { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' };

    const summary = await makeHandler()({ prepared, fanOutError });

    expect(summary).toMatchObject({
      status: 'FAILED',
      counts: { total: 3, pending: 2, failed: 1 },
      pendingItemIds: ['1', '2'],
      error: { error: 'States.ExceedToleratedFailureThreshold', cause: 'The specified tolerated failure threshold was exceeded' },
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

  it('rejects an event without the prepared run', async () => {
    await expect(makeHandler()({ fanOut: {} })).rejects.toThrow(EventError);
    expect(ledgerMock).not.toHaveReceivedAnyCommand();
  });
});
