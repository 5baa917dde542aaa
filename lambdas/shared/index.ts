/**
 * What the rest of fanout (CLI, local cloud, CDK app, retry path) uses from the Lambda side:
 * the execution input contract, the ledger contract, and the error types.
 */

export {
  type AttemptRecord,
  countRunStatuses,
  emptyCounts,
  FAILED_ITEMS_INDEX,
  FAILED_RUN_ID_ATTRIBUTE,
  FailureClass,
  ITEM_STATUSES,
  type ItemRow,
  ItemStatus,
  ledgerTableDefinition,
  type PreparedRun,
  putRows,
  type RetryLineage,
  RUN_HEADER_ITEM_ID,
  type RunHeaderRow,
  RunStatus,
  type RunStatusCounts,
  type StatusCounts,
} from '../../run';
export {
  attemptJobName,
  type ClaimDependencies,
  type ClaimedRound,
  claimRetryCandidates,
  type RetryDecision,
  retryDecision,
  retryRoundThresholds,
} from './claims';
export {
  EnvironmentVariableError,
  EventError,
  FanoutError,
  FanoutInputError,
  type InputIssue,
} from './errors';
export {
  DEFAULT_JOB_DEFINITION,
  DEFAULT_JOB_QUEUE,
  DEFAULT_MAX_CONCURRENCY,
  type ExecutionInput,
  effectiveRetry,
  effectiveThresholds,
  executionInputJsonSchema,
  executionInputSchema,
  ITEM_ID_PATTERN,
  jobNameFor,
  MAX_ITEMS,
  type PreparedItem,
  parseExecutionInput,
  RUN_ID_PATTERN,
  type RunPlan,
  renderExecutionInputJsonSchema,
  SIZE_LIMITS,
  validateInput,
} from './input';
