import {
  BatchClient,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPrepareHandler } from '../../lambdas/prepare';
import { FanoutInputError } from '../../lambdas/shared/errors';
import { RUN_HEADER_ITEM_ID } from '../../run';
import { dying, settled, startLedgerAndBucket } from './killed-stores';
import { CapturingLogger } from './log-capture';

/**
 * Prepare's commit point (docs/failure-points.md), against the real local DynamoDB and S3 with
 * the process "killed" at a chosen write: a Prepare that dies after its header is finished by a
 * resume or replaced by a new run with the same id, and one that dies before its manifest is
 * cleared. Batch is mocked: only its queue and definition look-ups and ListJobs are asked.
 */

const region = 'us-east-1';
const table = 'fanout-ledger';
const bucket = 'fanout-data';
let stores: Awaited<ReturnType<typeof startLedgerAndBucket>>;
let ledger: DynamoDBDocumentClient;
let s3: S3Client;
const batchMock = mockClient(BatchClient);

beforeAll(async () => {
  stores = await startLedgerAndBucket({ table, bucket, region });
  ({ ledger, s3 } = stores);
});

afterAll(async () => {
  batchMock.restore();
  await stores.close();
});

beforeEach(() => {
  batchMock.reset();
  batchMock.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      { jobQueueName: 'fanout-high', jobQueueArn: 'arn:q', priority: 1, state: 'ENABLED', computeEnvironmentOrder: [] },
    ],
  });
  batchMock.on(DescribeJobDefinitionsCommand).resolves({
    jobDefinitions: [
      { jobDefinitionName: 'fanout-job', jobDefinitionArn: 'arn:d', revision: 1, type: 'container', status: 'ACTIVE' },
    ],
  });
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
});

/** The ledger as a Prepare sees it, dying (throwing) on its `crashAt`-th call matching `when`. */
const dyingLedger = (when: (command: object) => boolean, crashAt: number) => dying(ledger, when, crashAt);

function prepare(overrides: { ledger?: DynamoDBDocumentClient; s3?: S3Client } = {}) {
  return createPrepareHandler({
    s3: overrides.s3 ?? s3,
    batch: new BatchClient({ region }),
    ledger: overrides.ledger ?? ledger,
    tableName: table,
    bucket,
    now: () => new Date(),
    sleep: async () => undefined,
    random: () => 0.5,
    logger: new CapturingLogger([]),
    abandonedPrepareAfterSeconds: 0,
  });
}

