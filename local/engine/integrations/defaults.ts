/** The integrations fanout's state machines use, created from the clients at hand. */
import type { BatchClient } from '@aws-sdk/client-batch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { Clock, StepFunctionsService, TaskIntegration } from '../types';
import { createBatchIntegration } from './batch';
import { createDynamoDbIntegration } from './dynamodb';
import { createLambdaIntegration, type LambdaHandler } from './lambda';
import { createS3Integration } from './s3';
import { createSnsIntegration } from './sns';
import { createStatesIntegration } from './states';

/** The clients and handlers behind the default integrations; an integration is created for each one given. */
export interface DefaultIntegrationsOptions {
  /** In-process Lambda handlers by function name. */
  readonly handlers?: ReadonlyMap<string, LambdaHandler>;
  readonly batch?: BatchClient;
  /** DescribeJobs polling interval of `batch:submitJob.sync`. @default 100 */
  readonly batchPollIntervalMs?: number;
  /** Time source of the Batch poller. @default the system clock */
  readonly batchClock?: Clock;
  readonly dynamodb?: DynamoDBClient;
  readonly s3?: S3Client;
  readonly sns?: SNSClient;
  /** The engine, for `states:startExecution` child executions. */
  readonly service?: () => StepFunctionsService;
}

/**
 * Every integration fanout's state machines use, wired to the given clients.
 * @example
 * const integrations = createDefaultIntegrations({ handlers, batch: batchClient, dynamodb: ddb, s3, sns, service: () => engine });
 */
export function createDefaultIntegrations(options: DefaultIntegrationsOptions): TaskIntegration[] {
  const integrations: TaskIntegration[] = [];
  if (options.handlers) integrations.push(createLambdaIntegration({ handlers: options.handlers }));
  if (options.batch) {
    integrations.push(
      createBatchIntegration({
        client: options.batch,
        pollIntervalMs: options.batchPollIntervalMs,
        clock: options.batchClock,
      }),
    );
  }
  if (options.dynamodb) integrations.push(createDynamoDbIntegration({ client: options.dynamodb }));
  if (options.s3) integrations.push(createS3Integration({ client: options.s3 }));
  if (options.sns) integrations.push(createSnsIntegration({ client: options.sns }));
  if (options.service) integrations.push(createStatesIntegration({ service: options.service }));
  return integrations;
}
