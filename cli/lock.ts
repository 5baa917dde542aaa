import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from '../local/cloud';

/**
 * A run's lock file, `<dir>/runs/<runId>.lock`: present while a `fanout run` (or `fanout
 * retry`) process follows one of the run's executions, so that another process can reach the
 * local cloud that runs it (`fanout cancel`).
 */
export interface RunLock {
  /** The process that runs the local cloud. */
  pid: number;
  /** Its Step Functions endpoint. */
  endpoint: string;
  /**
   * Its DynamoDB endpoint: while the run holds the state folder, the ledger is read through it
   * (the database files are that process's alone).
   */
  ledgerEndpoint?: string;
  /** Its Batch endpoint: how many of the run's jobs run now (`fanout status` while the run goes on). */
  batchEndpoint?: string;
  /** The key pair its endpoints accept; the lock file, like everything in the state folder, is the owner's only. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  executionArn: string;
}

const lockPath = (dir: string, runId: string) => join(dir, 'runs', `${runId}.lock`);

/** Writes the run's lock file. */
/** The lock of an execution this process follows on `cloud`: its pid, endpoints and key pair. */
export function runLockOf(cloud: LocalCloud, executionArn: string): RunLock {
  return {
    pid: process.pid,
    endpoint: cloud.endpoints.stepfunctions,
    ledgerEndpoint: cloud.endpoints.dynamodb,
    batchEndpoint: cloud.endpoints.batch,
    credentials: cloud.credentials,
    region: cloud.region,
    executionArn,
  };
}

export function writeRunLock(dir: string, runId: string, lock: RunLock): void {
  mkdirSync(join(dir, 'runs'), { recursive: true, mode: 0o700 });
  // It holds the local cloud's secret key: owner-only whatever the umask.
  writeFileSync(lockPath(dir, runId), `${JSON.stringify(lock)}\n`, { mode: 0o600 });
}

/** The run's lock, or undefined when no process follows the run. */
export function readRunLock(dir: string, runId: string): RunLock | undefined {
  try {
    return JSON.parse(readFileSync(lockPath(dir, runId), 'utf8')) as RunLock;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes the run's lock if it is still the one for `executionArn` (a later execution's lock stays). */
export function removeRunLock(dir: string, runId: string, executionArn?: string): void {
  const lock = readRunLock(dir, runId);
  if (!lock || (executionArn !== undefined && lock.executionArn !== executionArn)) return;
  rmSync(lockPath(dir, runId), { force: true });
}

/** True when a process with this pid exists (signal 0 only checks). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
