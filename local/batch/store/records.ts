/** The records the service keeps: queues and definitions from the configuration, jobs and their attempts. */
import type { KeyValuePair } from '@aws-sdk/client-batch';
import type { JobDefinitionConfig } from '../../../config';
import type { RetryStrategyInput } from '../api/validate';
import type { LaunchedProcess } from '../executor/launcher';
import type { JobStatus, StatusIndex } from './status-index';

export type ResourceState = 'ENABLED' | 'DISABLED';
export type ComputeType = 'EC2' | 'SPOT' | 'FARGATE' | 'FARGATE_SPOT';

/** A compute environment: its capacity (`maxvCpus`) and what STARTING and RUNNING attempts hold of it. */
export interface ComputeEnvironmentState {
  name: string;
  arn: string;
  type: ComputeType;
  /** A DISABLED environment takes no new job; attempts already on it go on. */
  state: ResourceState;
  maxvCpus: number;
  minvCpus: number;
  subnets: string[];
  securityGroupIds: string[];
  tags: Record<string, string>;
  /** vCPUs reserved by the STARTING and RUNNING attempts placed here. */
  vcpusInUse: number;
}

/** A fair-share scheduling policy (docs: batch/latest/APIReference/API_FairsharePolicy.html). */
export interface SchedulingPolicyState {
  name: string;
  arn: string;
  shareDecaySeconds: number;
  computeReservation: number;
  shareDistribution: { shareIdentifier: string; weightFactor: number }[];
  tags: Record<string, string>;
}

/** docs: batch/latest/APIReference/API_JobStateTimeLimitAction.html */
export interface TimeLimitAction {
  reason: string;
  state: 'RUNNABLE';
  maxTimeSeconds: number;
  action: 'CANCEL';
}

/** The RUNNABLE jobs of a queue in the order the queue starts them: FIFO, or fair share. */
export interface RunnableJobs {
  readonly size: number;
  push(job: JobRecord): void;
  /** The job the queue would start next, if any; it may have been cancelled meanwhile. */
  peek(): JobRecord | undefined;
  /** Removes the job {@link peek} returned. */
  shift(): JobRecord | undefined;
  /** Counts an attempt of one of the queue's jobs that took `vcpus`. */
  attemptStarted(job: JobRecord, vcpus: number): void;
  /** Counts the end of such an attempt. */
  attemptEnded(job: JobRecord, vcpus: number): void;
  /** Whether the queue may start a job needing `need` more vCPUs, out of a capacity of `capacity` (compute reservation). */
  admits(need: number, capacity: number): boolean;
}

export interface QueueState {
  name: string;
  arn: string;
  priority: number;
  /** A DISABLED queue takes no new job; jobs already in it go on. */
  state: ResourceState;
  /** Sorted by `order`: placement tries them in this order. */
  computeEnvironmentOrder: { order: number; computeEnvironment: ComputeEnvironmentState }[];
  schedulingPolicy?: SchedulingPolicyState;
  jobStateTimeLimitActions: TimeLimitAction[];
  tags: Record<string, string>;
  /** Order of creation, which breaks ties between queues of equal priority. */
  sequence: number;
  runnable: RunnableJobs;
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
export type KillReason = 'timeout' | 'terminate' | 'close' | 'interrupted';

/** A STARTING or RUNNING attempt's hold on the vCPU pool and its process. */
export interface RunState {
  reservedVcpus: number;
  /** Where the attempt was placed. */
  computeEnvironment: ComputeEnvironmentState;
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
  statusReason?: string | undefined;
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
  /** Set while the job is RUNNABLE at the head of its queue and no compute environment can ever run it. */
  blocked?: { reason: string; timer: AbortController; since: number } | undefined;
  array?: ArrayParentState;
  parent?: JobRecord;
  arrayIndex?: number;
}
