import 'aws-sdk-client-mock-vitest/extend';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRetryHandler, RunNotFoundError } from '../../lambdas/retry';
import { attemptJobName, retryDecision, retryRoundThresholds } from '../../lambdas/shared/claims';
import { EventError } from '../../lambdas/shared/errors';
import type { ItemRow } from '../../run';
import { CapturingLogger } from './log-capture';

const ledgerMock = mockClient(DynamoDBDocumentClient);
const s3Mock = mockClient(S3Client);

function makeHandler() {
  return createRetryHandler({
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    s3: new S3Client({ region: 'us-east-1' }),
    tableName: 'fanout-ledger',
    bucket: 'fanout-data',
    now: () => new Date('2025-01-02T03:04:05.000Z'),
    newId: () => 'id-1',
    logger: new CapturingLogger(logLines),
  });
}

const logLines: Array<Record<string, unknown>> = [];

const header = {
  runId: 'sweep-1',
  itemId: '#run',
  kind: 'run',
  itemCount: 20,
  toleratedFailurePercentage: 10,
  toleratedFailureCount: 20,
  retry: { rounds: 2, maxAttempts: 3 },
};
const roundThresholds = { toleratedFailurePercentage: 100, toleratedFailureCount: 2 };

function failedRow(itemId: string, overrides: Partial<ItemRow> = {}): ItemRow {
  return {
    runId: 'sweep-1',
    itemId,
    status: 'FAILED',
    idempotent: true,
    attempt: 1,
    round: 1,
    jobName: `sweep-1-${itemId}`,
    kwargs: `{"seed":${Number(itemId)}}`,
    createdAt: '2025-01-02T03:00:00.000Z',
    jobId: `job-${itemId}`,
    failureClass: 'APP_ERROR',
    statusReason: 'Essential container in task exited',
    failedRunId: 'sweep-1',
    ...overrides,
  };
}

