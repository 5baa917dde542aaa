import { type FailureDetails, StatesError, StatesErrors } from '../../errors';
import type { ContextObject, Json } from '../../types';
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
import { readLimit, readMaxConcurrency, readNumber } from '../state-fields';
import type { StateNode, WriterConfig } from '../state-graph';
import { VariableScope } from '../variables';
import { type ChildInput, ChildInputs, readBatchConfig } from './child-inputs';
import { ABORTED, FAILED, SUCCEEDED, TIMED_OUT } from './child-status';
import { openItemSource } from './item-reader';
import { MapRun } from './map-run';
import { OutputCollector } from './output-collector';
import { type PumpJob, runPump } from './pump';
import { EXPORT_DEFAULT, type ResultFormat, readWriterTarget, writeResults } from './result-writer';

/** Children started in one event-loop turn before the Map Run yields. */
const SYNC_CHILDREN_PER_TURN = 2000;

/**
 * Runs a Distributed Map state (docs: state-map-distributed.html): starts one child execution
 * per item (or batch) as concurrency allows, applies the tolerated failure threshold, writes
 * results with ResultWriter, and returns the Map's result (before ResultSelector/ResultPath).
 * `runGraph` runs each child's item processor.
 */
export async function runDistributedMap(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  frame: Frame,
  runGraph: GraphRunner,
): Promise<Json> {
  // A redrive of a Map state whose Map Run failed or was aborted redrives that Map Run; when none
  // was started, a new one starts (docs: redrive-map-run.html).
  const redriven = frame.redrive?.kind === 'mapRun' ? (frame.redrive.run as MapRun) : undefined;
  const started: { run?: MapRun } = redriven ? { run: redriven } : {};
  try {
    return await runMapRun(node, effective, context, frame, runGraph, redriven, started);
  } catch (error) {
    // What the next redrive of this state redrives, once a Map Run exists.
    if (started.run) frame.innerResume = { kind: 'mapRun', run: started.run };
    throw error;
  }
}

/** Starts a Map Run, or redrives `redriven`, and runs it to its end; `started.run` is set once the Map Run exists. */
async function runMapRun(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  frame: Frame,
  runGraph: GraphRunner,
  redriven: MapRun | undefined,
  started: { run?: MapRun },
): Promise<Json> {
  const scope = frame.scope;
  const env = scope.env;
  const raw = node.raw;
  const distributed = node.distributed!;
  const run =
    redriven ??
    new MapRun(
      env,
      scope.executionArn,
      scope.stateMachineName,
      distributed.label,
      env.newUuid(),
      distributed.executionType,
    );
  run.roleArn = scope.execution.RoleArn;
  // Starting the children is the Map's own StartExecution of this state machine, with its role.
  const denial = env.authorize({
    roleArn: scope.execution.RoleArn,
    action: 'states:StartExecution',
    resource: scope.stateMachineArn,
  });
  if (denial !== undefined) throw new StatesError(StatesErrors.Runtime, denial);

  run.maxConcurrency = readMaxConcurrency(node, effective, context);
  const percentage =
    raw.ToleratedFailurePercentagePath !== undefined
      ? readNumber(
          raw.ToleratedFailurePercentagePath,
          effective,
          context,
          'ToleratedFailurePercentagePath',
          (v) => v >= 0 && v <= 100,
          'a number from 0 to 100',
        )
      : raw.ToleratedFailurePercentage;
  const count = readLimit(
    raw.ToleratedFailureCount,
    raw.ToleratedFailureCountPath,
    'ToleratedFailureCount',
    effective,
    context,
  );
  run.toleratedFailurePercentage = percentage;
  run.toleratedFailureCount = count;
  const batch = readBatchConfig(node, effective, context, env.random);
  // Resource and Parameters export the results to Amazon S3; WriterConfig alone shapes the state
  // output (docs: input-output-resultwriter.html, "Required field combinations").
  const writer = raw.ResultWriter?.Resource !== undefined ? readWriterTarget(node, effective, context) : undefined;
  const format = readResultFormat(raw.ResultWriter?.WriterConfig, writer !== undefined);

  const source = await openItemSource(node, effective, context, env.objectStore);
  run.totalItems = source.total;
  const inputs = new ChildInputs(node, source, effective, context, env.random, batch);
  const collector = writer ? undefined : new OutputCollector(format.transformation);
  let rerun: number[] = [];
  if (redriven) {
    // Redriving STANDARD children is the Map's own RedriveExecution of them, with its role (iam-policies-eg-dist-map.html).
    const first = run.unsuccessfulChildren()[0];
    if (run.executionType === 'STANDARD' && first !== undefined) {
      const refused = env.authorize({
        roleArn: scope.execution.RoleArn,
        action: 'states:RedriveExecution',
        resource: run.childArn(first),
      });
      if (refused !== undefined) throw new StatesError(StatesErrors.Runtime, refused);
    }
    rerun = run.beginRedrive();
    record(scope, 'MapRunRedriven', { mapRunArn: run.mapRunArn, redriveCount: run.redriveCount });
    // The items started before are not read again; the successful children's outputs are kept.
    inputs.skip(run.startedItems);
    if (collector) {
      for (let index = 0; index < run.childCount; index++) {
        if (run.statusCode(index) !== SUCCEEDED) continue;
        collector.add(index, run.describeChild(index).output ?? 'null', run.log.read(run.logPosition(index)));
      }
    }
  } else {
    env.registerMapRun(run);
    scope.mapRuns.push(run);
    started.run = run;
    record(scope, 'MapRunStarted', { mapRunArn: run.mapRunArn });
  }
  return finishMapRun(run, node, inputs, frame, collector, runGraph, rerun, writer, format);
}

