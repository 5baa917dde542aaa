import { InvalidDefinitionError, UnsupportedFeatureError } from '../errors';
import { validateErrorEquals } from '../expressions';
import type { TaskIntegration } from '../types';
import { checkStateExpressions } from './expression-checks';
import { checkStatesMembers } from './jsonata-checks';
import { checkItemReader, checkResultWriter } from './map-io-checks';
import { checkLanguageFields, type QueryLanguage, readQueryLanguage, stateLanguage } from './query-language';
import type { Graph, RawMachine, RawState, ResolvedTask, StateNode } from './state-graph';
import { checkVariables } from './variable-checks';

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

interface Scope {
  path: string;
  insideExpress: boolean;
  /** The state machine's QueryLanguage, which every state without its own uses. */
  language: QueryLanguage;
}

/**
 * Builds the graph of states of a checked definition: Task resources resolved against the
 * integrations, branches and item processors compiled, unsupported features refused.
 */
export function compileDefinition(machine: RawMachine, integrations: readonly TaskIntegration[]): Graph {
  const language = readQueryLanguage(machine.QueryLanguage, 'the state machine') ?? 'JSONPath';
  const graph = compileGraph(machine, integrations, { path: '', insideExpress: false, language });
  checkVariables(machine, language);
  return graph;
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
  const language = stateLanguage(where, raw, scope.language);
  if (raw.Credentials !== undefined) {
    throw new UnsupportedFeatureError(
      `${where}: field Credentials is not supported by the local engine (cross-account access is not implemented)`,
    );
  }
  checkLanguageFields(where, raw, language);
  const node: StateNode = {
    name,
    type: raw.Type,
    raw,
    next: raw.Next,
    retry: raw.Retry ?? [],
    catch: raw.Catch ?? [],
    jsonata: language === 'JSONata',
  };
  if (language === 'JSONPath') checkStateExpressions(where, raw);
  else checkStatesMembers(where, raw);
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
      language: scope.language,
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