beforeEach(() => {
  ledgerMock.on(GetCommand).resolves({ Item: header });
  ledgerMock.on(UpdateCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({});
});

afterEach(() => {
  ledgerMock.reset();
  s3Mock.reset();
});

describe('retry', () => {
  it('finds candidates through the failed-items index, never by reading the whole run', async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [] });
    await makeHandler()({ runId: 'sweep-1', round: 1, executionArn: 'arn:execution:sweep-1' });
    expect(ledgerMock).toReceiveCommandWith(QueryCommand, {
      TableName: 'fanout-ledger',
      IndexName: 'failed-items',
      KeyConditionExpression: '#failedRunId = :runId',
      FilterExpression: '#status = :failed OR (#status = :retrying AND #claimedBy = :claimant)',
      ExpressionAttributeNames: { '#failedRunId': 'failedRunId', '#status': 'status', '#claimedBy': 'claimedBy' },
      ExpressionAttributeValues: {
        ':runId': 'sweep-1',
        ':failed': 'FAILED',
        ':retrying': 'RETRYING',
        ':claimant': 'arn:execution:sweep-1',
      },
    });
  });

  it('logs the claims it made with the run id, the execution and the round', async () => {
    logLines.length = 0;
    ledgerMock.on(QueryCommand).resolves({ Items: [failedRow('07')] });
    await makeHandler()({ runId: 'sweep-1', round: 1, executionArn: 'arn:execution:sweep-1' });
    expect(logLines).toEqual([
      expect.objectContaining({
        message: 'retry claims made',
        runId: 'sweep-1',
        execution: 'arn:execution:sweep-1',
        round: 2,
        claimedItemCount: 1,
        abandonedCount: 0,
      }),
    ]);
  });

  it('claims an idempotent failure with a conditional update that moves it to the next round', async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [failedRow('07')] });
    const result = await makeHandler()({ runId: 'sweep-1', round: 1, executionArn: 'arn:execution:sweep-1' });

    expect(ledgerMock).toReceiveCommandWith(UpdateCommand, {
      TableName: 'fanout-ledger',
      Key: { runId: 'sweep-1', itemId: '07' },
      UpdateExpression:
        'SET #status = :retrying, #attempt = :nextAttempt, #round = :round, #attempts = list_append(if_not_exists(#attempts, :none), :record), #claimedBy = :claimedBy, #updatedAt = :updatedAt',
      ConditionExpression: '#status = :failed AND #attempt = :seenAttempt',
      ExpressionAttributeNames: {
        '#status': 'status',
        '#attempt': 'attempt',
        '#attempts': 'attempts',
        '#claimedBy': 'claimedBy',
        '#updatedAt': 'updatedAt',
        '#round': 'round',
      },
      ExpressionAttributeValues: {
        ':failed': 'FAILED',
        ':seenAttempt': 1,
        ':retrying': 'RETRYING',
        ':none': [],
        ':record': [
          {
            attempt: 1,
            jobId: 'job-07',
            failureClass: 'APP_ERROR',
            statusReason: 'Essential container in task exited',
          },
        ],
        ':updatedAt': '2025-01-02T03:04:05.000Z',
        ':nextAttempt': 2,
        ':round': 2,
        ':claimedBy': 'arn:execution:sweep-1',
      },
    });
    expect(result).toEqual({
      manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/retries/round-2-id-1.jsonl' },
      itemCount: 1,
      round: 2,
      abandonedCount: 0,
      ...roundThresholds,
    });
    expect(s3Mock).toReceiveCommandWith(PutObjectCommand, {
      Bucket: 'fanout-data',
      Key: 'runs/sweep-1/retries/round-2-id-1.jsonl',
      Body: '{"itemId":"07","jobName":"sweep-1-07-a2","kwargs":{"seed":7},"idempotent":true}\n',
    });
  });

  it('takes an item that never started into the next round as the attempt it never made, keeping no attempt record', async () => {
    const { jobId: _jobId, ...neverStarted } = failedRow('05', {
      idempotent: false,
      attempt: 2,
      failureClass: 'NOT_STARTED',
      error: 'Fanout.NotStarted',
    });
    ledgerMock.on(QueryCommand).resolves({ Items: [neverStarted] });
    const result = await makeHandler()({ runId: 'sweep-1', round: 1, executionArn: 'arn:execution:sweep-1' });

    expect(ledgerMock).toReceiveCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: '05' },
      UpdateExpression: 'SET #status = :retrying, #round = :round, #claimedBy = :claimedBy, #updatedAt = :updatedAt',
      ConditionExpression: '#status = :failed AND #attempt = :seenAttempt',
      ExpressionAttributeValues: expect.objectContaining({ ':seenAttempt': 2, ':round': 2 }),
    });
    expect(result.itemCount).toBe(1);
    expect(s3Mock).toReceiveCommandWith(PutObjectCommand, {
      Body: '{"itemId":"05","jobName":"sweep-1-05-a2","kwargs":{"seed":5},"idempotent":false}\n',
    });
  });

  it('leaves a non-idempotent failure untouched, unless its job never started', async () => {
    const { jobId: _jobId, ...neverStarted } = failedRow('02', { idempotent: false, failureClass: 'SUBMIT_ERROR' });
    ledgerMock.on(QueryCommand).resolves({ Items: [failedRow('01', { idempotent: false }), neverStarted] });
    const result = await makeHandler()({ runId: 'sweep-1', round: 1 });

    const updates = ledgerMock.commandCalls(UpdateCommand).map((call) => call.args[0].input);
    const itemUpdates = updates.filter((input) => input.Key?.itemId !== '#run');
    expect(itemUpdates.map((input) => input.Key?.itemId)).toEqual(['02']);
    expect(itemUpdates[0]?.ExpressionAttributeValues?.[':record']).toEqual([
      { attempt: 1, failureClass: 'SUBMIT_ERROR', statusReason: 'Essential container in task exited' },
    ]);
    expect(result.itemCount).toBe(1);
  });

  it('abandons a failure out of attempts, keeping its last failure in the history', async () => {
    ledgerMock
      .on(QueryCommand)
      .resolves({ Items: [failedRow('03', { attempt: 3, round: 3, failureClass: 'OUT_OF_MEMORY' })] });
    const result = await makeHandler()({ runId: 'sweep-1', round: 3 });

    expect(ledgerMock).toReceiveCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: '03' },
      UpdateExpression:
        'SET #status = :abandoned, #attempts = list_append(if_not_exists(#attempts, :none), :record), #updatedAt = :updatedAt',
      ConditionExpression: '#status = :failed AND #attempt = :seenAttempt',
      ExpressionAttributeValues: {
        ':failed': 'FAILED',
        ':seenAttempt': 3,
        ':abandoned': 'ABANDONED',
        ':none': [],
        ':record': [
          {
            attempt: 3,
            jobId: 'job-03',
            failureClass: 'OUT_OF_MEMORY',
            statusReason: 'Essential container in task exited',
          },
        ],
        ':updatedAt': '2025-01-02T03:04:05.000Z',
      },
    });
    expect(result).toEqual({ manifest: null, itemCount: 0, round: 4, abandonedCount: 1, ...roundThresholds });
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });

  it('skips an item another writer moved first, and lists only what it claimed', async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [failedRow('04'), failedRow('05')] });
    ledgerMock
      .on(UpdateCommand, { Key: { runId: 'sweep-1', itemId: '04' } })
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const result = await makeHandler()({ runId: 'sweep-1', round: 1 });
    expect(result.itemCount).toBe(1);
    expect(s3Mock).toReceiveCommandWith(PutObjectCommand, {
      Body: '{"itemId":"05","jobName":"sweep-1-05-a2","kwargs":{"seed":5},"idempotent":true}\n',
    });
  });

  it('reads every page of the index', async () => {
    ledgerMock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [failedRow('01')],
        LastEvaluatedKey: { failedRunId: 'sweep-1', itemId: '01', runId: 'sweep-1' },
      })
      .resolvesOnce({ Items: [failedRow('02')] });
    const result = await makeHandler()({ runId: 'sweep-1', round: 1 });
    expect(ledgerMock).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(result.itemCount).toBe(2);
  });

  it('refuses a run without a header row, naming the run', async () => {
    ledgerMock.on(GetCommand).resolves({});
    await expect(makeHandler()({ runId: 'nope', round: 1 })).rejects.toThrow(RunNotFoundError);
    await expect(makeHandler()({ runId: 'nope', round: 1 })).rejects.toThrow(
      'runId: no run "nope" in ledger fanout-ledger',
    );
  });

  it('refuses an event without a round', async () => {
    await expect(makeHandler()({ runId: 'sweep-1' })).rejects.toThrow(EventError);
  });
});

