/** fanout's one configuration file (`fanout.config.json`): its schema and how it is read. */
export { imageReference } from './image';
export { ConfigError, defaultConfigPath, loadConfig, parseConfig } from './load';
export type {
  ComputeEnvironmentConfig,
  FanoutConfig,
  ImageConfig,
  JobDefinitionConfig,
  JobQueueConfig,
  JobStateTimeLimitActionConfig,
  RetryStrategyConfig,
  SchedulingPolicyConfig,
} from './schema';
