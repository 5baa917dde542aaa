import { type FailureDetails, StatesError, StatesErrors } from '../../errors';
import type { Json } from '../../types';
import { JsonText } from '../history';
import type { ResumePoint } from '../redrive';
import {
  asFailure,
  type ExecutionScope,
  type Frame,
  failureDetails,
  type GraphRunner,
  Halt,
  isoDate,
  PAYLOAD_LIMIT_BYTES,
  record,
} from '../runtime';
import type { StateNode } from '../state-graph';
import { VariableScope } from '../variables';
import type { ChildInput, ChildInputs } from './child-inputs';
import { ABORTED, FAILED, SUCCEEDED, TIMED_OUT } from './child-status';
import type { MapRun } from './map-run';
import type { OutputCollector } from './output-collector';
import { type PumpJob, runPump } from './pump';

/** Children started in one event-loop turn before the Map Run yields. */
const SYNC_CHILDREN_PER_TURN = 2000;

/** How the children ended. */
export type DriveOutcome =
  | { kind: 'done' }
  | { kind: 'failed'; error: StatesError }
  | { kind: 'stopped'; reason: unknown };

/**
 * Runs the Map Run's children, at most MaxConcurrency at once (`maxChildConcurrency` when it is
 * 0), until every item started and ended, or the Map Run fails (threshold exceeded, result too
 * large, unreadable item), or the parent execution stops. Children in flight are aborted on a
 * failure or a stop.
 */
