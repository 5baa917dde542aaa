import aslValidator from 'asl-validator';
import { InvalidDefinitionError, UnsupportedFeatureError } from './errors';
import { validateErrorEquals } from './expressions';
import type { Json, JsonObject, TaskIntegration } from './types';

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

/** A state exactly as the definition spells it (JSONPath query language only). */
export interface RawState {
  Type: StateType;
  Comment?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  Parameters?: Json;
  ResultSelector?: Json;
  Result?: Json;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Choices?: JsonObject[];
  Default?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  Branches?: RawMachine[];
  Iterator?: RawMachine;
  ItemProcessor?: RawMachine & {
    ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
  };
  ItemsPath?: string;
  ItemSelector?: Json;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ItemReader?: { Resource: string; Parameters?: Json; ReaderConfig?: ReaderConfig };
  ItemBatcher?: {
    MaxItemsPerBatch?: number;
    MaxItemsPerBatchPath?: string;
    MaxInputBytesPerBatch?: number;
    MaxInputBytesPerBatchPath?: string;
    BatchInput?: Json;
  };
  ResultWriter?: { Resource?: string; Parameters?: Json; WriterConfig?: Json };
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  Label?: string;
  [field: string]: unknown;
}

export interface ReaderConfig {
  InputType?: 'JSON' | 'JSONL' | 'CSV' | 'MANIFEST' | 'PARQUET';
  CSVHeaderLocation?: 'FIRST_ROW' | 'GIVEN';
  CSVHeaders?: string[];
  CSVDelimiter?: 'COMMA' | 'PIPE' | 'SEMICOLON' | 'SPACE' | 'TAB';
  MaxItems?: number;
  MaxItemsPath?: string;
}

export interface RawMachine {
  StartAt: string;
  States: Record<string, RawState>;
  TimeoutSeconds?: number;
  Comment?: string;
  Version?: string;
  QueryLanguage?: string;
}

/** A Task resource resolved against the registered integrations. */
export interface ResolvedTask {
  integration: TaskIntegration;
  resource: string;
  service: string;
  action: string;
}

/** A state ready to run: the raw fields plus what loading resolved once. */
export interface StateNode {
  name: string;
  type: StateType;
  raw: RawState;
  next?: string;
  task?: ResolvedTask;
  branches?: Graph[];
  processor?: Graph;
  distributed?: { executionType: 'STANDARD' | 'EXPRESS'; label: string };
  retry: Retrier[];
  catch: Catcher[];
}

/** One `{StartAt, States}` scope: the whole machine, a Parallel branch or a Map's item processor. */
export interface Graph {
  startAt: string;
  states: Map<string, StateNode>;
}

export interface LoadedDefinition {
  graph: Graph;
  timeoutSeconds?: number;
  raw: RawMachine;
}

const DISTRIBUTED_ONLY_FIELDS = [
  'ItemReader',
  'ItemBatcher',
  'ResultWriter',
  'ToleratedFailurePercentage',
  'ToleratedFailurePercentagePath',
  'ToleratedFailureCount',
  'ToleratedFailureCountPath',
  'Label',
] as const;

/** Fields of the JSONata query language or of features the local engine does not run. */
const UNSUPPORTED_STATE_FIELDS = ['Assign', 'Arguments', 'Output', 'Items', 'Credentials'] as const;

/**
 * Parses and checks a definition: JSON, Amazon States Language (asl-validator), then the local
 * engine's rules (resources must resolve to a registered integration, unsupported features are
 * refused with the state and field named).
 * @example loadDefinition(readFileSync('statemachine/map.asl.json', 'utf8'), integrations)
 */
