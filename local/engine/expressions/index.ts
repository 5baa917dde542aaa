/**
 * The expression layer of the local Step Functions engine (JSONPath query language):
 * paths, payload templates, intrinsic functions, Choice rules and error matching.
 * Pure functions: no I/O, no clock; inputs are never modified.
 */

export { evaluateChoiceRule } from './choice';
export { isTerminalError, matchesErrorEquals, validateErrorEquals } from './error-matching';
export { evaluateIntrinsic, intrinsicProblem, isIntrinsic } from './intrinsics';
export { applyInputPath, applyOutputPath, applyResultPath, readPath } from './paths';
export { renderPayloadTemplate } from './payload-template';
export { parseTimestamp } from './timestamps';
