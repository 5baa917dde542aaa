/**
 * Deploying fanout with CDK: the `FanoutOrchestrator` construct, the app built from
 * `fanout.config.json`, and the error raised for invalid props. See docs/deploy.md.
 */
export { propsFromConfig } from './config';
export { FanoutInfraError } from './errors';
export { CONTEXT, createFanoutApp, type FanoutAppOptions, FanoutStack, FEATURE_FLAGS } from './fanout-app';
export {
  type ComputeEnvironmentSpec,
  type FairShareSpec,
  FanoutOrchestrator,
  type FanoutOrchestratorProps,
  type FanoutPath,
  type FanoutScheduleOptions,
  type JobDefinitionSpec,
  type JobQueueSpec,
  type RetryRule,
  RUN_OBJECTS_PREFIX,
  SPOT_RETRY_RULES,
} from './fanout-orchestrator';
