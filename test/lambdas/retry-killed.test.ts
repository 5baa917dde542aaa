import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetryHandler } from '../../lambdas/retry';
import { type ItemRow, RUN_HEADER_ITEM_ID } from '../../run';
import { dying, settled, startLedgerAndBucket } from './killed-stores';
import { CapturingLogger } from './log-capture';

/**
 * On AWS a Retry Lambda that times out (or is killed) mid-claim is invoked again by the state
 * machine's Retry, within the same execution (docs/failure-points.md). Against the real local
 * DynamoDB and S3, with the first invocation "killed" at a chosen write: the second claims every
 * candidate exactly once, including those the first had already moved to RETRYING.
 */

const region = 'us-east-1';
const table = 'fanout-ledger';
const bucket = 'fanout-data';
const CANDIDATES = 40;
let stores: Awaited<ReturnType<typeof startLedgerAndBucket>>;
let ledger: DynamoDBDocumentClient;
let s3: S3Client;

beforeAll(async () => {
  stores = await startLedgerAndBucket({ table, bucket, region });
  ({ ledger, s3 } = stores);
});

afterAll(() => stores.close());

/** A run whose first round left CANDIDATES idempotent items FAILED. */
async function failedRun(runId: string): Promise<void> {
  const header = {
    runId,
    itemId: RUN_HEADER_ITEM_ID,
    kind: 'run',
    itemCount: CANDIDATES,
    round: 1,
    toleratedFailurePercentage: 100,
    toleratedFailureCount: CANDIDATES,
    retry: { rounds: 2, maxAttempts: 3 },
    planned: true,
  };
  const rows: ItemRow[] = Array.from({ length: CANDIDATES }, (_, n) => ({
    runId,
    itemId: String(n).padStart(2, '0'),
    status: 'FAILED',
    idempotent: true,
    attempt: 1,
    round: 1,
    jobName: `${runId}-${n}`,
    kwargs: `{"n":${n}}`,
    createdAt: '2026-12-07T00:00:00.000Z',
    jobId: `job-${n}`,
    failureClass: 'APP_ERROR',
    statusReason: 'Essential container in task exited',
    failedRunId: runId,
  }));
  const puts = [header, ...rows].map((Item) => ({ PutRequest: { Item } }));
  for (let start = 0; start < puts.length; start += 25) {
    await ledger.send(new BatchWriteCommand({ RequestItems: { [table]: puts.slice(start, start + 25) } }));
  }
}

function retry(overrides: { ledger?: DynamoDBDocumentClient; s3?: S3Client } = {}) {
  let id = 0;
  return createRetryHandler({
    ledger: overrides.ledger ?? ledger,
    s3: overrides.s3 ?? s3,
    tableName: table,
    bucket,
    now: () => new Date(),
    newId: () => `try-${++id}`,
    logger: new CapturingLogger([]),
  });
}

async function rowsOf(runId: string): Promise<ItemRow[]> {
  const page = await ledger.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'runId = :r AND itemId > :header',
      ExpressionAttributeValues: { ':r': runId, ':header': RUN_HEADER_ITEM_ID },
      ConsistentRead: true,
    }),
  );
  return (page.Items ?? []) as ItemRow[];
}

async function manifestItems(key: string): Promise<string[]> {
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body?.transformToString();
  return (body ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).itemId as string);
}

const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:fanout-map:${name}`;

describe('a Retry Lambda killed mid-claim and invoked again by the same execution', () => {
  it('claims every candidate exactly once, taking back the rows the killed try had claimed', async () => {
    await failedRun('mid-claim');
    const event = { runId: 'mid-claim', round: 1, executionArn: arn('mid-claim') };
    const killed = retry({ ledger: dying(ledger, (command) => command instanceof UpdateCommand, 12) });
    await expect(killed(event)).rejects.toThrow('the process was killed here');
    await settled();
    const claimedBeforeDeath = (await rowsOf('mid-claim')).filter((row) => row.status === 'RETRYING').length;
    expect(claimedBeforeDeath).toBeGreaterThan(0);
    expect(claimedBeforeDeath).toBeLessThan(CANDIDATES);

    const result = await retry()(event);
    expect(result).toMatchObject({ itemCount: CANDIDATES, round: 2, abandonedCount: 0 });
    const items = await manifestItems(result.manifest?.key as string);
    expect(items).toHaveLength(CANDIDATES);
    expect(new Set(items).size).toBe(CANDIDATES);
    const rows = await rowsOf('mid-claim');
    // Each row was moved to its second attempt once: one attempt record, never two.
    expect(rows.every((row) => row.status === 'RETRYING' && row.attempt === 2 && row.round === 2)).toBe(true);
    expect(rows.every((row) => row.attempts?.length === 1)).toBe(true);
  });

  it('claims them all again when it was killed writing the manifest, after every claim', async () => {
    await failedRun('at-manifest');
    const event = { runId: 'at-manifest', round: 1, executionArn: arn('at-manifest') };
    const killed = retry({ s3: dying(s3, (command) => command instanceof PutObjectCommand, 1) });
    await expect(killed(event)).rejects.toThrow('the process was killed here');
    expect((await rowsOf('at-manifest')).every((row) => row.status === 'RETRYING')).toBe(true);

    const result = await retry()(event);
    expect(result.itemCount).toBe(CANDIDATES);
    expect(await manifestItems(result.manifest?.key as string)).toHaveLength(CANDIDATES);
    expect((await rowsOf('at-manifest')).every((row) => row.attempt === 2 && row.attempts?.length === 1)).toBe(true);
  });

  it("leaves another execution's claims alone", async () => {
    await failedRun('theirs');
    const killed = retry({ s3: dying(s3, (command) => command instanceof PutObjectCommand, 1) });
    await expect(killed({ runId: 'theirs', round: 1, executionArn: arn('theirs') })).rejects.toThrow();

    const other = await retry()({ runId: 'theirs', round: 1, executionArn: arn('theirs-retry-1') });
    expect(other).toMatchObject({ itemCount: 0, manifest: null });
  });
});
