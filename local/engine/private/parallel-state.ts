import { type StatesError, StatesErrors } from '../errors';
import { applyInputPath, renderJsonata, renderPayloadTemplate } from '../expressions';
import type { Json } from '../types';
import { jsonataScope } from './jsonata-io';
import type { BranchOutcome } from './redrive';
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
  // Read before the first await: only the attempt a redrive enters reruns the unfinished branches.
  const redrive = frame.redrive?.kind === 'branches' ? frame.redrive.outcomes : undefined;
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
  const outcomes: BranchOutcome[] = [];
  const results = await Promise.all(
    node.branches!.map(async (branch, index) => {
      const last = redrive?.[index];
      // docs: redrive-executions.html, a redrive reruns only the branches that failed or were aborted.
      if (last && 'output' in last) {
        outcomes[index] = last;
        return last.output;
      }
      const resume = last?.resume;
      // Each branch keeps variables of its own and reads those around the Parallel state.
      const own: Frame = { ...branchFrame, variables: resume?.variables ?? new VariableScope(frame.variables) };
      try {
        const output = await runGraph(branch, branchInput, own, undefined, resume);
        outcomes[index] = { output };
        return output;
      } catch (error) {
        if (own.failedAt) outcomes[index] = { resume: own.failedAt };
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
    frame.innerResume = { kind: 'branches', outcomes };
    if (firstFailure instanceof Halt && frame.signal.aborted) throw frame.signal.reason;
    record(scope, 'ParallelStateFailed');
    throw firstFailure;
  }
  record(scope, 'ParallelStateSucceeded');
  return completeState(node, frame, input, results, context);
}
