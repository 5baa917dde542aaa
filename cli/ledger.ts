import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { countRunStatuses, type StatusCounts } from '../lambdas/shared/ledger';

/** Counts a run's ledger rows by status (the header row excluded). */
export async function countRunItems(client: DynamoDBClient, tableName: string, runId: string): Promise<StatusCounts> {
  const { counts } = await countRunStatuses(DynamoDBDocumentClient.from(client), tableName, runId);
  return counts;
}