describe('retryDecision', () => {
  it('claims safe items with attempts left, abandons safe items without, keeps the rest', () => {
    expect(retryDecision({ idempotent: true, attempt: 2, failureClass: 'APP_ERROR' }, 3)).toBe('claim');
    expect(retryDecision({ idempotent: true, attempt: 3, failureClass: 'APP_ERROR' }, 3)).toBe('abandon');
    expect(retryDecision({ idempotent: false, attempt: 1, failureClass: 'SUBMIT_ERROR' }, 3)).toBe('claim');
    expect(retryDecision({ idempotent: false, attempt: 1, failureClass: 'APP_ERROR' }, 3)).toBe('keep');
    expect(retryDecision({ idempotent: false, attempt: 3, failureClass: 'TIMEOUT' }, 3)).toBe('keep');
  });

  it('runs an item its run stopped before submitting, idempotent or not, out of attempts or not', () => {
    expect(retryDecision({ idempotent: false, attempt: 1, failureClass: 'NOT_STARTED' }, 1)).toBe('rerun');
    expect(retryDecision({ idempotent: true, attempt: 3, failureClass: 'NOT_STARTED' }, 3)).toBe('rerun');
  });

  it('keeps a job that could not start its command, idempotent or not: it would fail the same way again', () => {
    expect(retryDecision({ idempotent: true, attempt: 1, failureClass: 'START_ERROR' }, 3)).toBe('keep');
    expect(retryDecision({ idempotent: false, attempt: 1, failureClass: 'START_ERROR' }, 3)).toBe('keep');
  });
});

describe('attemptJobName', () => {
  it('keeps the first attempt name and suffixes later ones, within 128 characters', () => {
    expect(attemptJobName('sweep-1-07', 1)).toBe('sweep-1-07');
    expect(attemptJobName('sweep-1-07', 2)).toBe('sweep-1-07-a2');
    const long = `a${'b'.repeat(127)}`;
    expect(attemptJobName(long, 10)).toHaveLength(128);
    expect(attemptJobName(long, 10)).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    expect(attemptJobName(long, 10).endsWith('-a10')).toBe(true);
  });
});

describe('retryRoundThresholds', () => {
  it("gives a retry round the run's threshold as a count of the run's items", () => {
    // 10 % of 20 items: 2 failures are within it, 3 exceed it (docs: step-functions/latest/dg/maprun-fail-threshold.html).
    expect(retryRoundThresholds({ toleratedFailurePercentage: 10, toleratedFailureCount: 20, itemCount: 20 })).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 2,
    });
    expect(retryRoundThresholds({ toleratedFailurePercentage: 100, toleratedFailureCount: 1, itemCount: 20 })).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 1,
    });
    expect(retryRoundThresholds({ toleratedFailurePercentage: 15, toleratedFailureCount: 7, itemCount: 7 })).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 1,
    });
    expect(retryRoundThresholds({ toleratedFailurePercentage: 0, toleratedFailureCount: 0, itemCount: 5 })).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 0,
    });
  });
});