export function loadDefinition(text: string, integrations: readonly TaskIntegration[]): LoadedDefinition {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidDefinitionError(
      `Invalid State Machine Definition: the definition is not valid JSON (${(error as Error).message})`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidDefinitionError('Invalid State Machine Definition: the definition must be a JSON object');
  }
  const machine = raw as RawMachine;
  if (machine.QueryLanguage !== undefined && machine.QueryLanguage !== 'JSONPath') {
    throw new UnsupportedFeatureError(
      `QueryLanguage "${machine.QueryLanguage}" at the top level is not supported by the local engine (JSONPath only)`,
    );
  }
  const fieldProblem = checkFieldValues(machine, '');
  if (fieldProblem) throw new InvalidDefinitionError(`Invalid State Machine Definition: ${fieldProblem}`);
  const problems = validateAsl(text, raw);
  if (problems) throw new InvalidDefinitionError(`Invalid State Machine Definition: ${problems}`);
  const graph = compileGraph(machine, integrations, { path: '', insideExpress: false });
  return { graph, timeoutSeconds: machine.TimeoutSeconds, raw: machine };
}

/**
 * asl-validator builds its JSON-schema validator on every call (~200 ms), so verdicts are
 * remembered per definition text: the same ASL file is usually loaded many times per process.
 */
const validatedTexts = new Map<string, string>();
const VALIDATION_CACHE_SIZE = 256;

function validateAsl(text: string, raw: unknown): string {
  const known = validatedTexts.get(text);
  if (known !== undefined) return known;
  // asl-validator writes a default QueryLanguage into every state it visits; give it a copy.
  const result = aslValidator(structuredClone(raw), { checkArn: false, checkPaths: true });
  const problems = result.isValid ? '' : result.errorsText('; ');
  if (validatedTexts.size >= VALIDATION_CACHE_SIZE) validatedTexts.delete(validatedTexts.keys().next().value!);
  validatedTexts.set(text, problems);
  return problems;
}

/** A documented range for one numeric field; `integer` false admits fractions. */
interface NumberRule {
  integer: boolean;
  min: number;
  max?: number;
  /** The rule as the message states it. */
  text: string;
}

/**
 * Retrier fields (docs: step-functions/latest/dg/concepts-error-handling.html, "Retrying after an
 * error"): IntervalSeconds and MaxAttempts have a maximum value of 99999999; MaxDelaySeconds must be
 * greater than 0 and less than 31622401; BackoffRate must be greater than or equal to 1.0.
 */
const RETRIER_RULES: Record<string, NumberRule> = {
  IntervalSeconds: { integer: true, min: 1, max: 99_999_999, text: 'must be a positive integer of at most 99999999' },
  MaxAttempts: { integer: true, min: 0, max: 99_999_999, text: 'must be a non-negative integer of at most 99999999' },
  BackoffRate: { integer: false, min: 1, text: 'must be a number greater than or equal to 1.0' },
  MaxDelaySeconds: { integer: true, min: 1, max: 31_622_400, text: 'must be a positive integer less than 31622401' },
};

const JITTER_STRATEGIES = ['FULL', 'NONE'];

/**
 * Map fields (docs: step-functions/latest/dg/state-map-distributed.html, input-output-itembatcher.html;
 * apireference/API_UpdateMapRun.html gives the same ranges: maxConcurrency integer ≥ 0,
 * toleratedFailureCount ≥ 0, toleratedFailurePercentage 0 to 100).
 */
const MAP_RULES: Record<string, NumberRule> = {
  MaxConcurrency: { integer: true, min: 0, text: 'must be a non-negative integer' },
  ToleratedFailurePercentage: { integer: false, min: 0, max: 100, text: 'must be a number from 0 to 100' },
  ToleratedFailureCount: { integer: true, min: 0, text: 'must be a non-negative integer' },
};

