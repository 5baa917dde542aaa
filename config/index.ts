/** fanout's one configuration file (`fanout.config.json`): its schema and how it is read. */
export { imageReference } from './image';
export { CONFIG_VARIABLE, ConfigError, defaultConfigPath, findConfigPath, loadConfig, parseConfig } from './load';
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
