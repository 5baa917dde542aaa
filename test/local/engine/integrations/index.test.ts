import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { createDefaultIntegrations, parseResource } from '../../../../local/engine/integrations';
import type { StepFunctionsService } from '../../../../local/engine/types';

describe('parseResource', () => {
  it.each([
    ['arn:aws:states:::aws-sdk:s3:getObject', 'aws-sdk:s3', 'getObject'],
    ['arn:aws:states:::batch:submitJob.sync', 'batch', 'submitJob.sync'],
    ['arn:aws:states:::batch:submitJob', 'batch', 'submitJob'],
    ['arn:aws:states:::states:startExecution.sync:2', 'states', 'startExecution.sync:2'],
    ['arn:aws:states:::lambda:invoke', 'lambda', 'invoke'],
    ['arn:aws:states:::dynamodb:updateItem', 'dynamodb', 'updateItem'],
    ['arn:aws-cn:states:::sns:publish', 'sns', 'publish'],
  ])('splits %s into service and action', (resource, service, action) => {
    expect(parseResource(resource)).toEqual({ service, action });
  });

  it.each([
    ['a Lambda function ARN', 'arn:aws:lambda:us-east-1:123456789012:function:prepare'],
    ['an activity ARN', 'arn:aws:states:us-east-1:123456789012:activity:approve'],
    ['an ARN without action', 'arn:aws:states:::batch'],
    ['an AWS SDK ARN without action', 'arn:aws:states:::aws-sdk:s3'],
    ['a plain name', 'prepare'],
  ])('returns undefined for %s', (_label, resource) => {
    expect(parseResource(resource)).toBeUndefined();
  });
});

describe('createDefaultIntegrations', () => {
  it('creates one integration per client given, each with its actions', () => {
    const integrations = createDefaultIntegrations({
      handlers: new Map(),
      batch: new BatchClient({ region: 'us-east-1' }),
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      s3: new S3Client({ region: 'us-east-1' }),
      sns: new SNSClient({ region: 'us-east-1' }),
      service: () => ({}) as StepFunctionsService,
    });
    expect(Object.fromEntries(integrations.map((integration) => [integration.service, integration.actions]))).toEqual({
      lambda: ['invoke'],
      batch: ['submitJob', 'submitJob.sync'],
      dynamodb: ['getItem', 'putItem', 'updateItem', 'deleteItem'],
      'aws-sdk:s3': ['getObject', 'putObject'],
      sns: ['publish'],
      states: ['startExecution', 'startExecution.sync', 'startExecution.sync:2'],
    });
  });

  it('leaves out the integrations whose client is not given', () => {
    expect(createDefaultIntegrations({ handlers: new Map() }).map((integration) => integration.service)).toEqual([
      'lambda',
    ]);
  });
});
