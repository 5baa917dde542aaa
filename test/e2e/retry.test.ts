import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetryHandler } from '../../lambdas/retry';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { ItemRow } from '../../run';
import { itemRowsOf, runExecution, tempDir } from './helpers';

// Retry rounds on the real local cloud: the jobs count their own attempts in one file per
// item, so the test sees exactly how often each item ran.
let cloud: LocalCloud;
let ledger: DynamoDBDocumentClient;

beforeAll(async () => {
  cloud = await startLocalCloud({ dir: tempDir(), vcpus: 2 });
  ledger = DynamoDBDocumentClient.from(cloud.clients.dynamodb);
});

afterAll(async () => {
  await cloud?.stop();
});

const runToEnd = (name: string, input: unknown) => runExecution(cloud, name, input);

const itemRows = (runId: string) => itemRowsOf(cloud, runId);

describe('a run whose jobs fail on their first attempt only', () => {
  const runId = 'first-attempt-fails';
  const counts = tempDir('fanout-attempts-');
  // Items 1 and 4 may not run twice; the others may.
  const nonIdempotent = new Set([1, 4]);
  const items = Array.from({ length: 6 }, (_, n) => ({
    id: `item-${n}`,
    dir: counts,
    ...(nonIdempotent.has(n) ? { idempotent: false } : {}),
  }));
  // Appends one line per attempt, then fails unless an earlier attempt left a line.
  const command = [
    'sh',
    '-c',
    'echo attempt >> "{dir}/$FANOUT_ITEM_ID"; test "$(wc -l < "{dir}/$FANOUT_ITEM_ID")" -gt 1',
  ];
  let execution: DescribeExecutionCommandOutput;
  let rows: ItemRow[];
  const runsOf = (itemId: string) => readFileSync(join(counts, itemId), 'utf8').trim().split('\n').length;

  beforeAll(async () => {
    execution = await runToEnd(runId, {
      runId,
      items,
      command,
      toleratedFailurePercentage: 100,
      retry: { rounds: 2, maxAttempts: 3 },
    });
    rows = await itemRows(runId);
  });

  it('ends SUCCEEDED after one retry round', () => {
    expect(execution.status, execution.cause).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? '{}')).toMatchObject({
      runId,
      status: 'COMPLETED_WITH_FAILURES',
      counts: { total: 6, succeeded: 4, failed: 2 },
    });
  });

  it('runs each idempotent item exactly twice, with a fresh job name and its first failure in the history', () => {
    for (const row of rows.filter((candidate) => candidate.idempotent)) {
      expect(runsOf(row.itemId), row.itemId).toBe(2);
      expect(row).toMatchObject({ status: 'SUCCEEDED', attempt: 2, round: 2 });
      expect(row.failureClass).toBeUndefined();
      expect(row.attempts).toEqual([
        { attempt: 1, jobId: expect.any(String), failureClass: 'APP_ERROR', statusReason: expect.any(String) },
      ]);
      expect(row.attempts?.[0]?.jobId).not.toBe(row.jobId);
    }
  });

  it('runs each non-idempotent item exactly once and leaves it FAILED', () => {
    const kept = rows.filter((row) => !row.idempotent);
    expect(kept.map((row) => row.itemId)).toEqual(['item-1', 'item-4']);
    for (const row of kept) {
      expect(runsOf(row.itemId)).toBe(1);
      expect(row).toMatchObject({ status: 'FAILED', attempt: 1, round: 1, failureClass: 'APP_ERROR', exitCode: 1 });
      expect(row.attempts).toBeUndefined();
    }
  });
});

describe('two Retry calls at the same moment on the same run', () => {
  const runId = 'concurrent-retry';
  const itemCount = 12;

  /** A run header and `itemCount` FAILED rows: half idempotent, one non-idempotent never-started. */
  async function resetRun(): Promise<void> {
    await ledger.send(
      new PutCommand({
        TableName: cloud.config.ledgerTable,
        Item: {
          runId,
          itemId: '#run',
          kind: 'run',
          path: 'map',
          status: 'RUNNING',
          round: 1,
          retry: { rounds: 1, maxAttempts: 3 },
        },
      }),
    );
    await Promise.all(
      Array.from({ length: itemCount }, (_, n) =>
        ledger.send(
          new PutCommand({
            TableName: cloud.config.ledgerTable,
            Item: {
              runId,
              itemId: `i${String(n).padStart(2, '0')}`,
              status: 'FAILED',
              idempotent: n % 2 === 0,
              attempt: 1,
              round: 1,
              jobName: `${runId}-${n}`,
              kwargs: `{"n":${n}}`,
              createdAt: '2025-01-02T03:04:05.000Z',
              failureClass: n === 1 ? 'SUBMIT_ERROR' : 'APP_ERROR',
              failedRunId: runId,
            },
          }),
        ),
      ),
    );
  }

  it('claims each candidate exactly once, every time', async () => {
    const handlerDeps = {
      s3: cloud.clients.s3,
      ledger,
      tableName: cloud.config.ledgerTable,
      bucket: cloud.config.bucket,
    };
    const first = createRetryHandler(handlerDeps);
    const second = createRetryHandler(handlerDeps);
    // Idempotent items (even n) plus the never-started item 1.
    const candidates = Array.from({ length: itemCount }, (_, n) => n)
      .filter((n) => n % 2 === 0 || n === 1)
      .map((n) => `i${String(n).padStart(2, '0')}`);

    for (let repetition = 0; repetition < 20; repetition += 1) {
      await resetRun();
      const results = await Promise.all([first({ runId, round: 1 }), second({ runId, round: 1 })]);
      const claimed = new Map<string, number>();
      for (const result of results) {
        if (!result.manifest) continue;
        const object = await cloud.clients.s3.send(
          new GetObjectCommand({ Bucket: result.manifest.bucket, Key: result.manifest.key }),
        );
        const text = await object.Body?.transformToString();
        for (const line of (text ?? '').trim().split('\n')) {
          const itemId = (JSON.parse(line) as { itemId: string }).itemId;
          claimed.set(itemId, (claimed.get(itemId) ?? 0) + 1);
        }
      }
      expect([...claimed.keys()].sort(), `repetition ${repetition}`).toEqual(candidates);
      expect(
        [...claimed.values()].every((count) => count === 1),
        `repetition ${repetition}`,
      ).toBe(true);
      expect(results[0].itemCount + results[1].itemCount).toBe(candidates.length);

      const rows = await itemRows(runId);
      for (const row of rows) {
        const isCandidate = candidates.includes(row.itemId);
        expect(row.status, row.itemId).toBe(isCandidate ? 'RETRYING' : 'FAILED');
        expect(row.attempt, row.itemId).toBe(isCandidate ? 2 : 1);
        expect(row.attempts?.length ?? 0, row.itemId).toBe(isCandidate ? 1 : 0);
      }
    }
  });
});