const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:fanout-map:${name}`;

async function rows(runId: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ledger.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'runId = :r',
        ExpressionAttributeValues: { ':r': runId },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items.filter((item) => item.itemId !== RUN_HEADER_ITEM_ID);
}

async function header(runId: string): Promise<Record<string, unknown> | undefined> {
  return (await ledger.send(new GetCommand({ TableName: table, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))).Item;
}

const grid = (runId: string, count: number) => ({
  runId,
  grid: { n: Array.from({ length: count }, (_, i) => i) },
  command: ['echo', '{n}'],
});

describe('Prepare killed between its header and its commit', () => {
  it('leaves an uncommitted plan that resume finishes: every item gets its row and runs', async () => {
    const killed = prepare({ ledger: dyingLedger((command) => command instanceof BatchWriteCommand, 3) });
    await expect(killed({ input: grid('mid', 200), executionName: 'mid', executionArn: arn('mid') })).rejects.toThrow(
      'the process was killed here',
    );
    await settled();
    expect((await header('mid'))?.planned).toBe(false);
    const partial = (await rows('mid')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(200);

    const resumed = await prepare()({
      input: { resumeOf: 'mid' },
      executionName: 'mid-resume',
      executionArn: arn('mid-resume'),
    });
    expect(resumed).toMatchObject({ runId: 'mid', itemCount: 200, resumedItemCount: 200 });
    expect((await header('mid'))?.planned).toBe(true);
    const all = await rows('mid');
    expect(all).toHaveLength(200);
    expect(new Set(all.map((row) => row.itemId)).size).toBe(200);
  });

  // On AWS a Prepare that times out (or is killed) mid-write is retried by the state machine's
  // Retry within the same execution: the header's condition admits the same execution again.
  it('is completed by the same execution retrying Prepare, as Step Functions does after a Lambda timeout', async () => {
    const killed = prepare({ ledger: dyingLedger((command) => command instanceof BatchWriteCommand, 4) });
    const event = { input: grid('timeout', 300), executionName: 'timeout', executionArn: arn('timeout') };
    await expect(killed(event)).rejects.toThrow('the process was killed here');
    await settled();
    const partial = (await rows('timeout')).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(300);

    const retried = await prepare()(event);
    expect(retried).toMatchObject({ runId: 'timeout', itemCount: 300 });
    expect(await header('timeout')).toMatchObject({ planned: true, executionArn: arn('timeout') });
    const all = await rows('timeout');
    expect(all).toHaveLength(300);
    expect(all.every((row) => row.status === 'PENDING' && row.attempt === 1)).toBe(true);
  });

  it('lets a new execution with the same run id start it afresh, leaving no row of the abandoned plan', async () => {
    const killed = prepare({ ledger: dyingLedger((command) => command instanceof BatchWriteCommand, 10) });
    await expect(
      killed({ input: grid('again', 400), executionName: 'again', executionArn: arn('again') }),
    ).rejects.toThrow();
    await settled();
    expect((await rows('again')).length).toBeGreaterThan(30);

    const fresh = await prepare()({ input: grid('again', 30), executionName: 'again', executionArn: arn('again-2') });
    expect(fresh).toMatchObject({ runId: 'again', itemCount: 30 });
    expect(await header('again')).toMatchObject({ planned: true, executionArn: arn('again-2'), itemCount: 30 });
    expect((await rows('again')).map((row) => Number(row.itemId)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  it('refuses a retry of an uncommitted run, naming resume', async () => {
    const killed = prepare({ ledger: dyingLedger((command) => command instanceof BatchWriteCommand, 1) });
    await expect(
      killed({ input: grid('noretry', 40), executionName: 'noretry', executionArn: arn('noretry') }),
    ).rejects.toThrow();
    await expect(
      prepare()({
        input: { retryOf: 'noretry' },
        executionName: 'noretry-retry-1',
        executionArn: arn('noretry-retry-1'),
      }),
    ).rejects.toThrow(/retryOf: its plan was never completely written .* finish it with the resume command first/);
  });

  it('still refuses a run id whose plan is committed', async () => {
    await prepare()({ input: grid('done', 3), executionName: 'done', executionArn: arn('done') });
    await expect(
      prepare()({ input: grid('done', 3), executionName: 'done', executionArn: arn('done-2') }),
    ).rejects.toThrow(/runId: a run with this id already exists/);
  });
});

describe('Prepare killed before its manifest', () => {
  it('is cleared by resume, which says to run the input again, and the run then starts afresh', async () => {
    const s3Dying = dying(s3, (command) => command instanceof PutObjectCommand, 1);
    await expect(
      prepare({ s3: s3Dying })({ input: grid('early', 10), executionName: 'early', executionArn: arn('early') }),
    ).rejects.toThrow('the process was killed here');
    expect((await header('early'))?.planned).toBe(false);

    const resume = prepare()({
      input: { resumeOf: 'early' },
      executionName: 'early-resume',
      executionArn: arn('early-resume'),
    });
    await expect(resume).rejects.toThrow(FanoutInputError);
    await expect(resume).rejects.toThrow(/died before its plan was written: nothing of it ran, and it is cleared/);
    expect(await header('early')).toBeUndefined();

    const fresh = await prepare()({ input: grid('early', 10), executionName: 'early', executionArn: arn('early-2') });
    expect(fresh.itemCount).toBe(10);
    expect(await rows('early')).toHaveLength(10);
  });
});