const BATCHER_RULES: Record<string, NumberRule> = {
  MaxItemsPerBatch: { integer: true, min: 1, text: 'must be a positive integer' },
  MaxInputBytesPerBatch: {
    integer: true,
    min: 1,
    max: 256 * 1024,
    text: 'must be a positive integer of at most 262144 (256 KiB)',
  },
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON Pointer (RFC 6901) token: `~` and `/` escaped. */
const pointerToken = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

function checkNumber(pointer: string, value: unknown, rule: NumberRule): string {
  if (value === undefined) return '';
  const fits =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min &&
    (rule.max === undefined || value <= rule.max);
  return fits ? '' : `${pointer} ${rule.text} (received ${JSON.stringify(value)})`;
}

/**
 * The value checks asl-validator leaves out or reports without the value: Retrier and Catcher
 * fields and the Map limits, in every scope (Parallel branches and Map item processors too).
 * Runs before asl-validator, so it walks whatever shape it is given and leaves shape errors to it.
 * Returns the first problem, as `<JSON pointer> <rule> (received <value>)`, or ''.
 */
function checkFieldValues(machine: unknown, base: string): string {
  if (!isObject(machine) || !isObject(machine.States)) return '';
  const names = machine.States;
  for (const [name, state] of Object.entries(names)) {
    if (!isObject(state)) continue;
    const at = `${base}/States/${pointerToken(name)}`;
    const problem = checkStateValues(state, at, names);
    if (problem) return problem;
  }
  return '';
}

function checkStateValues(state: Record<string, unknown>, at: string, scope: Record<string, unknown>): string {
  if (Array.isArray(state.Retry)) {
    for (const [index, retrier] of state.Retry.entries()) {
      if (!isObject(retrier)) continue;
      for (const [field, rule] of Object.entries(RETRIER_RULES)) {
        const problem = checkNumber(`${at}/Retry/${index}/${field}`, retrier[field], rule);
        if (problem) return problem;
      }
      const jitter = retrier.JitterStrategy;
      if (jitter !== undefined && !JITTER_STRATEGIES.includes(jitter as string)) {
        return `${at}/Retry/${index}/JitterStrategy must be FULL or NONE (received ${JSON.stringify(jitter)})`;
      }
    }
  }
  if (Array.isArray(state.Catch)) {
    for (const [index, catcher] of state.Catch.entries()) {
      if (!isObject(catcher) || catcher.Next === undefined) continue;
      const next = catcher.Next;
      if (typeof next !== 'string' || !Object.hasOwn(scope, next)) {
        return `${at}/Catch/${index}/Next must name a state of the same States object (received ${JSON.stringify(next)})`;
      }
    }
  }
  if (state.Type === 'Map') {
    for (const [field, rule] of Object.entries(MAP_RULES)) {
      const problem = checkNumber(`${at}/${field}`, state[field], rule);
      if (problem) return problem;
    }
    if (isObject(state.ItemBatcher)) {
      for (const [field, rule] of Object.entries(BATCHER_RULES)) {
        const problem = checkNumber(`${at}/ItemBatcher/${field}`, state.ItemBatcher[field], rule);
        if (problem) return problem;
      }
    }
    const processorField = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
    const problem = checkFieldValues(state[processorField], `${at}/${processorField}`);
    if (problem) return problem;
  }
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    for (const [index, branch] of state.Branches.entries()) {
      const problem = checkFieldValues(branch, `${at}/Branches/${index}`);
      if (problem) return problem;
    }
  }
  return '';
}

interface Scope {
  path: string;
  insideExpress: boolean;
}

function compileGraph(machine: RawMachine, integrations: readonly TaskIntegration[], scope: Scope): Graph {
  const states = new Map<string, StateNode>();
  for (const [name, raw] of Object.entries(machine.States)) {
    states.set(name, compileState(name, raw, integrations, scope));
  }
  return { startAt: machine.StartAt, states };
}

