/**
 * Running a state machine that calls no AWS service: no Task state, no ItemReader, no
 * ResultWriter. Such a definition needs only the Step Functions engine, so `fanout local exec`
 * runs it without starting DynamoDB, S3, SNS or Batch.
 */

// The engine's own modules, not its index, which also exports the S3-backed object store.
import { MemoryObjectStore } from './engine/object-store';
import { createLocalStepFunctions } from './engine/service';
import type { StepFunctionsService } from './engine/types';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Whether a definition may call an AWS service (a Task, or a Distributed Map reading or writing
 * S3), in any scope. Anything it cannot read as a definition counts as needing services, so
 * the full local cloud reports the problem.
 * @example usesAwsServices('{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}') // false
 */
export function usesAwsServices(definition: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch {
    return true;
  }
  return scopeUsesServices(parsed);
}

function scopeUsesServices(scope: unknown): boolean {
  if (!isObject(scope) || !isObject(scope.States)) return true;
  for (const state of Object.values(scope.States)) {
    if (!isObject(state)) return true;
    if (state.Type === 'Task' || state.ItemReader !== undefined || state.ResultWriter !== undefined) return true;
    if (state.Type === 'Parallel') {
      if (!Array.isArray(state.Branches) || state.Branches.some(scopeUsesServices)) return true;
    }
    if (state.Type === 'Map' && scopeUsesServices(state.ItemProcessor ?? state.Iterator)) return true;
  }
  return false;
}

/** The engine alone, for definitions that call no service; `stop` is there to match the local cloud. */
export interface EngineOnly {
  readonly engine: StepFunctionsService;
  stop(): Promise<void>;
}

/**
 * Starts the Step Functions engine with no integration and an in-memory object store.
 * @example const { engine, stop } = startEngineOnly({ region: 'us-east-1', accountId: '123456789012' });
 */
export function startEngineOnly(options: { region: string; accountId: string }): EngineOnly {
  const engine = createLocalStepFunctions({
    integrations: [],
    objectStore: new MemoryObjectStore(),
    region: options.region,
    accountId: options.accountId,
  });
  return { engine, stop: async () => undefined };
}
