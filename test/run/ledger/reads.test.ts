import 'aws-sdk-client-mock-vitest/extend';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { countRunStatuses } from '../../../run';

const ledgerMock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

afterEach(() => ledgerMock.reset());

describe('countRunStatuses', () => {
  it('counts every page of a Query that reads only key, status and what tells a failure that never ran', async () => {
    ledgerMock
      .on(QueryCommand)
      .resolvesOnce({
        Items: [
          { itemId: '0', status: 'SUCCEEDED' },
          { itemId: '1', status: 'FAILED', failureClass: 'ABORTED', logStream: 'job/default/1' },
          { itemId: '2', status: 'PENDING' },
        ],
        LastEvaluatedKey: { runId: 'r', itemId: '2' },
      })
      .resolvesOnce({
        Items: [
          { itemId: '3', status: 'SUCCEEDED' },
          { itemId: '4', status: 'PENDING' },
          { itemId: '5', status: 'ABANDONED', failureClass: 'SUBMIT_ERROR' },
        ],
      });

    const result = await countRunStatuses(client, 'fanout-ledger', 'r', { sampleSize: 1 });

    expect(result).toEqual({
      counts: { total: 6, pending: 2, running: 0, succeeded: 2, failed: 1, retrying: 0, abandoned: 1 },
      pendingSample: ['2'],
      // Item 5's job was never submitted; item 1's ran (it has a log stream) before it was aborted.
      failedWithoutStart: 1,
    });
    expect(ledgerMock).toHaveReceivedNthCommandWith(QueryCommand, 1, {
      TableName: 'fanout-ledger',
      KeyConditionExpression: '#runId = :runId AND #itemId > :header',
      ExpressionAttributeNames: {
        '#runId': 'runId',
        '#itemId': 'itemId',
        '#status': 'status',
        '#failureClass': 'failureClass',
        '#logStream': 'logStream',
      },
      ExpressionAttributeValues: { ':runId': 'r', ':header': '#run' },
      ProjectionExpression: '#itemId, #status, #failureClass, #logStream',
    });
    expect(ledgerMock).toHaveReceivedNthCommandWith(QueryCommand, 2, {
      ExclusiveStartKey: { runId: 'r', itemId: '2' },
    });
  });
});
