export type { ExecutionRun, Target, TargetNames } from './target';
export { executionArnOf, executionRecord } from './target';
export { localRunLocation, localTarget } from './local';
export type { AwsTarget, AwsTargetOptions, StackOutputs } from './aws';
export { cloudWatchLogUrl, DEFAULT_STACK, openAwsTarget, readStackOutputs, REQUIRED_STACK_OUTPUTS, resolveRegion, runOfExecution } from './aws';
