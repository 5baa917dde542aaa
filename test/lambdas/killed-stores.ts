import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable, startDynamoDb } from '../../local/dynamodb';
import { startS3Server } from '../../local/s3';
import { ledgerTableDefinition } from '../../run';

/**
 * The real local DynamoDB and S3 a handler writes to in tests of a Lambda "killed" at a chosen
 * write: the ledger table and the data bucket exist, and `close` stops both.
 */
export async function startLedgerAndBucket(options: { table: string; bucket: string; region: string }) {
  const dynamo = await startDynamoDb({ inProcess: true });
  const s3Server = await startS3Server({ dir: mkdtempSync(join(tmpdir(), 'fanout-killed-s3-')) });
  const raw = new DynamoDBClient({ region: options.region, endpoint: dynamo.url, credentials: dynamo.credentials });
  await ensureTable(raw, ledgerTableDefinition(options.table));
  const s3 = new S3Client({
    region: options.region,
    endpoint: s3Server.url,
    credentials: s3Server.credentials,
    forcePathStyle: true,
  });
  await s3.send(new CreateBucketCommand({ Bucket: options.bucket }));
  return {
    ledger: DynamoDBDocumentClient.from(raw),
    s3,
    async close() {
      await s3Server.close();
      await dynamo.close();
    },
  };
}

/** A client that dies (throws) on its `crashAt`-th command matching `when`, as a killed process would. */
export function dying<T extends { send: (command: never) => Promise<unknown> }>(
  client: T,
  when: (command: object) => boolean,
  crashAt: number,
): T {
  let seen = 0;
  return {
    send: (command: object) => {
      if (when(command) && ++seen === crashAt) return Promise.reject(new Error('the process was killed here'));
      return client.send(command as never);
    },
  } as unknown as T;
}

/** Lets the writes a killed handler had in flight land (or not), as they would on a real crash. */
export const settled = () => new Promise((resolve) => setTimeout(resolve, 300));
