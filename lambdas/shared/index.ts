/**
 * What the rest of fanout (CLI, CDK app, report, state machine usage) uses from the Lambda side:
 * the execution input contract, the array path's rules and the retry and resume rules. The
 * ledger and the run belong to the run domain (run/).
 */
export { arrayPathIssues, checkArrayPathInput, MAX_ARRAY_SIZE } from './arrays';
export { retryDecision } from './claims';
export { FanoutInputError } from './errors';
export {
  AWS_MIN_TIMEOUT_SECONDS,
  DEFAULT_JOB_DEFINITION,
  DEFAULT_JOB_QUEUE,
  decodeUtf8,
  effectiveRetry,
  type KnownJobResources,
  RUN_ID_PATTERN,
  type RunPlan,
  renderExecutionInputJsonSchema,
  validateInput,
} from './input';
export { resumeRun } from './resume';