function compileState(name: string, raw: RawState, integrations: readonly TaskIntegration[], scope: Scope): StateNode {
  const where = `state "${scope.path}${name}"`;
  if (raw.QueryLanguage !== undefined && raw.QueryLanguage !== 'JSONPath') {
    throw new UnsupportedFeatureError(
      `${where}: field QueryLanguage "${String(raw.QueryLanguage)}" is not supported by the local engine (JSONPath only)`,
    );
  }
  for (const field of UNSUPPORTED_STATE_FIELDS) {
    if (raw[field] !== undefined) {
      throw new UnsupportedFeatureError(
        `${where}: field ${field} is not supported by the local engine (JSONata and variables are not implemented)`,
      );
    }
  }
  const node: StateNode = {
    name,
    type: raw.Type,
    raw,
    next: raw.Next,
    retry: raw.Retry ?? [],
    catch: raw.Catch ?? [],
  };
  checkErrorEquals(where, 'Retry', raw.Retry);
  checkErrorEquals(where, 'Catch', raw.Catch);
  switch (raw.Type) {
    case 'Task':
      node.task = resolveTask(where, raw.Resource ?? '', integrations, scope);
      break;
    case 'Parallel':
      node.branches = (raw.Branches ?? []).map((branch, index) =>
        compileGraph(branch, integrations, { ...scope, path: `${scope.path}${name}.Branches[${index}].` }),
      );
      break;
    case 'Map':
      compileMap(node, where, integrations, scope);
      break;
    default:
      break;
  }
  return node;
}

function compileMap(node: StateNode, where: string, integrations: readonly TaskIntegration[], scope: Scope): void {
  const raw = node.raw;
  const processor = raw.ItemProcessor ?? raw.Iterator;
  if (!processor) throw new InvalidDefinitionError(`${where}: a Map state needs ItemProcessor (or Iterator)`);
  const config = raw.ItemProcessor?.ProcessorConfig;
  const mode = config?.Mode ?? 'INLINE';
  if (mode === 'DISTRIBUTED') {
    const executionType = config?.ExecutionType ?? 'STANDARD';
    node.distributed = { executionType, label: raw.Label ?? node.name };
    if (raw.ItemReader) checkItemReader(where, raw.ItemReader);
    if (raw.ResultWriter) checkResultWriter(where, raw.ResultWriter);
    if (
      raw.ItemBatcher &&
      raw.ItemBatcher.MaxItemsPerBatch === undefined &&
      raw.ItemBatcher.MaxItemsPerBatchPath === undefined &&
      raw.ItemBatcher.MaxInputBytesPerBatch === undefined &&
      raw.ItemBatcher.MaxInputBytesPerBatchPath === undefined
    ) {
      throw new InvalidDefinitionError(
        `${where}: ItemBatcher must set MaxItemsPerBatch(Path) or MaxInputBytesPerBatch(Path)`,
      );
    }
    node.processor = compileGraph(processor, integrations, {
      path: `${scope.path}${node.name}.ItemProcessor.`,
      insideExpress: scope.insideExpress || executionType === 'EXPRESS',
    });
    return;
  }
  for (const field of DISTRIBUTED_ONLY_FIELDS) {
    if (raw[field] !== undefined) {
      throw new InvalidDefinitionError(
        `${where}: field ${field} is only valid in a Map state whose ProcessorConfig.Mode is DISTRIBUTED (received Mode ${mode})`,
      );
    }
  }
  node.processor = compileGraph(processor, integrations, {
    ...scope,
    path: `${scope.path}${node.name}.ItemProcessor.`,
  });
}

function checkItemReader(where: string, reader: NonNullable<RawState['ItemReader']>): void {
  const resource = reader.Resource;
  if (resource === 'arn:aws:states:::s3:listObjectsV2') return;
  if (resource !== 'arn:aws:states:::s3:getObject') {
    throw new UnsupportedFeatureError(
      `${where}: ItemReader.Resource "${resource}" is not supported by the local engine (arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2)`,
    );
  }
  const inputType = reader.ReaderConfig?.InputType;
  if (inputType === undefined)
    throw new InvalidDefinitionError(`${where}: ItemReader.ReaderConfig.InputType is required with s3:getObject`);
  if (inputType !== 'JSON' && inputType !== 'JSONL' && inputType !== 'CSV') {
    throw new UnsupportedFeatureError(
      `${where}: ItemReader.ReaderConfig.InputType "${inputType}" is not supported by the local engine (JSON, JSONL, CSV)`,
    );
  }
  if (inputType === 'CSV') {
    const location = reader.ReaderConfig?.CSVHeaderLocation;
    if (location === 'GIVEN' && !reader.ReaderConfig?.CSVHeaders?.length) {
      throw new InvalidDefinitionError(
        `${where}: ItemReader.ReaderConfig.CSVHeaders is required when CSVHeaderLocation is GIVEN`,
      );
    }
    if (location !== 'GIVEN' && location !== 'FIRST_ROW') {
      throw new InvalidDefinitionError(
        `${where}: ItemReader.ReaderConfig.CSVHeaderLocation must be FIRST_ROW or GIVEN (received ${String(location)})`,
      );
    }
  }
}

