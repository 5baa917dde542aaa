/**
 * The expression layer of the local Step Functions engine (JSONPath query language):
 * paths, payload templates, intrinsic functions, Choice rules and error matching.
 * Pure functions: no I/O, no clock; inputs are never modified.
 */
export { readPath, applyInputPath, applyOutputPath, applyResultPath } from './paths';
export { renderPayloadTemplate } from './payload-template';
export { evaluateIntrinsic, isIntrinsic } from './intrinsics';
export { evaluateChoiceRule } from './choice';
export { matchesErrorEquals, validateErrorEquals, isTerminalError } from './error-matching';
