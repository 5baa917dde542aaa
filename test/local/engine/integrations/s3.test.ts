import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { createS3Integration } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { taskRequest } from './helpers';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

function run(action: 'getObject' | 'putObject', parameters: Json) {
  const integration = createS3Integration({ client: new S3Client({ region: 'eu-west-1' }) });
  return integration.invoke(taskRequest({ resource: `arn:aws:states:::aws-sdk:s3:${action}`, action, parameters }));
}

function body(text: string) {
  return { transformToString: async () => text } as never;
}

describe('aws-sdk:s3 integration', () => {
  it('returns getObject output with the body as text', async () => {
    s3.on(GetObjectCommand).resolves({
      Body: body('{"items":3}'),
      ContentLength: 11,
      ContentType: 'application/json',
      ETag: '"abc"',
      LastModified: new Date('2024-01-02T03:04:05.000Z'),
      Metadata: {},
      $metadata: { httpStatusCode: 200 },
    });

    const output = await run('getObject', { Bucket: 'fanout', Key: 'runs/run-1/manifest.json' });

    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, { Bucket: 'fanout', Key: 'runs/run-1/manifest.json' });
    expect(output).toEqual({
      Body: '{"items":3}',
      ContentLength: 11,
      ContentType: 'application/json',
      ETag: '"abc"',
      LastModified: '2024-01-02T03:04:05.000Z',
      Metadata: {},
    });
  });

  it.each([
    ['a string, with its quotes', 'text data', '"text data"'],
    ['an object', { Dict: 'Value' }, '{"Dict":"Value"}'],
    ['a number', 0, '0'],
  ])('writes a putObject Body that is %s as JSON text', async (_label, value, stored) => {
    // Recorded AWS behaviour of arn:aws:states:::aws-sdk:s3:putObject (a string body of 9
    // characters is stored as 11 bytes).
    s3.on(PutObjectCommand).resolves({ ETag: '"e"', $metadata: {} });
    const output = await run('putObject', { Bucket: 'fanout', Key: 'k', Body: value, ContentType: 'application/json' });
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'fanout',
      Key: 'k',
      Body: stored,
      ContentType: 'application/json',
    });
    expect(output).toEqual({ ETag: '"e"' });
  });

  it('fails with S3.NoSuchKeyException for a missing key', async () => {
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404, requestId: 'req-1', extendedRequestId: 'ext-1' },
      }),
    );
    // Naming: docs step-functions/latest/dg/supported-services-awssdk.html (S3 errors gain the Exception suffix).
    await expect(run('getObject', { Bucket: 'fanout', Key: 'missing.json' })).rejects.toMatchObject({
      error: 'S3.NoSuchKeyException',
      cause:
        'The specified key does not exist. (Service: S3, Status Code: 404, Request ID: req-1, Extended Request ID: ext-1)',
    });
  });

  it('reports an error outside the S3 model as S3.S3Exception', async () => {
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'SlowDown',
        $fault: 'server',
        message: 'Please reduce your request rate.',
        $metadata: { httpStatusCode: 503 },
      }),
    );
    await expect(run('putObject', { Bucket: 'fanout', Key: 'k', Body: {} })).rejects.toMatchObject({
      error: 'S3.S3Exception',
    });
  });

  it('requires Bucket and Key', async () => {
    await expect(run('getObject', { Bucket: 'fanout' })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringContaining('The field "Key" is required but was missing'),
    });
  });
});
