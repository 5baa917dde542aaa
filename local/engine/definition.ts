import { InvalidDefinitionError } from './errors';
import { validateAsl } from './private/asl-validation';
import { compileDefinition } from './private/compile';
import { checkFieldValues, relaxForSchema } from './private/field-values';
import { checkQueryLanguages } from './private/query-language';
import type { Graph, RawMachine } from './private/state-graph';
import type { TaskIntegration } from './types';

/** A definition ready to run: its graph of states, its execution timeout and the JSON it came from. */
export interface LoadedDefinition {
  graph: Graph;
  timeoutSeconds?: number | undefined;
  raw: RawMachine;
}

/**
 * Parses and checks a definition: JSON, Amazon States Language (asl-validator's checks, its
 * schemas precompiled), then the local engine's rules (resources must resolve to a registered
 * integration, unsupported features are refused with the state and field named).
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
  checkQueryLanguages(machine);
  const fieldProblem = checkFieldValues(machine, '');
  if (fieldProblem) throw new InvalidDefinitionError(`Invalid State Machine Definition: ${fieldProblem}`);
  const problems = checkAsl(text, raw);
  if (problems) throw new InvalidDefinitionError(`Invalid State Machine Definition: ${problems}`);
  const graph = compileDefinition(machine, integrations);
  return { graph, timeoutSeconds: machine.TimeoutSeconds, raw: machine };
}

/**
 * Verdicts are remembered per definition text: the same ASL file is usually loaded many times per
 * process, and the checks walk the whole definition several times.
 */
const validatedTexts = new Map<string, string>();
const VALIDATION_CACHE_SIZE = 256;

function checkAsl(text: string, raw: unknown): string {
  const known = validatedTexts.get(text);
  if (known !== undefined) return known;
  // The checks write a default QueryLanguage into every state they visit; give them a copy.
  const copy = structuredClone(raw) as Record<string, unknown>;
  relaxForSchema(copy);
  const problems = validateAsl(copy)
    .map((problem) => `${problem['Error code']}: ${problem.Message}`)
    .join('; ');
  if (validatedTexts.size >= VALIDATION_CACHE_SIZE) validatedTexts.delete(validatedTexts.keys().next().value!);
  validatedTexts.set(text, problems);
  return problems;
}
