export { type ComputeEstimate, DEFAULT_ASSUMED_JOB_SECONDS, estimateCompute } from './compute';
export { formatComparison, formatCompute, type PathMeasurement } from './format';
export { measurePath } from './measure';
export {
  type ComparedInput,
  type Comparison,
  comparePaths,
  type PathEstimate,
  type PathName,
  SUBMIT_JOB_CALLS_PER_SECOND,
  type UsageModel,
} from './model';
