/**
 * asl-validator's checks of a definition, with its JSON schemas compiled ahead of time
 * (asl-schema.generated.ts, by scripts/generate-asl-validator.ts) instead of by ajv at every
 * call. This module takes the steps of asl-validator's `validator(definition, { checkPaths: true,
 * checkArn: false })` in its order: default each state's QueryLanguage, check the schemas and
 * choose the errors to report as it does, then, when the schemas pass, run its other checks
 * (transition targets, duplicate names, terminal states, payload template fields, mutually
 * exclusive fields), which are asl-validator's own functions, loaded from its package.
 */
import { createRequire } from 'node:module';
import { validateStateMachine } from './asl-schema.generated';

/** One problem, as asl-validator reports it. */
export interface AslProblem {
  'Error code': string;
  Message: string;
}

interface StateEntry {
  stateName: string;
  state: { Type?: unknown };
}
type StateFilter = (entry: StateEntry) => boolean;
type StateChecker = (entry: StateEntry) => AslProblem | null;
interface StateChecksModule {
  stateChecks(
    definition: unknown,
    options: object,
    checks: { filter: StateFilter; checker: StateChecker }[],
  ): AslProblem[];
  AtMostOne(rule: { props: string[]; errorCode: string; path?: string }): StateChecker;
  ExactlyOne(rule: { props: string[]; errorCode: string }): StateChecker;
  IsTask: StateFilter;
  IsMap: StateFilter;
  IsWait: StateFilter;
  IsSucceed: StateFilter;
  IsFail: StateFilter;
  IsChoice: StateFilter;
}
type DefinitionCheck = (definition: unknown, options: object) => AslProblem[];

/** The JSON-schema error fields asl-validator reads (ajv's ErrorObject). */
interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
}
const schemaValidator = validateStateMachine as ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

const fromAslValidator = createRequire(createRequire(import.meta.url).resolve('asl-validator/package.json'));
const { JSONPath } = fromAslValidator('jsonpath-plus') as {
  JSONPath(options: { path: string; json: unknown }): Record<string, Record<string, unknown>>[];
};
const codes = (fromAslValidator('./dist/src/types') as { StateMachineErrorCode: Record<string, string> })
  .StateMachineErrorCode;
const check = (module: string, name: string) =>
  (fromAslValidator(`./dist/src/checks/${module}`) as Record<string, DefinitionCheck>)[name] as DefinitionCheck;
const perState = fromAslValidator('./dist/src/checks/state-checks') as StateChecksModule;

const OPTIONS = { checkPaths: true, checkArn: false };

const DEFINITION_CHECKS: DefinitionCheck[] = [
  check('missing-transition-target-errors', 'missingTransitionTargetErrors'),
  check('state-transitions-errors', 'stateTransitionsErrors'),
  check('duplicate-state-names-errors', 'duplicateStateNames'),
  check('missing-terminal-state-errors', 'missingTerminalStateErrors'),
  check('duplicate-payload-template-fields', 'mustNotHaveDuplicateFieldNamesAfterEvaluation'),
];

const atMostOne = (filter: StateFilter, code: string, props: string[], path?: string) => ({
  filter,
  checker: perState.AtMostOne({ props, errorCode: codes[code] as string, ...(path ? { path } : {}) }),
});
const exactlyOne = (filter: StateFilter, code: string, props: string[]) => ({
  filter,
  checker: perState.ExactlyOne({ props, errorCode: codes[code] as string }),
});
const isNotTerminalOrChoice: StateFilter = (entry) =>
  !(perState.IsSucceed(entry) || perState.IsFail(entry) || perState.IsChoice(entry));