export function driveChildren(
  run: MapRun,
  node: StateNode,
  inputs: ChildInputs,
  frame: Frame,
  collector: OutputCollector | undefined,
  runGraph: GraphRunner,
  rerun: readonly number[],
): Promise<DriveOutcome> {
  const parent = frame.scope;
  const processor = node.processor!;
  const limit = run.maxConcurrency === 0 ? parent.env.maxChildConcurrency : run.maxConcurrency;
  let failure: StatesError | undefined;
  let stopped = false;

  const onParentStop = (): void => {
    stopped = true;
    for (const child of run.inflight.values()) child.controller.abort(frame.signal.reason);
  };
  frame.signal.addEventListener('abort', onParentStop, { once: true });

  const failRun = (error: StatesError): void => {
    if (failure) return;
    failure = error;
    const halt = new Halt('ABORTED', error.error, `Map Run ${run.mapRunArn} failed`);
    for (const child of run.inflight.values()) child.controller.abort(halt);
  };

  /** Records a child's end and applies what it means for the Map Run: result size, failure threshold. */
  const complete = (
    index: number,
    scope: ExecutionScope,
    status: number,
    output: Json,
    billedBefore: number,
    error?: StatesError | Halt,
    resume?: ResumePoint,
  ): void => {
    let details: FailureDetails | undefined;
    let outputText: string | undefined;
    if (error) {
      details = failureDetails(error);
      if (status === ABORTED) record(scope, 'ExecutionAborted', { ...details });
      else record(scope, status === TIMED_OUT ? 'ExecutionTimedOut' : 'ExecutionFailed', { ...details });
    } else {
      outputText = JSON.stringify(output);
      record(scope, 'ExecutionSucceeded', { output: new JsonText(output), outputDetails: { truncated: false } });
    }
    const entry = run.finishChild(index, scope, status, outputText, details, resume);
    parent.transitions += scope.transitions - billedBefore;
    if (run.logError && !failure) {
      failRun(
        new StatesError(
          StatesErrors.Runtime,
          `The Map Run ${run.mapRunArn} could not record its children in its spill file: ${run.logError.message}`,
        ),
      );
      return;
    }
    if (collector && !failure) {
      if (!collector.add(index, outputText, entry)) {
        failRun(
          new StatesError(
            StatesErrors.DataLimitExceeded,
            `The result of the Distributed Map state '${node.name}' (the outputs of its child executions) exceeded the maximum of ${PAYLOAD_LIMIT_BYTES} bytes` +
              ` after ${run.executions.succeeded + run.executions.failed + run.executions.timedOut + run.executions.aborted} of ${run.totalItems} items; use a ResultWriter to export large results to Amazon S3.`,
          ),
        );
        return;
      }
    }
    if (!failure && (status === FAILED || status === TIMED_OUT) && run.thresholdExceeded()) {
      const failed = run.items.failed + run.items.timedOut;
      failRun(
        new StatesError(
          StatesErrors.ExceedToleratedFailureThreshold,
          `The Map Run ${run.mapRunArn} failed because ${failed} of ${run.totalItems} items failed, which exceeds the tolerated failure threshold` +
            ` (ToleratedFailureCount ${run.toleratedFailureCount ?? 'not set'}, ToleratedFailurePercentage ${run.toleratedFailurePercentage ?? 'not set'}).`,
        ),
      );
    }
  };

  /** Records an unsuccessful child's end, with where a redrive continues it. */
  const settle = (
    index: number,
    scope: ExecutionScope,
    error: unknown,
    billedBefore: number,
    resume: ResumePoint | undefined,
  ): void => {
    const narrowed = asFailure(error);
    const status = narrowed instanceof Halt && narrowed.status !== 'FAILED' ? ABORTED : FAILED;
    complete(index, scope, status, null, billedBefore, narrowed, resume);
  };

  /** A child's scope before its first state: its context object and an empty history. */
  const childScope = (index: number, input: Json): ExecutionScope => {
    const arn = run.childArn(index);
    return {
      env: parent.env,
      executionArn: arn,
      stateMachineArn: run.childStateMachineArn,
      stateMachineName: run.childStateMachineName,
      execution: {
        Id: arn,
        Name: run.childName(index),
        Input: input,
        StartTime: isoDate(run.startDateOf(index)),
        RoleArn: parent.execution.RoleArn,
        RedriveCount: 0,
      },
      history: [],
      transitions: 0,
      mapRuns: [],
    };
  };

  const recordStart = (scope: ExecutionScope): void =>
    record(scope, 'ExecutionStarted', {
      input: new JsonText(scope.execution.Input),
      inputDetails: { truncated: false },
      roleArn: parent.execution.RoleArn,
    });

  /** Registers a child, records its start, and returns its scope. One transition per child started (pricing). */
  const startChild = ({ input, items }: ChildInput): { index: number; scope: ExecutionScope } => {
    const index = run.addChild(items);
    parent.transitions++;
    const scope = childScope(index, input);
    recordStart(scope);
    return { index, scope };
  };

  /** The pump's job for one child; an unsuccessful one is kept for a redrive, with where it stopped. */
  const childJob = (
    index: number,
    scope: ExecutionScope,
    begin: () => void,
    resume: ResumePoint | undefined,
    billedBefore: number,
  ): PumpJob<Json> => {
    const controller = new AbortController();
    // A child execution cannot read the parent's variables (docs: workflow-variables.html).
    const childFrame: Frame = {
      scope,
      signal: controller.signal,
      variables: resume?.variables ?? new VariableScope(),
    };
    return {
      run: () => {
        begin();
        const outcome = runGraph(processor, scope.execution.Input, childFrame, undefined, resume);
        // Only a child waiting on an asynchronous state can be observed, stopped or aborted.
        if (outcome instanceof Promise) run.inflight.set(index, { controller, scope });
        return outcome;
      },
      succeeded: (output) => {
        run.inflight.delete(index);
        complete(index, scope, SUCCEEDED, output, billedBefore);
      },
      failed: (error) => {
        run.inflight.delete(index);
        settle(index, scope, error, billedBefore, childFrame.failedAt);
      },
    };
  };

  /**
   * Reruns an unsuccessful child (redrive-map-run.html): a STANDARD child is redriven (same ARN,
   * `ExecutionRedriven` in its history, from the state it stopped in); an EXPRESS child runs again
   * from the start.
   */
  const redriveChild = (index: number): PumpJob<Json> => {
    const stopped = run.restartChild(index);
    parent.transitions++;
    const redriveCount = run.childRedriveCount(index);
    const scope = childScope(index, stopped.input);
    scope.execution.RedriveCount = redriveCount;
    if (run.executionType === 'EXPRESS') return childJob(index, scope, () => recordStart(scope), undefined, 0);
    // The history continues: complete for a recent failure, else its rebuilt start and end events.
    scope.history = stopped.history;
    scope.transitions = stopped.transitions;
    const begin = (): void => record(scope, 'ExecutionRedriven', { redriveCount });
    return childJob(index, scope, begin, stopped.resume, stopped.transitions);
  };

  let rerunAt = 0;
  if (frame.signal.aborted) onParentStop();
  return runPump<Json>({
    limit,
    yieldEvery: SYNC_CHILDREN_PER_TURN,
    halted: () => failure !== undefined || stopped,
    next: () => {
      if (rerunAt < rerun.length) return redriveChild(rerun[rerunAt++]!);
      let next: ChildInput | undefined | Promise<void>;
      try {
        next = inputs.next();
      } catch (error) {
        const narrowed = asFailure(error);
        failRun(narrowed instanceof StatesError ? narrowed : new StatesError(StatesErrors.Runtime, narrowed.message));
        return undefined;
      }
      // A JSONata ItemSelector is still selecting the next input.
      if (next instanceof Promise) return next;
      if (!next) return undefined;
      const { index, scope } = startChild(next);
      return childJob(index, scope, () => undefined, undefined, 0);
    },
  }).then((): DriveOutcome => {
    frame.signal.removeEventListener('abort', onParentStop);
    if (stopped || frame.signal.aborted) return { kind: 'stopped', reason: frame.signal.reason };
    return failure ? { kind: 'failed', error: failure } : { kind: 'done' };
  });
}
