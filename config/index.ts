/** fanout's one configuration file (`fanout.config.json`): its schema and how it is read. */
export { imageReference } from './image';
export { ConfigError, loadConfig, parseConfig } from './load';
export { CONFIG_VARIABLE, defaultConfigPath, findConfigPath } from './location';
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
