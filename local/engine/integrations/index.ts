/**
 * Service integrations of the local Step Functions engine: one `TaskIntegration` per service a
 * Task's `Resource` can name (`arn:aws:states:::<service>:<action>`).
 */

export { type BatchIntegrationOptions, createBatchIntegration, TERMINATE_REASON } from './batch';
export { createDefaultIntegrations, type DefaultIntegrationsOptions } from './defaults';
export { createDynamoDbIntegration, type DynamoDbIntegrationOptions } from './dynamodb';
export {
  createLambdaIntegration,
  type LambdaContext,
  type LambdaHandler,
  type LambdaIntegrationOptions,
} from './lambda';
export { parseResource } from './resource';
export { createS3Integration, type S3IntegrationOptions } from './s3';
export { createSnsIntegration, type SnsIntegrationOptions } from './sns';
export { createStatesIntegration, type StatesIntegrationOptions } from './states';
