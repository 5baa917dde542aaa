import { type StatesError, StatesErrors } from '../../errors';
import type { ContextObject, Json } from '../../types';
import { jsonataItems, jsonataNumber, jsonataScope, jsonataSelectItem } from '../jsonata-io';
import type { BranchOutcome } from '../redrive';
import { asFailure, childController, type Frame, type GraphRunner, Halt, record } from '../runtime';
import { readItems, readMaxConcurrency, selectItem } from '../state-fields';
import type { StateNode } from '../state-graph';
import { VariableScope } from '../variables';
import { runPump } from './pump';

/**
 * Runs an inline Map state: one iteration of the item processor per item, in this execution,
 * at most MaxConcurrency at once; the first failure aborts the other iterations. Returns the
 * iterations' outputs in item order (before ResultSelector/ResultPath).
 */
export async function runInlineMap(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  frame: Frame,
  runGraph: GraphRunner,
): Promise<Json> {
  // Read before the first await: only the attempt a redrive enters reruns the unfinished iterations.
  const redrive = frame.redrive?.kind === 'branches' ? frame.redrive.outcomes : undefined;
  const scope = frame.scope;
  let items: Json[];
  let declared: number;
  if (node.jsonata) {
    // docs: state-map.html, a JSONata Map reads Items (default: the input); MaxConcurrency may be an expression.
    const expressions = jsonataScope(frame, context, { input: effective });
    items = await jsonataItems(node, expressions, effective);
    const nonNegative = (v: number): boolean => Number.isInteger(v) && v >= 0;
    declared =
      (await jsonataNumber(
        node.raw.MaxConcurrency,
        'MaxConcurrency',
        expressions,
        nonNegative,
        'a non-negative integer',
      )) ?? 0;
  } else {
    items = readItems(node, effective, context);
    declared = readMaxConcurrency(node, effective, context);
  }
  const limit = declared === 0 ? scope.env.maxInlineConcurrency : declared;
  record(scope, 'MapStateStarted', { length: items.length });
  const results = new Array<Json>(items.length);
  const { controller, release } = childController(frame);
  const signal = controller.signal;
  const processor = node.processor!;
  const outcomes: BranchOutcome[] = new Array(items.length);
  let nextIndex = 0;
  let failure: StatesError | Halt | undefined;

  const fail = (index: number, error: unknown): void => {
    const narrowed = asFailure(error);
    if (!failure) {
      failure = narrowed;
      if (!(narrowed instanceof Halt)) record(scope, 'MapIterationFailed', { name: node.name, index });
      controller.abort(new Halt('ABORTED', StatesErrors.BranchFailed, 'another iteration failed'));
    }
  };

  await runPump<Json>({
    limit,
    halted: () => failure !== undefined,
    next: () => {
      let index = nextIndex++;
      // docs: redrive-executions.html, a redrive reruns only the iterations that failed or were aborted.
      for (; index < items.length; index = nextIndex++) {
        const last = redrive?.[index];
        if (!last || !('output' in last)) break;
        results[index] = last.output;
        outcomes[index] = last;
      }
      if (index >= items.length) return undefined;
      const last = redrive?.[index];
      const resume = last && 'resume' in last ? last.resume : undefined;
      // Each iteration keeps variables of its own and reads those around the Map state.
      const iterationFrame: Frame = {
        scope,
        signal,
        variables: resume?.variables ?? new VariableScope(frame.variables),
      };
      return {
        run: () => {
          record(scope, 'MapIterationStarted', { name: node.name, index });
          const value = items[index]!;
          const item = { Item: { Index: index, Value: value } };
          if (resume) return runGraph(processor, resume.input, iterationFrame, item, resume);
          if (node.jsonata) {
            return Promise.resolve(jsonataSelectItem(node, frame, context, effective, index, value)).then(
              (iterationInput) => runGraph(processor, iterationInput, iterationFrame, item),
            );
          }
          const iterationInput = selectItem(node, effective, context, index, value, scope.env.random);
          return runGraph(processor, iterationInput, iterationFrame, item);
        },
        succeeded: (output) => {
          outcomes[index] = { output };
          if (failure) return;
          results[index] = output;
          record(scope, 'MapIterationSucceeded', { name: node.name, index });
        },
        failed: (error) => {
          if (iterationFrame.failedAt) outcomes[index] = { resume: iterationFrame.failedAt };
          fail(index, error);
        },
      };
    },
  }).finally(release);

  if (failure) {
    frame.innerResume = { kind: 'branches', outcomes };
    if (failure instanceof Halt && frame.signal.aborted) throw frame.signal.reason;
    record(scope, 'MapStateFailed');
    throw failure;
  }
  record(scope, 'MapStateSucceeded');
  return results;
}
