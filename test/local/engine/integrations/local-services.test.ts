import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamoDb, startDynamoDb } from '../../../../local/dynamodb';
import { createDynamoDbIntegration, createS3Integration } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { type S3Server, startS3Server } from '../../../../local/s3';
import { taskRequest } from './helpers';

/** The integrations against the real local services, so SDK serialization and real service errors are covered. */

describe('dynamodb integration against dynalite', () => {
  let dynamo: LocalDynamoDb;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dynamo = await startDynamoDb();
    client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: dynamo.credentials });
    await ensureTable(client, {
      TableName: 'ledger',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'runId', AttributeType: 'S' },
        { AttributeName: 'itemId', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'runId', KeyType: 'HASH' },
        { AttributeName: 'itemId', KeyType: 'RANGE' },
      ],
    });
  });

  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });

  const run = (action: string, parameters: Json) =>
    createDynamoDbIntegration({ client }).invoke(
      taskRequest({ resource: `arn:aws:states:::dynamodb:${action}`, action, parameters }),
    );

  it('writes, conditionally updates and reads an item, binary values included', async () => {
    const key = { runId: { S: 'run-1' }, itemId: { S: '0001' } };
    await run('putItem', { TableName: 'ledger', Item: { ...key, status: { S: 'RUNNING' }, digest: { B: 'AQID' } } });
    const updated = await run('updateItem', {
      TableName: 'ledger',
      Key: key,
      UpdateExpression: 'SET #s = :done',
      ConditionExpression: '#s <> :done',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':done': { S: 'SUCCEEDED' } },
      ReturnValues: 'UPDATED_NEW',
    });
    expect(updated).toMatchObject({
      Attributes: { status: { S: 'SUCCEEDED' } },
      SdkHttpMetadata: { HttpStatusCode: 200 },
    });

    const read = await run('getItem', { TableName: 'ledger', Key: key });
    expect(read).toMatchObject({ Item: { status: { S: 'SUCCEEDED' }, digest: { B: 'AQID' } } });
  });

  it('fails a second conditional update with DynamoDB.ConditionalCheckFailedException', async () => {
    const key = { runId: { S: 'run-1' }, itemId: { S: '0002' } };
    const update = {
      TableName: 'ledger',
      Key: key,
      UpdateExpression: 'SET #s = :done',
      ConditionExpression: 'attribute_not_exists(#s) OR #s <> :done',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':done': { S: 'SUCCEEDED' } },
    };
    await run('updateItem', update);
    await expect(run('updateItem', update)).rejects.toMatchObject({
      error: 'DynamoDB.ConditionalCheckFailedException',
      cause: expect.stringMatching(
        /^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException;/,
      ),
    });
  });

  it('reports a missing table as DynamoDB.ResourceNotFoundException', async () => {
    await expect(
      run('getItem', { TableName: 'missing', Key: { runId: { S: 'x' }, itemId: { S: 'y' } } }),
    ).rejects.toMatchObject({
      error: 'DynamoDB.ResourceNotFoundException',
    });
  });
});

describe('aws-sdk:s3 integration against the local S3 endpoint', () => {
  let dir: string;
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-s3-integration-'));
    s3 = await startS3Server({ dir });
    client = new S3Client({ endpoint: s3.url, region: 'us-east-1', credentials: s3.credentials, forcePathStyle: true });
    await client.send(new CreateBucketCommand({ Bucket: 'fanout' }));
  });

  afterAll(async () => {
    client.destroy();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (action: 'getObject' | 'putObject', parameters: Json) =>
    createS3Integration({ client }).invoke(
      taskRequest({ resource: `arn:aws:states:::aws-sdk:s3:${action}`, action, parameters }),
    );

  it('puts a JSON body and gets it back as text', async () => {
    await run('putObject', { Bucket: 'fanout', Key: 'runs/run-1/summary.json', Body: { succeeded: 3 } });
    const stored = await client.send(new GetObjectCommand({ Bucket: 'fanout', Key: 'runs/run-1/summary.json' }));
    expect(await stored.Body?.transformToString()).toBe('{"succeeded":3}');

    const output = await run('getObject', { Bucket: 'fanout', Key: 'runs/run-1/summary.json' });
    expect(output).toMatchObject({ Body: '{"succeeded":3}', ContentLength: 15 });
  });

  it('fails with S3.NoSuchKeyException for a missing key', async () => {
    await expect(run('getObject', { Bucket: 'fanout', Key: 'missing.json' })).rejects.toMatchObject({
      error: 'S3.NoSuchKeyException',
      cause: expect.stringContaining('(Service: S3, Status Code: 404, Request ID:'),
    });
  });
});
