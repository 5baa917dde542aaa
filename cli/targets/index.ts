export type { AwsTarget, AwsTargetOptions, StackOutputs } from './aws';
export {
  cloudWatchLogUrl,
  openAwsTarget,
  REQUIRED_STACK_OUTPUTS,
  readStackOutputs,
  resolveRegion,
  runOfExecution,
} from './aws';
export { localRunLocation, localTarget } from './local';
export type { ExecutionRun, Target, TargetNames } from './target';
export { DEFAULT_STACK, executionArnOf, executionRecord } from './target';