function checkResultWriter(where: string, writer: NonNullable<RawState['ResultWriter']>): void {
  if (writer.WriterConfig !== undefined) {
    throw new UnsupportedFeatureError(
      `${where}: ResultWriter.WriterConfig is not supported by the local engine (results are written untransformed, as JSON)`,
    );
  }
  if (writer.Resource !== 'arn:aws:states:::s3:putObject') {
    throw new InvalidDefinitionError(
      `${where}: ResultWriter.Resource must be arn:aws:states:::s3:putObject (received ${String(writer.Resource)})`,
    );
  }
  if (typeof writer.Parameters !== 'object' || writer.Parameters === null) {
    throw new InvalidDefinitionError(`${where}: ResultWriter.Parameters with Bucket and Prefix is required`);
  }
}

function checkErrorEquals(
  where: string,
  field: 'Retry' | 'Catch',
  rules: { ErrorEquals: string[] }[] | undefined,
): void {
  (rules ?? []).forEach((rule, index) => {
    const problem = validateErrorEquals(rule.ErrorEquals, `${where} ${field}[${index}].ErrorEquals`, {
      last: index === rules!.length - 1,
    });
    if (problem) throw new InvalidDefinitionError(problem);
  });
}

const STATES_RESOURCE = /^arn:aws:states:::(.+)$/;
const ACTIVITY_RESOURCE = /^arn:aws:states:[^:]*:[^:]*:activity:/;

function resolveTask(
  where: string,
  resource: string,
  integrations: readonly TaskIntegration[],
  scope: Scope,
): ResolvedTask {
  if (ACTIVITY_RESOURCE.test(resource)) {
    throw new UnsupportedFeatureError(
      `${where}: Resource "${resource}" is an Activity, which the local engine does not support`,
    );
  }
  const match = STATES_RESOURCE.exec(resource);
  if (!match) {
    throw new InvalidDefinitionError(
      `${where}: Resource "${resource}" is not a service integration ARN (arn:aws:states:::<service>:<action>) registered with the local engine`,
    );
  }
  const rest = match[1]!;
  let service: string;
  let action: string;
  if (rest.startsWith('aws-sdk:')) {
    const parts = rest.split(':');
    service = `aws-sdk:${parts[1] ?? ''}`;
    action = parts.slice(2).join(':');
  } else {
    const colon = rest.indexOf(':');
    service = colon < 0 ? rest : rest.slice(0, colon);
    action = colon < 0 ? '' : rest.slice(colon + 1);
  }
  if (action.endsWith('.waitForTaskToken')) {
    throw new UnsupportedFeatureError(
      `${where}: Resource "${resource}" uses .waitForTaskToken (callback tasks), which the local engine does not support`,
    );
  }
  if (scope.insideExpress && /\.sync(:\d+)?$/.test(action)) {
    throw new InvalidDefinitionError(
      `${where}: Resource "${resource}" uses a .sync integration, which EXPRESS child workflows do not support (use ExecutionType STANDARD)`,
    );
  }
  const integration = integrations.find(
    (candidate) => candidate.service === service && candidate.actions.includes(action),
  );
  if (!integration) {
    const known = integrations
      .filter((candidate) => candidate.service === service)
      .flatMap((candidate) => candidate.actions);
    const hint = known.length
      ? `; service ${service} supports ${known.join(', ')}`
      : `; no integration is registered for service ${service}`;
    throw new InvalidDefinitionError(`${where}: Resource "${resource}" is not supported by the local engine${hint}`);
  }
  return { integration, resource, service, action };
}
