/**
 * Service integrations of the local Step Functions engine: one `TaskIntegration` per service a
 * Task's `Resource` can name (`arn:aws:states:::<service>:<action>`).
 */
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

export { type BatchIntegrationOptions, createBatchIntegration, TERMINATE_REASON } from './batch';
export { createDynamoDbIntegration, type DynamoDbIntegrationOptions } from './dynamodb';
export {
  createLambdaIntegration,
  type LambdaContext,
  type LambdaHandler,
  type LambdaIntegrationOptions,
  parseFunctionName,
} from './lambda';
export { createS3Integration, type S3IntegrationOptions } from './s3';
export { createSnsIntegration, type SnsIntegrationOptions } from './sns';
export { createStatesIntegration, type StatesIntegrationOptions } from './states';

/** The service and action a Task's `Resource` names. */
export interface ParsedResource {
  /** `lambda`, `batch`, `dynamodb`, `sns`, `states`, or `aws-sdk:<service>` for AWS SDK integrations. */
  service: string;
  /** The API action with its integration pattern, e.g. `submitJob.sync`, `startExecution.sync:2`, `getObject`. */
  action: string;
}

/** Resource types of `arn:aws:states:` ARNs that are not service integrations. */
const NOT_INTEGRATIONS = new Set(['activity', 'stateMachine', 'execution', 'express', 'mapRun']);

/**
 * Splits a service integration ARN into service and action; `undefined` for anything else
 * (a Lambda function ARN, an activity ARN, a malformed string).
 * @example parseResource('arn:aws:states:::aws-sdk:s3:getObject') // { service: 'aws-sdk:s3', action: 'getObject' }
 * @example parseResource('arn:aws:states:::batch:submitJob.sync') // { service: 'batch', action: 'submitJob.sync' }
 */
export function parseResource(resource: string): ParsedResource | undefined {
  // arn:<partition>:states:<region?>:<account?>:<service>:<action>[:<pattern suffix>]
  const parts = resource.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || !parts[1] || parts[2] !== 'states') return undefined;
  const rest = parts.slice(5);
  if (NOT_INTEGRATIONS.has(rest[0]!)) return undefined;
  const sdk = rest[0] === 'aws-sdk';
  const service = sdk ? `aws-sdk:${rest[1] ?? ''}` : rest[0]!;
  const action = rest.slice(sdk ? 2 : 1).join(':');
  if (!action || service.endsWith(':') || !service || rest.some((part) => part === '')) return undefined;
  return { service, action };
}

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
