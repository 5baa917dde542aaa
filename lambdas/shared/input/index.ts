/**
 * The execution input of the map path (DESIGN §4): its schema, its parsing into a typed
 * input with defaults, and the expansion of the item source into prepared items whose
 * identity, job name and request sizes are all checked before anything is written.
 */

export { ItemCollector, jobNameFor, type PreparedItem, type RunContext } from './collector';
export { ITEM_ID_PATTERN, RUN_ID_PATTERN } from './fields';
export { MAX_NESTING } from './nesting';
export { parseExecutionInput } from './parse';
export { prepareInlineItems, type RunPlan, resolveRunId, validateInput } from './plan';
export { checkJobResources, type KnownJobResources } from './resources';
export { jobSchedulingOf, shareIdentifierIssues } from './scheduling';
export {
  AWS_MIN_TIMEOUT_SECONDS,
  DEFAULT_JOB_DEFINITION,
  DEFAULT_JOB_QUEUE,
  DEFAULT_MAX_CONCURRENCY,
  type ExecutionInput,
  executionInputJsonSchema,
  executionInputSchema,
  MAX_ITEMS,
  renderExecutionInputJsonSchema,
} from './schema';
export { checkTimeout, effectiveRetry, effectiveThresholds, jobTimeoutOf } from './settings';
export { SIZE_LIMITS } from './sizing';
export { type ItemSource, itemSourceOf } from './sources';
export { decodeUtf8, notUtf8Error, Utf8Check } from './utf8';
