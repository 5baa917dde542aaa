/**
 * The expression layer of the local Step Functions engine: for the JSONPath query language
 * paths, payload templates, intrinsic functions and Choice rules, for JSONata the evaluation of
 * `{% %}` expressions; error matching and the workflow variables paths read.
 * Pure functions: no I/O, no clock; inputs are never modified.
 */

export { evaluateChoiceRule } from './choice';
export { isTerminalError, matchesErrorEquals, validateErrorEquals } from './error-matching';
export { evaluateIntrinsic, intrinsicProblem, isIntrinsic } from './intrinsics';
export {
  evaluateJsonata,
  expectKind,
  expressionInField,
  isJsonataExpression,
  JsonataEvaluationError,
  type JsonataScope,
  jsonataDelimiterProblem,
  jsonataProblem,
  jsonataStatesMembers,
  jsonataVariables,
  renderJsonata,
} from './jsonata';
export type { JsonataEnvironment } from './jsonata-functions';
export { applyInputPath, applyOutputPath, applyResultPath, readPath } from './paths';
export { renderPayloadTemplate } from './payload-template';
export { parseTimestamp } from './timestamps';
export { bindVariables, pathVariable, type VariableReader } from './variables';
