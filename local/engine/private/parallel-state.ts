import { type StatesError, StatesErrors } from '../errors';
import { applyInputPath, renderJsonata, renderPayloadTemplate } from '../expressions';
import type { Json } from '../types';
import { jsonataScope } from './jsonata-io';
import {
  asFailure,
  childController,
  type Frame,
  type GraphRunner,
  Halt,
  type MapItem,
  record,
  type Step,
} from './runtime';
import { contextFor } from './state-fields';
import type { StateNode } from './state-graph';
import { completeState } from './state-outcome';
import { VariableScope } from './variables';

/** Runs a Parallel state: every branch on the same input; the first failure aborts the others. */
export async function runParallel(
  node: StateNode,
  input: Json,
  frame: Frame,
  item: MapItem | undefined,
  enteredTime: number,
  retryCount: number,
  runGraph: GraphRunner,
): Promise<Step> {
  const raw = node.raw;
  const scope = frame.scope;
  const context = contextFor(frame, node, enteredTime, retryCount, item);
  let branchInput: Json;
  if (node.jsonata) {
    branchInput =
      raw.Arguments !== undefined
        ? await renderJsonata(raw.Arguments, 'Arguments', jsonataScope(frame, context, { input }))
        : input;
  } else {
    const effective = applyInputPath(input, raw.InputPath, context);
    branchInput =
      raw.Parameters !== undefined
        ? renderPayloadTemplate(raw.Parameters, effective, context, 'Parameters', scope.env.random)
        : effective;
  }
  record(scope, 'ParallelStateStarted');
  const { controller, release } = childController(frame);
  const branchFrame: Frame = { scope, signal: controller.signal, variables: frame.variables };
  let firstFailure: StatesError | Halt | undefined;
  const results = await Promise.all(
    node.branches!.map(async (branch) => {
      try {
        // Each branch keeps variables of its own and reads those around the Parallel state.
        return await runGraph(branch, branchInput, { ...branchFrame, variables: new VariableScope(frame.variables) });
      } catch (error) {
        const failure = asFailure(error);
        if (!firstFailure) {
          firstFailure = failure;
          controller.abort(new Halt('ABORTED', StatesErrors.BranchFailed, 'another branch failed'));
        }
        return null;
      }
    }),
  ).finally(release);
  if (firstFailure) {
    if (firstFailure instanceof Halt && frame.signal.aborted) throw frame.signal.reason;
    record(scope, 'ParallelStateFailed');
    throw firstFailure;
  }
  record(scope, 'ParallelStateSucceeded');
  return completeState(node, frame, input, results, context);
}
