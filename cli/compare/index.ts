export { comparePaths, SUBMIT_JOB_CALLS_PER_SECOND, type ComparedInput, type Comparison, type PathEstimate, type PathName, type UsageModel } from './model';
export { formatComparison, type PathMeasurement } from './format';
export { measurePath } from './measure';
