/**
 * Deploying fanout with CDK: the `FanoutOrchestrator` construct, the app built from
 * `fanout.config.json`, and the error raised for invalid props. See docs/deploy.md.
 */
export { propsFromConfig } from './config';
export { FanoutInfraError } from './errors';
export { CONTEXT, createFanoutApp, type FanoutAppOptions } from './fanout-app';
export { FanoutOrchestrator } from './fanout-orchestrator';
export type {
  ComputeEnvironmentSpec,
  FanoutOrchestratorProps,
  FanoutPath,
  FanoutSchedule,
  FanoutScheduleOptions,
  JobDefinitionSpec,
  JobQueueSpec,
  JobStateTimeLimitActionSpec,
  RetryRule,
  SchedulingPolicySpec,
} from './fanout-orchestrator-props';
