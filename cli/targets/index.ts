export type { AwsTarget, AwsTargetOptions, StackOutputs } from './aws';
export {
  cloudWatchLogUrl,
  DEFAULT_STACK,
  openAwsTarget,
  REQUIRED_STACK_OUTPUTS,
  readStackOutputs,
  resolveRegion,
  runOfExecution,
} from './aws';
export { localRunLocation, localTarget } from './local';
export type { ExecutionRun, Target, TargetNames } from './target';
export { executionArnOf, executionRecord } from './target';
