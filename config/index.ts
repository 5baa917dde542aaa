/** fanout's one configuration file (`fanout.config.json`): its schema and how it is read. */
export { ConfigError, defaultConfigPath, loadConfig, parseConfig } from './load';
export type {
  ComputeEnvironmentConfig,
  FanoutConfig,
  JobDefinitionConfig,
  JobQueueConfig,
  RetryStrategyConfig,
} from './schema';
