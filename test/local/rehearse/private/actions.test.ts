import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  batchPermissions,
  dynamodbPermissions,
  s3Permissions,
  snsPermissions,
  statesPermissions,
} from '../../../../local/rehearse/private/actions';

const scope = { region: 'us-east-1', account: '123456789012' };

function request(method: string, url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method, url, headers: { host: '127.0.0.1:4566', ...headers } } as unknown as IncomingMessage;
}

const body = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

// The resources each action acts on: https://docs.aws.amazon.com/service-authorization/latest/reference/
describe('the IAM actions of a request', () => {
  it('names DynamoDB tables and indexes, and every table of a batch write', () => {
    const query = request('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.Query' });
    expect(dynamodbPermissions(query, body({ TableName: 'ledger', IndexName: 'failed-items' }), scope)).toEqual([
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/ledger/index/failed-items' },
    ]);
    const batchWrite = request('POST', '/', { 'x-amz-target': 'DynamoDB_20120810.BatchWriteItem' });
    expect(
      dynamodbPermissions(batchWrite, body({ RequestItems: { a: [], b: [] } }), scope).map((p) => p.resource),
    ).toEqual(['arn:aws:dynamodb:us-east-1:123456789012:table/a', 'arn:aws:dynamodb:us-east-1:123456789012:table/b']);
  });

  it('names the S3 object or bucket, the listed prefix, and both sides of a copy', () => {
    expect(s3Permissions(request('GET', '/data/runs/r%201/manifest.json'))).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::data/runs/r 1/manifest.json' },
    ]);
    expect(s3Permissions(request('GET', '/data?list-type=2&prefix=results%2Fx'))).toEqual([
      {
        action: 's3:ListBucket',
        resource: 'arn:aws:s3:::data',
        context: { 's3:prefix': 'results/x', 's3:delimiter': '' },
      },
    ]);
    expect(s3Permissions(request('PUT', '/data/b', { 'x-amz-copy-source': '/other/a' }))).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::other/a' },
      { action: 's3:PutObject', resource: 'arn:aws:s3:::data/b' },
    ]);
    expect(s3Permissions(request('POST', '/data/big?uploads'))[0]?.action).toBe('s3:PutObject');
    expect(s3Permissions(request('DELETE', '/data/big?uploadId=u'))[0]?.action).toBe('s3:AbortMultipartUpload');
  });

  it('authorizes SubmitJob on its job queue and its job definition revision', () => {
    expect(
      batchPermissions(request('POST', '/v1/submitjob'), body({ jobQueue: 'high', jobDefinition: 'job' }), scope),
    ).toEqual([
      { action: 'batch:SubmitJob', resource: 'arn:aws:batch:us-east-1:123456789012:job-queue/high' },
      { action: 'batch:SubmitJob', resource: 'arn:aws:batch:us-east-1:123456789012:job-definition/job:1' },
    ]);
    expect(batchPermissions(request('POST', '/v1/terminatejob'), body({ jobId: 'j-1' }), scope)).toEqual([
      { action: 'batch:TerminateJob', resource: 'arn:aws:batch:us-east-1:123456789012:job/j-1' },
    ]);
    expect(batchPermissions(request('POST', '/v1/describejobs'), body({ jobs: [] }), scope)).toEqual([
      { action: 'batch:DescribeJobs', resource: '*' },
    ]);
  });

  it('names the SNS topic and the Step Functions state machine or execution', () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:notices';
    expect(
      snsPermissions(request('POST', '/'), body(`Action=Publish&TopicArn=${encodeURIComponent(topic)}`), scope),
    ).toEqual([{ action: 'sns:Publish', resource: topic }]);
    const start = request('POST', '/', { 'x-amz-target': 'AWSStepFunctions.StartExecution' });
    expect(statesPermissions(start, body({ stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:m' }))).toEqual([
      { action: 'states:StartExecution', resource: 'arn:aws:states:us-east-1:1:stateMachine:m' },
    ]);
  });
});
