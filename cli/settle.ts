import { randomUUID } from 'node:crypto';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { resumeRun } from '../lambdas/shared';
import { settleStoppedArrayRun } from '../lambdas/shared/settle-array';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../run';

/** What settling a stopped run recorded. */
export interface StoppedRunSettlement {
  /** Rows whose job was stopped or lost while running: FAILED (class from Batch's reason; ABORTED for a stop). */
  failed: number;
  /** Rows whose job never started: FAILED with class NOT_STARTED, run by `fanout retry`. */
  notStarted: number;
  /** Array path: rows whose child had not ended after the wait; left PENDING. */
  stillRunning: number;
}

/**
 * After a run was stopped (Ctrl+C, `fanout cancel`), settles the rows its stopped children left
 * without an outcome, from what Batch knows of their jobs: a job that had succeeded is recorded
 * SUCCEEDED, a terminated one FAILED with class ABORTED (re-run later by `fanout retry` when
 * idempotent), and one whose job never started FAILED with class NOT_STARTED (`fanout retry`
 * runs it, idempotent or not). An array-path run is settled from its array jobs' children
 * (`settleStoppedArrayRun`), after its jobs were asked to terminate.
 */
export async function settleStoppedRun(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; batch: BatchClient },
  names: { tableName: string; bucket: string },
  runId: string,
): Promise<StoppedRunSettlement> {
  const ledger = DynamoDBDocumentClient.from(clients.dynamodb);
  const header = (
    await ledger.send(new GetCommand({ TableName: names.tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))
  ).Item as RunHeaderRow | undefined;
  // Stopped before Prepare wrote the run: no row to settle.
  if (!header) return { failed: 0, notStarted: 0, stillRunning: 0 };
  if (header.path === 'array') {
    const settled = await settleStoppedArrayRun(
      { ledger, s3: clients.s3, batch: clients.batch, tableName: names.tableName, now: () => new Date() },
      header,
    );
    return { failed: settled.failed, notStarted: settled.notStarted, stillRunning: settled.stillRunning };
  }
  const settled = await resumeRun(
    { ledger, s3: clients.s3, batch: clients.batch, ...names, now: () => new Date(), newId: randomUUID },
    header,
    header.round,
    { settleOnly: true },
  );
  return { failed: settled.lostCount, notStarted: settled.notStartedCount, stillRunning: 0 };
}
