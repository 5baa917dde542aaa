import { randomUUID } from 'node:crypto';
import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { resumeRun } from '../lambdas/shared';
import { RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../run';

/**
 * After a run was stopped (Ctrl+C, `fanout cancel`), settles the rows its stopped children left
 * without an outcome, from what Batch knows of their jobs: a job that had succeeded is recorded
 * SUCCEEDED, a terminated one FAILED with class ABORTED (re-run later by `fanout retry` when
 * idempotent), and one whose job never started FAILED with class NOT_STARTED (`fanout retry`
 * runs it, idempotent or not). Returns how many rows became ABORTED.
 */
export async function settleStoppedRun(
  clients: { dynamodb: DynamoDBClient; s3: S3Client; batch: BatchClient },
  names: { tableName: string; bucket: string },
  runId: string,
): Promise<number> {
  const ledger = DynamoDBDocumentClient.from(clients.dynamodb);
  const header = (
    await ledger.send(new GetCommand({ TableName: names.tableName, Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))
  ).Item as RunHeaderRow | undefined;
  // Stopped before Prepare wrote the run: no row to settle.
  if (!header) return 0;
  const settled = await resumeRun(
    { ledger, s3: clients.s3, batch: clients.batch, ...names, now: () => new Date(), newId: randomUUID },
    header,
    header.round,
    { settleOnly: true },
  );
  return settled.lostCount;
}
