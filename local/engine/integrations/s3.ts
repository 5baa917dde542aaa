import { randomUUID } from 'node:crypto';
import {
  GetObjectCommand,
  type GetObjectCommandInput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { StatesError } from '../errors';
import type { Json, JsonObject, TaskIntegration, TaskRequest } from '../types';
import {
  parametersObject,
  requiredString,
  sdkOutputToJson,
  sendAbortable,
  unsupportedAction,
} from './private/sdk-call';
import { isSdkServiceError, sdkIntegrationCause, taskFailedFrom, withExceptionSuffix } from './private/sdk-errors';

export interface S3IntegrationOptions {
  readonly client: S3Client;
}

/**
 * Errors of the S3 API model, which keep their name (plus the `Exception` suffix) in Step
 * Functions: `S3.NoSuchKeyException`, `S3.NoSuchBucketException`
 * (docs: step-functions/latest/dg/supported-services-awssdk.html). Others are `S3.S3Exception`.
 */
const MODELED_ERRORS = new Set([
  'AccessDenied',
  'BucketAlreadyExists',
  'BucketAlreadyOwnedByYou',
  'EncryptionTypeMismatch',
  'IdempotencyParameterMismatch',
  'InvalidObjectState',
  'InvalidRequest',
  'InvalidWriteOffset',
  'NoSuchBucket',
  'NoSuchKey',
  'NoSuchUpload',
  'ObjectAlreadyInActiveTierError',
  'ObjectNotInActiveTierError',
  'TooManyParts',
]);

const ACTIONS = ['getObject', 'putObject'] as const;

/**
 * The AWS SDK integration for S3 objects (`arn:aws:states:::aws-sdk:s3:getObject|putObject`).
 * `getObject` returns the response with `Body` as UTF-8 text; `putObject` writes `Body` as its
 * JSON text, as AWS does, so a string body is stored with its quotes.
 * @example createS3Integration({ client: new S3Client({ endpoint: s3Url, forcePathStyle: true }) })
 */
export function createS3Integration(options: S3IntegrationOptions): TaskIntegration {
  const { client } = options;
  return {
    service: 'aws-sdk:s3',
    actions: ACTIONS,
    async invoke(request: TaskRequest): Promise<Json> {
      const parameters = parametersObject(request.parameters);
      requiredString(parameters, 'Bucket');
      requiredString(parameters, 'Key');
      try {
        if (request.action === 'getObject') {
          const response = await sendAbortable(
            (sendOptions) =>
              client.send(new GetObjectCommand(parameters as unknown as GetObjectCommandInput), sendOptions),
            request.signal,
          );
          const { Body, ...rest } = response;
          const body = Body ? await Body.transformToString('utf-8') : '';
          return { ...(sdkOutputToJson(rest) as JsonObject), Body: body };
        }
        if (request.action === 'putObject') {
          const input: Record<string, unknown> = { ...parameters };
          // Recorded AWS behaviour: every Body, strings included, is written as JSON text.
          if ('Body' in parameters) input.Body = JSON.stringify(parameters.Body);
          const response = await sendAbortable(
            (sendOptions) => client.send(new PutObjectCommand(input as unknown as PutObjectCommandInput), sendOptions),
            request.signal,
          );
          return sdkOutputToJson(response);
        }
      } catch (error) {
        if (request.signal.aborted) throw error;
        throw s3Error(error);
      }
      throw unsupportedAction('aws-sdk:s3', request.action, ACTIONS);
    },
  };
}

function s3Error(error: unknown): StatesError {
  if (error instanceof StatesError) return error;
  if (!isSdkServiceError(error)) return taskFailedFrom(error);
  const name = MODELED_ERRORS.has(error.name) ? withExceptionSuffix(error.name) : 'S3Exception';
  return new StatesError(
    `S3.${name}`,
    sdkIntegrationCause(error.message, {
      service: 'S3',
      statusCode: error.$metadata.httpStatusCode ?? 400,
      requestId: error.$metadata.requestId ?? randomUUID(),
      extendedRequestId: error.$metadata.extendedRequestId,
    }),
  );
}
