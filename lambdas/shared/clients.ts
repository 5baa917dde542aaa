import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Environment, once } from './env';

/**
 * SDK clients shared by the handlers, created on first use and reused by every invocation
 * of a warm Lambda. Endpoints come from the SDK's own `AWS_ENDPOINT_URL_<SERVICE>` /
 * `AWS_ENDPOINT_URL` variables, which is how the local cloud points them at 127.0.0.1.
 */

/**
 * Options for an S3 client: a custom endpoint (the local cloud, or any S3-compatible store)
 * cannot serve virtual-hosted bucket names like `fanout-data.127.0.0.1`, so path-style
 * addressing is used whenever one is configured.
 */
function s3ClientOptions(env: Environment = process.env): { forcePathStyle?: boolean } {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL ? { forcePathStyle: true } : {};
}

export const s3Client = once(() => new S3Client(s3ClientOptions()));
export const batchClient = once(() => new BatchClient({}));
export const snsClient = once(() => new SNSClient({}));
export const documentClient = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);
