import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbIntegration } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { taskRequest } from './helpers';

const dynamodb = mockClient(DynamoDBClient);
afterEach(() => dynamodb.reset());

function run(action: string, parameters: Json, signal?: AbortSignal) {
  const integration = createDynamoDbIntegration({ client: new DynamoDBClient({ region: 'eu-west-1' }) });
  return integration.invoke(
    taskRequest({ resource: `arn:aws:states:::dynamodb:${action}`, action, parameters, signal }),
  );
}

const metadata = { $metadata: { httpStatusCode: 200, requestId: 'ddb-req-1' } };

describe('dynamodb integration', () => {
  it('sends a conditional updateItem exactly as given', async () => {
    dynamodb.on(UpdateItemCommand).resolves({ Attributes: { status: { S: 'SUCCEEDED' } }, ...metadata });
    const parameters = {
      TableName: 'fanout-ledger',
      Key: { runId: { S: 'run-1' }, itemId: { S: '0007' } },
      UpdateExpression: 'SET #s = :s',
      ConditionExpression: '#s <> :done',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'SUCCEEDED' }, ':done': { S: 'SUCCEEDED' } },
      ReturnValues: 'UPDATED_NEW',
    } satisfies UpdateItemCommandInput;

    const output = await run('updateItem', parameters);

    expect(dynamodb).toHaveReceivedCommandWith(UpdateItemCommand, parameters);
    expect(dynamodb.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual(parameters);
    // Output: the API response plus SDK metadata, as recorded from AWS for the optimized integration.
    expect(output).toMatchObject({
      Attributes: { status: { S: 'SUCCEEDED' } },
      SdkHttpMetadata: {
        HttpStatusCode: 200,
        HttpHeaders: { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': 'ddb-req-1' },
      },
      SdkResponseMetadata: { RequestId: 'ddb-req-1' },
    });
  });

  it('returns getItem items in attribute-value form', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: { runId: { S: 'run-1' }, attempt: { N: '2' } }, ...metadata });
    const output = await run('getItem', {
      TableName: 'fanout-ledger',
      Key: { runId: { S: 'run-1' }, itemId: { S: 'HEADER' } },
    });
    expect(output).toMatchObject({ Item: { runId: { S: 'run-1' }, attempt: { N: '2' } } });
  });

  it('supports putItem and deleteItem', async () => {
    dynamodb.on(PutItemCommand).resolves(metadata);
    dynamodb.on(DeleteItemCommand).resolves(metadata);
    await run('putItem', { TableName: 't', Item: { id: { S: '1' } } });
    await run('deleteItem', { TableName: 't', Key: { id: { S: '1' } } });
    expect(dynamodb).toHaveReceivedCommandWith(PutItemCommand, { TableName: 't', Item: { id: { S: '1' } } });
    expect(dynamodb).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: 't', Key: { id: { S: '1' } } });
  });

  it('sends base64 binary attributes as bytes and returns bytes as base64', async () => {
    dynamodb.on(GetItemCommand).resolves({ Item: { blob: { B: Uint8Array.from([1, 2, 3]) } }, ...metadata });
    dynamodb.on(PutItemCommand).resolves(metadata);

    await run('putItem', { TableName: 't', Item: { blob: { B: 'AQID' }, list: { L: [{ B: 'BAU=' }] } } });
    const output = await run('getItem', { TableName: 't', Key: { id: { S: '1' } } });

    const item = dynamodb.commandCalls(PutItemCommand)[0]?.args[0].input.Item;
    expect(Buffer.from(item?.blob?.B ?? [])).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(item?.list?.L?.[0]?.B ?? [])).toEqual(Buffer.from([4, 5]));
    expect(output).toMatchObject({ Item: { blob: { B: 'AQID' } } });
  });

  it('fails with DynamoDB.ConditionalCheckFailedException when the condition fails', async () => {
    dynamodb.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400, requestId: 'r-7' },
      }),
    );
    // DESIGN §5: optimized DynamoDB errors are DynamoDB.<Code>; cause format as recorded from AWS.
    await expect(
      run('updateItem', { TableName: 't', Key: { id: { S: '1' } }, UpdateExpression: 'SET a = :a' }),
    ).rejects.toMatchObject({
      error: 'DynamoDB.ConditionalCheckFailedException',
      cause:
        'The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: r-7; Proxy: null)',
    });
  });

  it('reports a ValidationException as DynamoDB.AmazonDynamoDBException with the code in the cause', async () => {
    dynamodb.on(PutItemCommand).rejects(
      new DynamoDBServiceException({
        name: 'ValidationException',
        $fault: 'client',
        message: 'One or more parameter values were invalid: Missing the key itemId in the item',
        $metadata: { httpStatusCode: 400, requestId: 'r-8' },
      }),
    );
    await expect(run('putItem', { TableName: 't', Item: { runId: { S: 'run-1' } } })).rejects.toMatchObject({
      error: 'DynamoDB.AmazonDynamoDBException',
      cause: expect.stringContaining('Error Code: ValidationException;'),
    });
  });

  it('rejects with the abort reason when aborted during the call', async () => {
    dynamodb.on(GetItemCommand).callsFake(() => new Promise(() => undefined));
    const controller = new AbortController();
    const reason = new Error('execution stopped');
    controller.abort(reason);
    await expect(run('getItem', { TableName: 't', Key: {} }, controller.signal)).rejects.toBe(reason);
  });
});
