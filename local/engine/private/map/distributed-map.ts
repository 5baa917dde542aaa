import { StatesError, StatesErrors } from '../../errors';
import type { ContextObject, Json } from '../../types';
import { asFailure, type Frame, type GraphRunner, record } from '../runtime';
import type { StateNode, WriterConfig } from '../state-graph';
import { ChildInputs } from './child-inputs';
import { SUCCEEDED } from './child-status';
import { driveChildren } from './drive-children';
import { openItemSource } from './item-reader';
import { MapRun } from './map-run';
import { OutputCollector } from './output-collector';
import { EXPORT_DEFAULT, type ResultFormat, type WriterTarget, writeResults } from './result-writer';
import { readMapRunSettings } from './run-settings';

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

  // Both query languages read their fields into the same settings (run-settings.ts).
  const settings = await readMapRunSettings(node, effective, context, frame);
  run.maxConcurrency = settings.maxConcurrency;
  run.toleratedFailurePercentage = settings.toleratedFailurePercentage;
  run.toleratedFailureCount = settings.toleratedFailureCount;
  const writer = settings.writer;
  // Resource and Parameters export the results to Amazon S3; WriterConfig alone shapes the state
  // output (docs: input-output-resultwriter.html, "Required field combinations").
  const format = readResultFormat(raw.ResultWriter?.WriterConfig, writer !== undefined);

  const source = await openItemSource(node, settings.origin, env.objectStore);
  run.totalItems = source.total;
  const inputs = new ChildInputs(source, settings.select, settings.batch);
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
  writer: WriterTarget | undefined,
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
      const pending = failure ? await inputs.pending() : undefined;
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