/** Runs the children, writes the results, records how the Map Run ended and returns the Map's result. */
async function finishMapRun(
  run: MapRun,
  node: StateNode,
  inputs: ChildInputs,
  frame: Frame,
  collector: OutputCollector | undefined,
  runGraph: GraphRunner,
  rerun: number[],
  writer: ReturnType<typeof readWriterTarget> | undefined,
  format: ResultFormat,
): Promise<Json> {
  const scope = frame.scope;
  const outcome = await driveChildren(run, node, inputs, frame, collector, runGraph, rerun).finally(() => {
    run.endRedrive();
    run.log.seal();
  });

  run.stopDate = scope.env.clock.now();
  if (outcome.kind === 'stopped') {
    run.status = 'ABORTED';
    record(scope, 'MapRunAborted');
    throw outcome.reason;
  }
  let failure: StatesError | undefined = outcome.kind === 'failed' ? outcome.error : undefined;
  run.status = failure ? 'FAILED' : 'SUCCEEDED';

  let result: Json = null;
  if (writer) {
    try {
      const pending = failure ? inputs.pending(run.startedItems) : undefined;
      result = await writeResults(run, writer, pending, format);
    } catch (error) {
      const narrowed = asFailure(error);
      failure ??= new StatesError(
        StatesErrors.ResultWriterFailed,
        narrowed instanceof StatesError ? `${narrowed.error}: ${narrowed.cause}` : narrowed.message,
      );
      run.status = 'FAILED';
    }
  } else if (!failure) {
    result = collector!.result();
  }
  if (failure) {
    record(scope, 'MapRunFailed', { error: failure.error, cause: failure.cause });
    throw failure;
  }
  record(scope, 'MapRunSucceeded');
  return result;
}

/**
 * The WriterConfig in effect: as declared, else NONE as JSON for an export to Amazon S3 and
 * COMPACT for the state output (docs: input-output-resultwriter.html, Transformation).
 */
function readResultFormat(config: WriterConfig | undefined, exportsToS3: boolean): ResultFormat {
  if (config?.Transformation !== undefined && config.OutputType !== undefined) {
    return { transformation: config.Transformation, outputType: config.OutputType };
  }
  return exportsToS3 ? EXPORT_DEFAULT : { transformation: 'COMPACT', outputType: 'JSON' };
}

/** How the children ended. */
type DriveOutcome = { kind: 'done' } | { kind: 'failed'; error: StatesError } | { kind: 'stopped'; reason: unknown };

/**
 * Runs the Map Run's children, at most MaxConcurrency at once (`maxChildConcurrency` when it is
 * 0), until every item started and ended, or the Map Run fails (threshold exceeded, result too
 * large, unreadable item), or the parent execution stops. Children in flight are aborted on a
 * failure or a stop.
 */
function driveChildren(
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
    const entry = run.finishChild(index, scope, status, outputText, details);
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

  const settle = (index: number, scope: ExecutionScope, error: unknown, billedBefore: number): void => {
    const narrowed = asFailure(error);
    if (narrowed instanceof Halt)
      complete(index, scope, narrowed.status === 'FAILED' ? FAILED : ABORTED, null, billedBefore, narrowed);
    else complete(index, scope, FAILED, null, billedBefore, narrowed);
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
        run.keepForRedrive(index, { scope, resume: childFrame.failedAt });
        settle(index, scope, error, billedBefore);
      },
    };
  };

  /**
   * Reruns an unsuccessful child (redrive-map-run.html): a STANDARD child is redriven (same ARN,
   * `ExecutionRedriven` in its history, from the state it stopped in); an EXPRESS child runs again
   * from the start.
   */
  const redriveChild = (index: number): PumpJob<Json> => {
    const kept = run.restartChild(index);
    parent.transitions++;
    const redriveCount = run.childRedriveCount(index);
    if (run.executionType === 'EXPRESS') {
      const scope = childScope(index, kept.scope.execution.Input);
      scope.execution.RedriveCount = redriveCount;
      return childJob(index, scope, () => recordStart(scope), undefined, 0);
    }
    const scope = kept.scope;
    scope.execution.RedriveCount = redriveCount;
    const begin = (): void => record(scope, 'ExecutionRedriven', { redriveCount });
    return childJob(index, scope, begin, kept.resume, run.transitionsOf(index));
  };

  let rerunAt = 0;
  if (frame.signal.aborted) onParentStop();
  return runPump<Json>({
    limit,
    yieldEvery: SYNC_CHILDREN_PER_TURN,
    halted: () => failure !== undefined || stopped,
    next: () => {
      if (rerunAt < rerun.length) return redriveChild(rerun[rerunAt++]!);
      let next: ChildInput | undefined;
      try {
        next = inputs.next();
      } catch (error) {
        const narrowed = asFailure(error);
        failRun(narrowed instanceof StatesError ? narrowed : new StatesError(StatesErrors.Runtime, narrowed.message));
        return undefined;
      }
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
