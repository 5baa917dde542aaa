/**
 * A run's plan and its commit point (docs/failure-points.md): Prepare writes the header
 * (`planned: false`), then the manifest, then every item row, then marks the header planned.
 * The Map starts only after Prepare returns, so until the commit nothing of the run has run,
 * and an uncommitted plan can be finished (its manifest exists) or cleared (it does not).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  abandonedRunDelete,
  type ItemRow,
  newRunHeaderPut,
  pendingItemRow,
  plannedRunUpdate,
  putRows,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  type Sleep,
} from '../../run';
import { FanoutInputError } from './errors';

export interface PlanDependencies {
  s3: S3Client;
  ledger: DynamoDBDocumentClient;
  tableName: string;
  now: () => Date;
  sleep: Sleep;
  random: () => number;
  /**
   * After how long an uncommitted plan of another execution counts as abandoned, so that a new
   * execution with the same run id starts it afresh: Lambda's longest timeout on AWS (Prepare
   * cannot still be writing it); 0 on the local cloud, whose state folder has one writer.
   */
  abandonedPrepareAfterSeconds: number;
}

export interface RunPlan {
  header: RunHeaderRow;
  manifest: { bucket: string; key: string; body: string };
  index?: { bucket: string; key: string; body: Buffer };
  rows: readonly ItemRow[];
}

function isConditionFailure(error: unknown): boolean {
  return (error as Error).name === 'ConditionalCheckFailedException';
}

/** Deletes every item row of a run (never its header): what an abandoned plan left. */
async function deleteItemRows(deps: PlanDependencies, runId: string): Promise<number> {
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ledger.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: '#runId = :runId',
        ExpressionAttributeNames: { '#runId': 'runId', '#itemId': 'itemId' },
        ExpressionAttributeValues: { ':runId': runId },
        ProjectionExpression: '#runId, #itemId',
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const keys = (page.Items ?? []).filter((item) => item.itemId !== RUN_HEADER_ITEM_ID);
    for (let start = 0; start < keys.length; start += 25) {
      let requests = keys.slice(start, start + 25).map((key) => ({ DeleteRequest: { Key: key } }));
      while (requests.length > 0) {
        const response = await deps.ledger.send(
          new BatchWriteCommand({ RequestItems: { [deps.tableName]: requests } }),
        );
        requests = (response.UnprocessedItems?.[deps.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await deps.sleep(50);
      }
    }
    deleted += keys.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}

/**
 * Writes a new run's plan up to its commit point. A run id that already has a planned run (or
 * an uncommitted one of another execution that is not yet abandoned) is refused, naming it.
 */
export async function writeRunPlan(deps: PlanDependencies, plan: RunPlan): Promise<void> {
  const { header } = plan;
  const abandonedBefore = new Date(deps.now().getTime() - deps.abandonedPrepareAfterSeconds * 1000).toISOString();
  let previous: Record<string, unknown> | undefined;
  try {
    const response = await deps.ledger.send(new PutCommand(newRunHeaderPut(deps.tableName, header, abandonedBefore)));
    previous = response.Attributes;
  } catch (error) {
    if (isConditionFailure(error)) {
      throw FanoutInputError.of(
        'runId',
        `a run with this id already exists in ledger ${deps.tableName} (started by another execution); choose a new runId, or re-run its failures with the retry command`,
        header.runId,
      );
    }
    throw error;
  }
  if (previous && previous.executionArn !== header.executionArn) {
    // An abandoned plan of this run id: none of its rows ever ran; they make way for this plan's.
    await deleteItemRows(deps, header.runId);
  }
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: plan.manifest.bucket,
      Key: plan.manifest.key,
      Body: plan.manifest.body,
      ContentType: 'application/jsonl',
    }),
  );
  if (plan.index) {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: plan.index.bucket,
        Key: plan.index.key,
        Body: plan.index.body,
        ContentType: 'application/octet-stream',
      }),
    );
  }
  await putRows(deps.ledger, deps.tableName, plan.rows as unknown as Record<string, unknown>[], {
    sleep: deps.sleep,
    random: deps.random,
  });
  await deps.ledger.send(new UpdateCommand(plannedRunUpdate(deps.tableName, header.runId, header.executionArn)));
}

/**
 * Finishes the plan of a run whose Prepare died after the header (`resume`): writes every row of
 * its manifest and commits. A run whose manifest was never written is cleared instead, and
 * refused naming why: nothing of it ran, and `run` with its input starts it afresh.
 */
export async function completeRunPlan(deps: PlanDependencies, run: RunHeaderRow): Promise<number> {
  let text: string;
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: run.manifest.bucket, Key: run.manifest.key }));
    text = (await object.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    if ((error as Error).name !== 'NoSuchKey') throw error;
    await deps.ledger.send(new DeleteCommand(abandonedRunDelete(deps.tableName, run.runId))).catch((failure) => {
      if (!isConditionFailure(failure)) throw failure;
    });
    throw FanoutInputError.of(
      'resumeOf',
      'the process that started this run died before its plan was written: nothing of it ran, and it is cleared; start it again with its input (same runId)',
      run.runId,
    );
  }
  const rows = text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const entry = JSON.parse(line) as { itemId: string; jobName: string; kwargs: unknown; idempotent: boolean };
      return pendingItemRow({
        runId: run.runId,
        itemId: entry.itemId,
        idempotent: entry.idempotent,
        jobName: entry.jobName,
        kwargs: JSON.stringify(entry.kwargs),
        createdAt: run.createdAt,
      });
    });
  // Rewriting a row the dead Prepare already wrote is harmless: nothing ran before the commit.
  await putRows(deps.ledger, deps.tableName, rows as unknown as Record<string, unknown>[], {
    sleep: deps.sleep,
    random: deps.random,
  });
  await deps.ledger.send(new UpdateCommand(plannedRunUpdate(deps.tableName, run.runId, run.executionArn)));
  return rows.length;
}