/** The fields a state may have at most one (or exactly one) of, in asl-validator's order. */
const STATE_CHECKS = [
  atMostOne(perState.IsTask, 'TaskTimeoutError', ['TimeoutSeconds', 'TimeoutSecondsPath']),
  atMostOne(perState.IsTask, 'TaskHeartbeatError', ['HeartbeatSeconds', 'HeartbeatSecondsPath']),
  exactlyOne(perState.IsMap, 'MapItemProcessorError', ['ItemProcessor', 'Iterator']),
  atMostOne(perState.IsMap, 'MapItemSelectorError', ['ItemSelector', 'Parameters']),
  exactlyOne(perState.IsWait, 'WaitDurationError', ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']),
  exactlyOne(isNotTerminalOrChoice, 'TerminalStateWithNextError', ['End', 'Next']),
  atMostOne(perState.IsMap, 'MapToleratedFailureError', ['ToleratedFailureCount', 'ToleratedFailureCountPath']),
  atMostOne(perState.IsMap, 'MapToleratedFailureError', [
    'ToleratedFailurePercentage',
    'ToleratedFailurePercentagePath',
  ]),
  atMostOne(perState.IsMap, 'MapMaxConcurrencyError', ['MaxConcurrency', 'MaxConcurrencyPath']),
  atMostOne(perState.IsMap, 'MapItemsError', ['Items', 'ItemsPath']),
  atMostOne(perState.IsMap, 'MapItemReaderMaxItemsError', ['MaxItems', 'MaxItemsPath'], '$.ItemReader.ReaderConfig'),
  atMostOne(perState.IsMap, 'MapItemBatcherError', ['MaxItemsPerBatch', 'MaxItemsPerBatchPath'], '$.ItemBatcher'),
  atMostOne(
    perState.IsMap,
    'MapItemBatcherError',
    ['MaxInputBytesPerBatch', 'MaxInputBytesPerBatchPath'],
    '$.ItemBatcher',
  ),
  atMostOne(perState.IsFail, 'FailCauseProperty', ['Cause', 'CausePath']),
  atMostOne(perState.IsFail, 'FailErrorProperty', ['Error', 'ErrorPath']),
];

/**
 * The problems asl-validator finds in a definition, in its order; none for a valid one. Like
 * asl-validator, it writes the default QueryLanguage into every state: pass a copy.
 * @example validateAsl(structuredClone(machine)).map((p) => `${p['Error code']}: ${p.Message}`)
 */
export function validateAsl(definition: Record<string, unknown>): AslProblem[] {
  const language = definition.QueryLanguage ?? 'JSONPath';
  // Every object named States at any depth, as asl-validator selects them.
  for (const states of JSONPath({ path: '$..States', json: definition })) {
    for (const name of Object.keys(states)) {
      const state = states[name] as Record<string, unknown>;
      if (!state.QueryLanguage) state.QueryLanguage = language;
    }
  }
  const problems = schemaProblems(definition);
  if (problems.length > 0) return problems;
  for (const definitionCheck of DEFINITION_CHECKS) problems.push(...definitionCheck(definition, OPTIONS));
  problems.push(...perState.stateChecks(definition, OPTIONS, STATE_CHECKS));
  return problems;
}

/**
 * The schema errors asl-validator reports: of all ajv's errors, those at the deepest instance
 * path; where one of them is a `oneOf` failure, only the `oneOf` errors at that path (the others
 * are its alternatives failing); each schema path and instance path once.
 */
function schemaProblems(definition: unknown): AslProblem[] {
  if (schemaValidator(definition)) return [];
  const errors = schemaValidator.errors ?? [];
  const depth = (error: SchemaError) => error.instancePath.split('/').length;
  const deepest = Math.max(...errors.map(depth));
  const chosen = errors.filter((error) => depth(error) === deepest);
  const oneOfPaths = new Set(chosen.filter((error) => error.keyword === 'oneOf').map((error) => error.instancePath));
  const seen = new Set<string>();
  const problems: AslProblem[] = [];
  for (const error of chosen) {
    if (error.keyword !== 'oneOf' && oneOfPaths.has(error.instancePath)) continue;
    const key = JSON.stringify([decodeURIComponent(error.schemaPath), error.instancePath]);
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({
      'Error code': codes.SchemaValidationFailed as string,
      Message: `${error.instancePath} is invalid. ${error.message ?? ''}`,
    });
  }
  return problems;
}
