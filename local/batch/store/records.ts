/** The records the service keeps: queues and definitions from the configuration, jobs and their attempts. */
import type { KeyValuePair } from '@aws-sdk/client-batch';
import type { JobDefinitionConfig } from '../../../config';
import type { RetryStrategyInput } from '../api/validate';
import type { LaunchedProcess } from '../executor/launcher';
import type { Fifo } from '../private/fifo';
import type { JobStatus, StatusIndex } from './status-index';

export interface QueueState {
  name: string;
  arn: string;
  priority: number;
  computeEnvironments: string[];
  schedulingPolicy?: string;
  runnable: Fifo<JobRecord>;
  /** The queue's jobs and array parents (not array children) by status. */
  byStatus: StatusIndex;
}

export interface DefinitionState {
  name: string;
  arn: string;
  config: JobDefinitionConfig;
  environment: KeyValuePair[];
}

export interface AttemptRecord {
  taskId: string;
  taskArn: string;
  logStreamName: string;
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  reason?: string;
  statusReason?: string;
}

/** Why a running attempt's process is being stopped. */
export type KillReason = 'timeout' | 'terminate' | 'close';

/** A STARTING or RUNNING attempt's hold on the vCPU pool and its process. */
export interface RunState {
  reservedVcpus: number;
  stop: AbortController;
  process?: LaunchedProcess;
  killReason?: KillReason;
  killStatusReason?: string;
  exited: Promise<void>;
  markExited: () => void;
}

export interface ArrayParentState {
  size: number;
  /** Children `<parentId>:<index>` exist (once the parent has left SUBMITTED). */
  expanded: boolean;
  childrenByStatus: StatusIndex;
  sequential: boolean;
  failedChildren: number;
  finishedChildren: number;
}

/** One job as the service keeps it; array children share their parent's arrays and objects. */
export interface JobRecord {
  jobId: string;
  jobArn: string;
  jobName: string;
  queue: QueueState;
  definition: DefinitionState;
  status: JobStatus;
  statusReason?: string;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  parameters: Record<string, string>;
  tags?: Record<string, string>;
  shareIdentifier?: string;
  schedulingPriority?: number;
  propagateTags?: boolean;
  command: string[];
  environment: KeyValuePair[];
  vcpus: number;
  memory: number;
  retryStrategy: RetryStrategyInput;
  timeoutSeconds?: number;
  attempts: AttemptRecord[];
  /** Set to undefined (not deleted) when the attempt ends. */
  run?: RunState | undefined;
  dependsOn?: { jobId?: string; type?: 'N_TO_N' | 'SEQUENTIAL' }[];
  unmetDependencies: number;
  dependencyFailed?: boolean;
  /** The jobs depending on this one; set to undefined once they are told it ended. */
  dependents?: JobRecord[] | undefined;
  /** On an array job: the arrays of its N_TO_N dependencies, whose child i its child i waits for. */
  nToN?: JobRecord[];
  /** On an array parent not expanded yet: the N_TO_N dependants waiting for its children to exist; set to undefined once told. */
  expansionWaiters?: JobRecord[] | undefined;
  isCancelled?: boolean;
  isTerminated?: boolean;
  array?: ArrayParentState;
  parent?: JobRecord;
  arrayIndex?: number;
}
