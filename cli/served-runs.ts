import type { DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { LocalCloud } from '../local/cloud';
import type { ExecutionDescription } from '../local/engine/types';
import { type RunRecord, writeRunRecord } from '../run/record';
import { removeRunLock, runLockOf, writeRunLock } from './lock';
import { runOfExecution } from './targets/aws';
import { executionRecord } from './targets/target';

/**
 * The file names a served execution's lock and record may take (`<dir>/runs/<name>.json`): an
 * execution name or run id as Step Functions and Prepare accept them, never a path.
 */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;

/** Where one served execution's lock and record go, or undefined for another state machine's. */
export interface ServedRunNames {
  runId: string;
  path: RunRecord['path'];
  retryOf?: string;
  /** `<dir>/runs/<recordName>.json`: the run id for a run's own or resumed execution, the execution name for a retry. */
  recordName: string;
}

/**
 * Names a served execution's run and record as `fanout run`, `retry` and `resume` name theirs:
 * the run from the input (`retryOf`, `resumeOf`, `runId`, else the execution name, as Prepare
 * decides), the record after the run, or after the execution for a retry. Undefined for an
 * execution of any other state machine, and when a name could not be a file name (Prepare
 * refuses such a run id anyway).
 * @example servedRunNames(description, { map: cloud.mapStateMachineArn, array: cloud.arrayStateMachineArn })
 */
export function servedRunNames(
  execution: Pick<ExecutionDescription, 'stateMachineArn' | 'name' | 'input'>,
  machines: { map: string; array: string },
): ServedRunNames | undefined {
  const path =
    execution.stateMachineArn === machines.map
      ? 'map'
      : execution.stateMachineArn === machines.array
        ? 'array'
        : undefined;
  if (!path) return undefined;
  const run = runOfExecution(execution);
  const recordName = run.retryOf ? execution.name : run.runId;
  if (!SAFE_NAME.test(run.runId) || !SAFE_NAME.test(recordName)) return undefined;
  return { runId: run.runId, path, recordName, ...(run.retryOf ? { retryOf: run.retryOf } : {}) };
}

/** The record of an ended execution of the local engine, in the shape `fanout run` keeps. */
export function servedRunRecord(execution: ExecutionDescription, names: ServedRunNames): RunRecord {
  const described = {
    $metadata: {},
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: new Date(execution.startDate),
    ...(execution.stopDate === undefined ? {} : { stopDate: new Date(execution.stopDate) }),
    input: execution.input,
    ...(execution.output === undefined ? {} : { output: execution.output }),
    ...(execution.error === undefined ? {} : { error: execution.error }),
    ...(execution.cause === undefined ? {} : { cause: execution.cause }),
  } as DescribeExecutionCommandOutput;
  const { runId, path, retryOf } = names;
  return executionRecord(described, { runId, path, ...(retryOf ? { retryOf } : {}) }, execution.stateTransitions);
}

/** What `fanout local serve` does with the executions started through its endpoint. */
export interface ServedRunKeeper {
  /** Follows an execution StartExecution or RedriveExecution set running; see {@link keepServedRuns}. */
  follow(executionArn: string): void;
  /** Stops the executions still running (the cloud is about to stop) and waits for their records. */
  stopAll(cause: string): Promise<void>;
}

/**
 * Keeps a run record for every execution of the fanout state machines started through the
 * served endpoint, as `fanout run` keeps one: while it runs, the run's lock file
 * (`<dir>/runs/<runId>.lock`, which `fanout cancel`, `status` and `list` read); once it ends,
 * `<dir>/runs/<recordName>.json`. `report` is told of a failure to write a record.
 */
export function keepServedRuns(cloud: LocalCloud, report: (message: string) => void): ServedRunKeeper {
  const machines = { map: cloud.mapStateMachineArn, array: cloud.arrayStateMachineArn };
  const followed = new Map<string, Promise<void>>();
  const follow = (executionArn: string) => {
    if (followed.has(executionArn)) return;
    const names = servedRunNames(cloud.engine.describeExecution(executionArn), machines);
    if (!names) return;
    writeRunLock(cloud.dir, names.runId, runLockOf(cloud, executionArn));
    const ended = cloud.engine
      .waitForExecution(executionArn)
      .then((execution) => {
        writeRunRecord(cloud.dir, servedRunRecord(execution, names), names.recordName);
        removeRunLock(cloud.dir, names.runId, executionArn);
      })
      .catch((error: unknown) => report(`the record of ${executionArn} was not kept: ${(error as Error).message}`))
      .finally(() => followed.delete(executionArn));
    followed.set(executionArn, ended);
  };
  return {
    follow(executionArn) {
      try {
        follow(executionArn);
      } catch (error) {
        report(`the record of ${executionArn} will not be kept: ${(error as Error).message}`);
      }
    },
    async stopAll(cause) {
      const running = [...followed];
      for (const [executionArn] of running) {
        try {
          cloud.engine.stopExecution(executionArn, { error: 'Fanout.ServeStopped', cause });
        } catch {
          // It ended meanwhile: its record is being written.
        }
      }
      await Promise.all(running.map(([, ended]) => ended));
    },
  };
}
