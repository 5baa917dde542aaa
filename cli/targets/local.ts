import { logFileFor } from '../../local/batch';
import type { LocalCloud } from '../../local/cloud';
import { writeRunRecord } from '../../run';
import { removeRunLock, runLockOf, writeRunLock } from '../lock';
import type { RunLocation } from '../summary';
import type { Target } from './target';

/** Progress polls against the local endpoint are cheap. */
const LOCAL_POLL_INTERVAL_MS = 500;

/**
 * The ledger and logs of a local state directory: job logs are files under it, and `fanout
 * status` finds it again with `--dir` as the user wrote it (`dirText`).
 */
export function localRunLocation(
  ledger: RunLocation['ledger'],
  tableName: string,
  stateDir: string,
  dirText: string,
): RunLocation {
  return {
    ledger,
    tableName,
    logLink: (logStream) => logFileFor(stateDir, logStream),
    statusFlags: `--dir ${dirText}`,
  };
}

/**
 * The local cloud as a target: its clients and resources, run records and lock files under its
 * state directory, billed transitions from the engine itself.
 * @example const target = localTarget(await startLocalCloud({ dir: '.fanout' }), '.fanout');
 */
export function localTarget(cloud: LocalCloud, dirText: string): Target {
  const { sfn, dynamodb, s3, batch } = cloud.clients;
  return {
    where: cloud.dir,
    clients: { sfn, dynamodb, s3, batch },
    names: {
      mapStateMachineArn: cloud.mapStateMachineArn,
      arrayStateMachineArn: cloud.arrayStateMachineArn,
      ledgerTable: cloud.config.ledgerTable,
      bucket: cloud.config.bucket,
      jobQueues: cloud.config.jobQueues.map((queue) => queue.name),
    },
    location: localRunLocation(dynamodb, cloud.config.ledgerTable, cloud.dir, dirText),
    pollIntervalMs: LOCAL_POLL_INTERVAL_MS,
    stateTransitions: async (executionArn) => cloud.engine.describeExecution(executionArn).stateTransitions,
    follow(runId, executionArn) {
      // Lets `fanout cancel` in another process find this execution while it runs.
      writeRunLock(cloud.dir, runId, runLockOf(cloud, executionArn));
      return () => removeRunLock(cloud.dir, runId, executionArn);
    },
    keepRecord: (record, name) => writeRunRecord(cloud.dir, record, name),
  };
}
