/**
 * The execution input of the map path (DESIGN §4): its schema, its parsing into a typed
 * input with defaults, and the expansion of the item source into prepared items whose
 * identity, job name and request sizes are all checked before anything is written.
 */

export { ItemCollector, jobNameFor, type PreparedItem, type RunContext } from './collector';
export { parseExecutionInput } from './parse';
export { prepareInlineItems, type RunPlan, resolveRunId, validateInput } from './plan';
export {
  AWS_MIN_TIMEOUT_SECONDS,
  DEFAULT_JOB_DEFINITION,
  DEFAULT_JOB_QUEUE,
  DEFAULT_MAX_CONCURRENCY,
  type ExecutionInput,
  executionInputJsonSchema,
  executionInputSchema,
  ITEM_ID_PATTERN,
  MAX_ITEMS,
  RUN_ID_PATTERN,
  renderExecutionInputJsonSchema,
} from './schema';
export { checkTimeout, effectiveRetry, effectiveThresholds, jobTimeoutOf } from './settings';
export { SIZE_LIMITS } from './sizing';
export { type ItemSource, itemSourceOf } from './sources';
