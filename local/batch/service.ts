import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type {
  ComputeEnvironmentDetail,
  JobDefinition,
  JobDetail,
  JobQueueDetail,
  JobSummary,
  KeyValuePair,
  ListJobsResponse,
  SubmitJobResponse,
} from '@aws-sdk/client-batch';
import type { ComputeEnvironmentConfig, FanoutConfig, JobDefinitionConfig } from '../../config';
import { systemClock } from '../engine/clock';
import type { Clock } from '../engine/types';
import { CommandLocator } from './private/command-path';
import { type DetailPosition, JobDetailFile } from './store/detail-file';
import { BatchClientError, ContainerStartError } from './errors';
import { Fifo } from './private/fifo';
import { JobJournal, type JournaledJob, readJournal } from './journal';
import { type LaunchedProcess, type LaunchOutcome, type LaunchRequest, ProcessLauncher } from './executor/launcher';
import { decideRetry } from './executor/retry';
import { isFinal, type JobStatus, jobStatuses, type ListPosition, StatusIndex } from './store/status-index';
import {
  optionalMember,
  optionalStringList,
  parseJobIdAndReason,
  parseSubmitJob,
  type RetryStrategyInput,
} from './api/validate';

export type { JobStatus } from './store/status-index';

/** What a job process is started with; `prepareInvocation` may rewrite it. */
export interface Invocation {
  command: string[];
  environment: Record<string, string>;
}

/** Rewrites a job's command and environment right before its process is started. */
export type PrepareInvocation = (job: Invocation) => Invocation | Promise<Invocation>;

/** Numbers the AWS API does not return, for tests and benchmarks. */
export interface BatchServiceStats {
  /** Job processes spawned so far (attempts that started a process). */
  processesSpawned: number;
  /** Jobs not yet SUCCEEDED or FAILED (array parents included). */
  activeJobCount: number;
  /** vCPUs currently reserved by STARTING and RUNNING jobs. */
  vcpusInUse: number;
  /** Size of the vCPU pool shared by every compute environment. */
  vcpuCapacity: number;
  /** Peak resident memory of the process the service runs in, in MiB. */
  peakRssMb: number;
  /** Finished jobs whose detail has moved to the file under `<stateDir>/batch`, leaving a compact entry in memory. */
  finishedJobsOnDisk: number;
}

/**
 * What the project reads from a running local Batch service besides its AWS API, whether
 * the service runs on this event loop ({@link LocalBatch}) or in a child process.
 */
export interface BatchServiceControl {
  /** Current counters. */
  stats(): Promise<BatchServiceStats>;
  /** Resolves when no job is left in a non-final state. */
  waitForIdle(): Promise<void>;
  /** Resolves with the job's detail once it is SUCCEEDED or FAILED; rejects with `BatchClientError` for an unknown job. */
  waitForJob(jobId: string): Promise<JobDetail>;
}

export interface LocalBatchOptions {
  config: FanoutConfig;
  /** Logs go under `<stateDir>/batch/logs/<logStreamName>.log`. */
  stateDir: string;
  /** vCPUs shared by every compute environment. @default config.local.vcpus ('auto' = this machine's cores) */
  vcpus?: number | 'auto';
  /** @default real time */
  clock?: Clock;
  /** @default identity */
  prepareInvocation?: PrepareInvocation;
  /**
   * Variables every job process starts with, below the definition's, the job's and the
   * `AWS_BATCH_*` ones (e.g. endpoints of the local services). @default {}
   */
  jobEnvironment?: Record<string, string>;
  /** Working directory of job processes. @default process.cwd() */
  cwd?: string;
  /** Starts job processes; `close()` closes it. @default a new `ProcessLauncher` */
  launcher?: ProcessLauncher;
  /**
   * How many of the most recently finished jobs keep their whole record in memory; older
   * ones are written to a file under `<stateDir>/batch` and read back by DescribeJobs.
   * @default 1000
   */
  finishedJobsInMemory?: number;
}

/** Status reasons and container reasons the local service reports, worded as AWS Batch words them. */
export const StatusReasons = {
  /** Set when the job's container exits, whatever its exit code. */
  containerExited: 'Essential container in task exited',
  /** Set when the process cannot be started (command not found, prepareInvocation failed). */
  taskFailedToStart: 'Task failed to start',
  /** Set when the local process launcher died before reporting how the job's process ended. */
  launcherExited: 'Local job launcher exited',
  /** Set when an attempt outlives `timeout.attemptDurationSeconds` (docs: batch/latest/userguide/job_timeouts.html). */
  timeout: 'Job attempt duration exceeded timeout',
  /** Set on a job whose dependency failed (docs: batch/latest/userguide/job_dependencies.html). */
  dependencyFailed: 'Dependent Job failed',
  /** Set on an array parent one of whose children failed. */
  arrayChildFailed: 'Array Child Job failed',
  /** Set on jobs still running when the local service is closed. */
  serviceClosed: 'Local Batch service stopped',
  /**
   * Set, by a service restarted on the same state directory, on the jobs its predecessor had not
   * finished when it died: their processes died with it. Worded as Batch words the loss of an
   * EC2 host (`Host EC2 (instance i-…) terminated.`), the instance being this machine.
   */
  hostTerminated: 'Host EC2 (instance local) terminated.',
} as const;

/** Seconds between SIGTERM and SIGKILL when a job is stopped, as ECS's default stop timeout. */
const stopGraceMs = 30_000;
/** ListJobs page limits (docs: batch/latest/APIReference/API_ListJobs.html). */
const listPageLimit = 1000;
const listFilteredPageLimit = 100;

const noop = (): void => {};
/** Why an attempt's timers are cancelled: it ended. Shared, as nothing reads it but the sleeps it wakes. */
const attemptEnded = Object.freeze({ reason: 'attempt ended' });

/** What an attempt records for the way its process ended. */
function attemptOutcome(outcome: LaunchOutcome): { exitCode?: number; reason?: string; statusReason: string } {
  switch (outcome.kind) {
    case 'exited':
      // A process killed by signal N reports 128 + N, Docker's convention.
      return { statusReason: StatusReasons.containerExited, exitCode: outcome.exitCode };
    case 'failedToStart':
      return { statusReason: StatusReasons.taskFailedToStart, reason: `CannotStartContainerError: ${outcome.message}` };
    case 'lost':
      return { statusReason: StatusReasons.launcherExited, reason: outcome.message };
  }
}

/** Path of the log file of one attempt's log stream. */
export function logFileFor(stateDir: string, logStreamName: string): string {
  if (logStreamName.split('/').some((segment) => segment === '..' || segment === '')) {
    throw new BatchClientError(
      `logStreamName must be a relative stream name like "<definition>/default/<taskId>"; received "${logStreamName}"`,
    );
  }
  return `${join(stateDir, 'batch', 'logs', ...logStreamName.split('/'))}.log`;
}

interface QueueState {
  name: string;
  arn: string;
  priority: number;
  computeEnvironments: string[];
  schedulingPolicy?: string;
  runnable: Fifo<JobRecord>;
  /** The queue's jobs and array parents (not array children) by status. */
  byStatus: StatusIndex;
}

interface DefinitionState {
  name: string;
  arn: string;
  config: JobDefinitionConfig;
  environment: KeyValuePair[];
}

interface AttemptRecord {
  taskId: string;
  taskArn: string;
  logStreamName: string;
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  reason?: string;
  statusReason?: string;
}

type KillReason = 'timeout' | 'terminate' | 'close';

interface RunState {
  reservedVcpus: number;
  stop: AbortController;
  process?: LaunchedProcess;
  killReason?: KillReason;
  killStatusReason?: string;
  exited: Promise<void>;
  markExited: () => void;
}

interface ArrayParentState {
  size: number;
  /** Children `<parentId>:<index>` exist (once the parent has left SUBMITTED). */
  expanded: boolean;
  childrenByStatus: StatusIndex;
  sequential: boolean;
  failedChildren: number;
  finishedChildren: number;
}

/** One job as the service keeps it; array children share their parent's arrays and objects. */
interface JobRecord {
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
  run?: RunState;
  dependsOn?: { jobId?: string; type?: 'N_TO_N' | 'SEQUENTIAL' }[];
  unmetDependencies: number;
  dependencyFailed?: boolean;
  dependents?: JobRecord[];
  /** On an array job: the arrays of its N_TO_N dependencies, whose child i its child i waits for. */
  nToN?: JobRecord[];
  /** On an array parent not expanded yet: the N_TO_N dependants waiting for its children to exist. */
  expansionWaiters?: JobRecord[];
  isCancelled?: boolean;
  isTerminated?: boolean;
  array?: ArrayParentState;
  parent?: JobRecord;
  arrayIndex?: number;
}

/** What a ListJobs summary is made of, read from a whole record or from a spilled entry. */
interface SummaryFields {
  readonly jobId: string;
  readonly jobName: string;
  readonly createdAt: number;
  readonly status: JobStatus;
  readonly definition: DefinitionState;
  readonly statusReason?: string | undefined;
  readonly startedAt?: number | undefined;
  readonly stoppedAt?: number | undefined;
  readonly shareIdentifier?: string | undefined;
  readonly exitCode?: number | undefined;
  readonly reason?: string | undefined;
  readonly arraySize?: number | undefined;
  readonly arrayIndex?: number | undefined;
  readonly isCancelled?: boolean | undefined;
  readonly isTerminated?: boolean | undefined;
}

/**
 * A finished job whose detail was written to the {@link JobDetailFile}: what ListJobs, its
 * filters and later dependants need, and where the detail lies. Every field is set in the
 * constructor, so all entries share one compact object layout.
 */
class SpilledJob implements SummaryFields {
  readonly jobId: string;
  readonly jobName: string;
  readonly createdAt: number;
  readonly status: JobStatus;
  readonly definition: DefinitionState;
  readonly statusReason: string | undefined;
  readonly startedAt: number | undefined;
  readonly stoppedAt: number | undefined;
  readonly shareIdentifier: string | undefined;
  readonly exitCode: number | undefined;
  readonly reason: string | undefined;
  readonly arrayIndex: number | undefined;
  readonly isCancelled: boolean | undefined;
  readonly isTerminated: boolean | undefined;
  readonly offset: number;
  readonly length: number;

  constructor(fields: SummaryFields, position: DetailPosition) {
    this.jobId = fields.jobId;
    this.jobName = fields.jobName;
    this.createdAt = fields.createdAt;
    this.status = fields.status;
    this.definition = fields.definition;
    this.statusReason = fields.statusReason;
    this.startedAt = fields.startedAt;
    this.stoppedAt = fields.stoppedAt;
    this.shareIdentifier = fields.shareIdentifier;
    this.exitCode = fields.exitCode;
    this.reason = fields.reason;
    this.arrayIndex = fields.arrayIndex;
    this.isCancelled = fields.isCancelled;
    this.isTerminated = fields.isTerminated;
    this.offset = position.offset;
    this.length = position.length;
  }
}

/** A job as the service holds it: the whole record, or the compact entry of a long-finished job. */
type JobEntry = JobRecord | SpilledJob;

/** What ListJobs filters read, the same on both kinds of entry. */
type FilterSubject = Pick<JobRecord, 'jobName' | 'definition' | 'createdAt'>;

/** Jobs finished beyond the kept ones are spilled in batches of this fraction of the kept count, one write each. */
const spillBatchFraction = 4;

/** Batch substitutes `Ref::name` command arguments with the job's parameters (docs: batch/latest/userguide/example-use-parameters.html). */
export function substituteParameters(command: readonly string[], parameters: Record<string, string>): string[] {
  return command.map((argument) => {
    if (!argument.startsWith('Ref::')) return argument;
    const value = parameters[argument.slice(5)];
    return value === undefined ? argument : value;
  });
}

/** A nextToken names where the next page starts, so a page costs its own length, not the pages before it. */
function encodeToken(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ s: position.status, p: position.position }), 'utf8').toString('base64url');
}

function decodeToken(token: string | undefined): ListPosition {
  if (token === undefined) return { status: 0, position: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; p?: unknown };
    const { s: status, p: position } = parsed;
    if (
      Number.isInteger(status) &&
      Number.isInteger(position) &&
      (status as number) >= 0 &&
      (position as number) >= 0
    ) {
      return { status: status as number, position: position as number };
    }
  } catch {
    // falls through to the error below
  }
  throw new BatchClientError(`nextToken is not a token returned by this service; received "${token}"`);
}

/**
 * The local AWS Batch service: job queues, job definitions and compute environments
 * from the configuration, and a process executor sharing one vCPU pool. Every public
 * method takes and returns the shapes of the AWS API (camelCase members, epoch-ms dates),
 * so the HTTP endpoint is a thin layer and in-process callers see what the SDK would.
 * @example const batch = new LocalBatch({ config, stateDir: '.fanout' }); batch.submitJob({ jobName: 'a', jobQueue: 'fanout-high', jobDefinition: 'fanout-job' });
 */
export class LocalBatch implements BatchServiceControl {
  readonly region: string;
  readonly accountId: string;
  /** Size of the vCPU pool shared by every compute environment. */
  readonly vcpuCapacity: number;
  private freeVcpus: number;
  private readonly clock: Clock;
  private readonly stateDir: string;
  private readonly cwd: string;
  private readonly prepareInvocation: PrepareInvocation;
  private readonly jobEnvironment: Record<string, string>;
  private readonly queues = new Map<string, QueueState>();
  private readonly queuesByPriority: QueueState[];
  private readonly definitions = new Map<string, DefinitionState>();
  private readonly computeEnvironments: ComputeEnvironmentConfig[];
  private readonly jobs = new Map<string, JobEntry>();
  /** Finished records still whole, oldest first; all but the newest `finishedJobsInMemory` get spilled. */
  private readonly recentlyFinished = new Fifo<JobRecord>();
  private readonly finishedJobsInMemory: number;
  private readonly detailFile: JobDetailFile;
  private readonly journal: JobJournal;
  private readonly submitted: JobRecord[] = [];
  private readonly running = new Set<JobRecord>();
  private readonly createdLogDirs = new Set<string>();
  private readonly launcher: ProcessLauncher;
  private readonly commandLocator = new CommandLocator();
  private readonly jobWaiters = new Map<string, ((detail: JobDetail) => void)[]>();
  private idleWaiters: (() => void)[] = [];
  private activeJobs = 0;
  private tickScheduled = false;
  private finishing: JobRecord[] | undefined;
  private closed = false;
  private spawnedCount = 0;
  private spilledCount = 0;

  constructor(options: LocalBatchOptions) {
    const { config } = options;
    this.region = config.region;
    this.accountId = config.accountId;
    const vcpus = options.vcpus ?? config.local.vcpus;
    this.vcpuCapacity = vcpus === 'auto' ? availableParallelism() : vcpus;
    if (!Number.isFinite(this.vcpuCapacity) || this.vcpuCapacity <= 0) {
      throw new BatchClientError(`vcpus must be a positive number or "auto"; received ${String(vcpus)}`);
    }
    this.freeVcpus = this.vcpuCapacity;
    this.clock = options.clock ?? systemClock;
    this.stateDir = options.stateDir;
    this.cwd = options.cwd ?? process.cwd();
    this.prepareInvocation = options.prepareInvocation ?? ((job) => job);
    this.jobEnvironment = { ...options.jobEnvironment };
    this.launcher = options.launcher ?? new ProcessLauncher();
    this.finishedJobsInMemory = options.finishedJobsInMemory ?? 1000;
    if (!Number.isInteger(this.finishedJobsInMemory) || this.finishedJobsInMemory < 0) {
      throw new BatchClientError(
        `finishedJobsInMemory must be a non-negative integer; received ${String(options.finishedJobsInMemory)}`,
      );
    }
    this.detailFile = new JobDetailFile(join(this.stateDir, 'batch'));
    this.computeEnvironments = config.computeEnvironments;
    config.jobQueues.forEach((queue) => {
      this.queues.set(queue.name, {
        name: queue.name,
        arn: this.arn('job-queue', queue.name),
        priority: queue.priority,
        computeEnvironments: queue.computeEnvironments,
        ...(queue.schedulingPolicy ? { schedulingPolicy: queue.schedulingPolicy } : {}),
        runnable: new Fifo<JobRecord>(),
        byStatus: new StatusIndex(),
      });
    });
    // Higher priority first; a stable sort keeps configuration order between equal priorities.
    this.queuesByPriority = [...this.queues.values()].sort((a, b) => b.priority - a.priority);
    for (const definition of config.jobDefinitions) {
      this.definitions.set(definition.name, {
        name: definition.name,
        arn: `${this.arn('job-definition', definition.name)}:1`,
        config: definition,
        environment: Object.entries(definition.environment).map(([name, value]) => ({ name, value })),
      });
    }
    this.journal = new JobJournal(join(this.stateDir, 'batch'));
    this.restoreJournaledJobs();
  }

  /**
   * Gives the jobs of an earlier service on this state directory back their places: each
   * becomes a spilled entry (DescribeJobs and ListJobs see it as before). Jobs it had not
   * finished become FAILED with `hostTerminated`, journaled so, since their processes died with it.
   */
  private restoreJournaledJobs(): void {
    const journaled = readJournal(join(this.stateDir, 'batch'));
    const now = this.clock.now();
    const chunk = 1000;
    for (let start = 0; start < journaled.length; start += chunk) {
      const entries: { fields: SummaryFields; detail: JobDetail; queue: QueueState }[] = [];
      for (const job of journaled.slice(start, start + chunk)) {
        const queue = this.queues.get(job.queue);
        const definition = this.definitions.get(job.definition);
        // A queue or definition removed from the configuration takes its jobs with it.
        if (!queue || !definition) continue;
        if (job.status !== 'SUCCEEDED' && job.status !== 'FAILED') {
          job.status = 'FAILED';
          job.statusReason = StatusReasons.hostTerminated;
          job.stoppedAt = now;
          this.journal.finished(job.jobId, {
            status: 'FAILED',
            stoppedAt: now,
            statusReason: job.statusReason,
            startedAt: job.startedAt,
            logStreamName: job.logStreamName,
          });
        }
        entries.push({
          fields: { ...job, status: job.status, definition },
          detail: this.restoredDetail(job, queue, definition),
          queue,
        });
      }
      const positions = this.detailFile.append(entries.map((entry) => entry.detail));
      // Without the detail file (a warning was emitted) the earlier jobs stay unknown.
      if (!positions) return;
      entries.forEach((entry, index) => {
        this.jobs.set(entry.fields.jobId, new SpilledJob(entry.fields, positions[index] as DetailPosition));
        entry.queue.byStatus.move(entry.fields.jobId, undefined, entry.fields.status);
      });
      this.spilledCount += entries.length;
    }
  }

  /** The detail of a job known from the journal only: what a describe of it showed when it ended. */
  private restoredDetail(job: JournaledJob, queue: QueueState, definition: DefinitionState): JobDetail {
    const container = {
      ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
      ...(job.reason === undefined ? {} : { reason: job.reason }),
      ...(job.logStreamName === undefined ? {} : { logStreamName: job.logStreamName }),
    };
    return {
      jobArn: this.arn('job', job.jobId),
      jobName: job.jobName,
      jobId: job.jobId,
      jobQueue: queue.arn,
      status: job.status,
      ...(job.statusReason === undefined ? {} : { statusReason: job.statusReason }),
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
      attempts:
        job.startedAt === undefined
          ? []
          : [
              {
                container,
                startedAt: job.startedAt,
                ...(job.stoppedAt === undefined ? {} : { stoppedAt: job.stoppedAt }),
                ...(job.statusReason === undefined ? {} : { statusReason: job.statusReason }),
              },
            ],
      dependsOn: [],
      jobDefinition: definition.arn,
      parameters: {},
      platformCapabilities: [],
      propagateTags: false,
      container: { image: definition.config.image, ...container },
      ...(job.isCancelled ? { isCancelled: true } : {}),
      ...(job.isTerminated ? { isTerminated: true } : {}),
    };
  }

  /** Number of job processes spawned so far (attempts that started a process). */
  get processesSpawned(): number {
    return this.spawnedCount;
  }

  /** Number of jobs not yet SUCCEEDED or FAILED (array parents included). */
  get activeJobCount(): number {
    return this.activeJobs;
  }

  /** vCPUs currently reserved by STARTING and RUNNING jobs. */
  get vcpusInUse(): number {
    return this.vcpuCapacity - this.freeVcpus;
  }

  /** The counters of {@link BatchServiceControl}, for callers that may talk to a child process. */
  stats(): Promise<BatchServiceStats> {
    return Promise.resolve({
      processesSpawned: this.spawnedCount,
      activeJobCount: this.activeJobs,
      vcpusInUse: this.vcpusInUse,
      vcpuCapacity: this.vcpuCapacity,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      finishedJobsOnDisk: this.spilledCount,
    });
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:batch:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  // ---------------------------------------------------------------- API

  /**
   * SubmitJob. `payloadBytes` is the size of the request as received; in-process callers
   * may omit it and the JSON size of `request` is used.
   */
  submitJob(request: unknown, payloadBytes?: number): SubmitJobResponse {
    if (this.closed) throw new BatchClientError('the local Batch service is closed');
    const input = parseSubmitJob(request, payloadBytes ?? Buffer.byteLength(JSON.stringify(request ?? null), 'utf8'));
    const queue = this.resolveQueue(input.jobQueue);
    const definition = this.resolveDefinition(input.jobDefinition);
    if (queue.schedulingPolicy && input.shareIdentifier === undefined) {
      throw new BatchClientError(
        `shareIdentifier is required: job queue ${queue.name} has the fair-share scheduling policy ${queue.schedulingPolicy}`,
      );
    }
    if (!queue.schedulingPolicy && input.shareIdentifier !== undefined) {
      throw new BatchClientError(
        `shareIdentifier can only be set on jobs for a queue with a fair-share scheduling policy; job queue ${queue.name} has none (received "${input.shareIdentifier}")`,
      );
    }
    const dependencies: JobEntry[] = [];
    const nToN: JobRecord[] = [];
    let sequential = false;
    (input.dependsOn ?? []).forEach((dependency, index) => {
      const where = `dependsOn[${index}]`;
      // SEQUENTIAL and N_TO_N order the children of array jobs (docs: batch/latest/userguide/job_dependencies.html).
      if (dependency.type !== undefined && input.arraySize === undefined) {
        throw new BatchClientError(
          `${where}.type ${dependency.type} is only valid for array jobs (arrayProperties.size)`,
        );
      }
      if (dependency.type === 'SEQUENTIAL' && dependency.jobId === undefined) {
        sequential = true;
        return;
      }
      const target = this.jobs.get(dependency.jobId as string);
      if (!target) throw new BatchClientError(`${where}.jobId: job ${dependency.jobId} does not exist`);
      if (dependency.type !== 'N_TO_N') {
        dependencies.push(target);
        return;
      }
      // A parent restored from the journal has no children left: it cannot pair its children with ours.
      if (target instanceof SpilledJob || !target.array) {
        throw new BatchClientError(
          `${where}: an N_TO_N dependency must name an array job whose children are known; job ${dependency.jobId} is not one`,
        );
      }
      if (target.array.size !== input.arraySize) {
        throw new BatchClientError(
          `${where}: an N_TO_N dependency pairs child i with child i, so both arrays must have the same size; job ${dependency.jobId} has arrayProperties.size ${target.array.size}, this job ${input.arraySize}`,
        );
      }
      nToN.push(target);
    });

    const parameters = { ...input.parameters };
    const environment = this.mergeEnvironment(definition.environment, input.environment);
    const jobId = randomUUID();
    const job: JobRecord = {
      jobId,
      jobArn: this.arn('job', jobId),
      jobName: input.jobName,
      queue,
      definition,
      status: 'SUBMITTED',
      createdAt: this.clock.now(),
      parameters,
      command: substituteParameters(input.command ?? definition.config.command, parameters),
      environment,
      vcpus: input.vcpus ?? definition.config.vcpus,
      memory: input.memory ?? definition.config.memoryMiB,
      retryStrategy: input.retryStrategy ?? definition.config.retryStrategy ?? { attempts: 1 },
      attempts: [],
      unmetDependencies: 0,
    };
    const timeoutSeconds = input.timeout?.attemptDurationSeconds ?? definition.config.timeoutSeconds;
    if (timeoutSeconds !== undefined) job.timeoutSeconds = timeoutSeconds;
    if (input.tags) job.tags = input.tags;
    if (input.shareIdentifier !== undefined) job.shareIdentifier = input.shareIdentifier;
    if (input.schedulingPriorityOverride !== undefined) job.schedulingPriority = input.schedulingPriorityOverride;
    if (input.propagateTags !== undefined) job.propagateTags = input.propagateTags;
    if (input.dependsOn) job.dependsOn = input.dependsOn;
    if (input.arraySize !== undefined) {
      job.array = {
        size: input.arraySize,
        expanded: false,
        childrenByStatus: new StatusIndex(),
        sequential,
        failedChildren: 0,
        finishedChildren: 0,
      };
    }
    for (const dependency of dependencies) {
      if (dependency.status === 'FAILED') job.dependencyFailed = true;
      else if (dependency.status !== 'SUCCEEDED' && !(dependency instanceof SpilledJob)) {
        job.unmetDependencies++;
        (dependency.dependents ??= []).push(job);
      }
    }
    if (nToN.length > 0) job.nToN = nToN;
    for (const upstream of nToN) {
      // Children are paired once both arrays have them; an array that ended without children fails ours.
      if (upstream.array?.expanded) continue;
      if (upstream.status === 'FAILED') job.dependencyFailed = true;
      else {
        job.unmetDependencies++;
        (upstream.expansionWaiters ??= []).push(job);
      }
    }
    this.jobs.set(jobId, job);
    this.journal.submitted({
      jobId,
      jobName: job.jobName,
      queue: queue.name,
      definition: definition.name,
      createdAt: job.createdAt,
    });
    queue.byStatus.move(jobId, undefined, 'SUBMITTED');
    this.activeJobs++;
    this.submitted.push(job);
    this.scheduleTick();
    return { jobArn: job.jobArn, jobName: job.jobName, jobId };
  }

  /** DescribeJobs: up to 100 job IDs; unknown IDs are left out, as AWS does. */
  describeJobs(request: unknown): { jobs: JobDetail[] } {
    const ids = optionalStringList(request, 'jobs', 100);
    if (!ids) throw new BatchClientError('jobs is required: a list of up to 100 job IDs');
    const jobs: JobDetail[] = [];
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (job) jobs.push(this.detailOf(job));
    }
    return { jobs };
  }

  /** Describes one job, or `undefined` when no job has this ID. */
  describeJob(jobId: string): JobDetail | undefined {
    const job = this.jobs.get(jobId);
    return job ? this.detailOf(job) : undefined;
  }

  /**
   * ListJobs by `jobQueue` or `arrayJobId`, filtered by `jobStatus` (default RUNNING, as AWS)
   * or by `filters` (JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT; every status).
   */
  listJobs(request: unknown): ListJobsResponse {
    const jobQueue = optionalMember(request, 'jobQueue', 'string');
    const arrayJobId = optionalMember(request, 'arrayJobId', 'string');
    const multiNodeJobId = optionalMember(request, 'multiNodeJobId', 'string');
    const given = [jobQueue, arrayJobId, multiNodeJobId].filter((value) => value !== undefined).length;
    if (given !== 1)
      throw new BatchClientError(`specify exactly one of jobQueue, arrayJobId or multiNodeJobId; received ${given}`);
    if (multiNodeJobId !== undefined)
      throw new BatchClientError('multiNodeJobId: multi-node parallel jobs are not supported locally');
    const jobStatus = optionalMember(request, 'jobStatus', 'string');
    if (jobStatus !== undefined && !jobStatuses.includes(jobStatus as JobStatus)) {
      throw new BatchClientError(`jobStatus must be one of ${jobStatuses.join(', ')}; received "${jobStatus}"`);
    }
    const filters = this.parseFilters(request);
    const maxResults = optionalMember(request, 'maxResults', 'number');
    if (maxResults !== undefined && (!Number.isInteger(maxResults) || maxResults < 1)) {
      throw new BatchClientError(`maxResults must be a positive integer; received ${maxResults}`);
    }
    const pageSize = Math.min(maxResults ?? Number.POSITIVE_INFINITY, filters ? listFilteredPageLimit : listPageLimit);
    const start = decodeToken(optionalMember(request, 'nextToken', 'string'));

    let index: StatusIndex;
    if (jobQueue !== undefined) {
      index = this.resolveQueue(jobQueue).byStatus;
    } else {
      const parent = this.jobs.get(arrayJobId as string);
      if (!parent || parent instanceof SpilledJob || !parent.array)
        throw new BatchClientError(`arrayJobId: ${arrayJobId} is not the ID of an array job`);
      index = parent.array.childrenByStatus;
    }
    const statuses = filters ? jobStatuses : [(jobStatus as JobStatus | undefined) ?? 'RUNNING'];
    const jobSummaryList: JobSummary[] = [];
    const next = index.scan(statuses, start, (jobId) => {
      const job = this.jobs.get(jobId);
      if (!job || (filters && !filters(job))) return true;
      if (jobSummaryList.length === pageSize) return false;
      jobSummaryList.push(this.toSummary(job instanceof SpilledJob ? job : this.summaryFields(job)));
      return true;
    });
    return next ? { jobSummaryList, nextToken: encodeToken(next) } : { jobSummaryList };
  }

  /**
   * TerminateJob: a STARTING or RUNNING job's process is stopped (SIGTERM, SIGKILL 30 s later)
   * and the job FAILS with the reason, never retried; an earlier job is cancelled.
   * Terminating an array parent terminates its children.
   */
  terminateJob(request: unknown): Record<string, never> {
    const { jobId, reason } = parseJobIdAndReason(request, 'TerminateJob');
    const job = this.requireJob(jobId);
    this.stopJob(job, reason, true);
    this.scheduleTick();
    return {};
  }

  /**
   * CancelJob: a SUBMITTED, PENDING or RUNNABLE job FAILS with the reason; a STARTING or
   * RUNNING job is left alone and the call still succeeds (docs: batch/latest/APIReference/API_CancelJob.html).
   */
  cancelJob(request: unknown): Record<string, never> {
    const { jobId, reason } = parseJobIdAndReason(request, 'CancelJob');
    const job = this.requireJob(jobId);
    this.stopJob(job, reason, false);
    this.scheduleTick();
    return {};
  }

  describeJobQueues(request: unknown): { jobQueues: JobQueueDetail[] } {
    const wanted = optionalStringList(request, 'jobQueues');
    const queues = wanted
      ? wanted.map((ref) => this.findQueue(ref)).filter((queue) => queue !== undefined)
      : [...this.queues.values()];
    return {
      jobQueues: queues.map((queue) => ({
        jobQueueName: queue.name,
        jobQueueArn: queue.arn,
        state: 'ENABLED',
        status: 'VALID',
        statusReason: 'JobQueue Healthy',
        priority: queue.priority,
        computeEnvironmentOrder: queue.computeEnvironments.map((name, order) => ({
          order: order + 1,
          computeEnvironment: this.arn('compute-environment', name),
        })),
        ...(queue.schedulingPolicy
          ? { schedulingPolicyArn: this.arn('scheduling-policy', queue.schedulingPolicy) }
          : {}),
        jobQueueType: 'ECS',
        tags: {},
        jobStateTimeLimitActions: [],
      })),
    };
  }

  describeJobDefinitions(request: unknown): { jobDefinitions: JobDefinition[] } {
    const wanted = optionalStringList(request, 'jobDefinitions');
    const name = optionalMember(request, 'jobDefinitionName', 'string');
    const status = optionalMember(request, 'status', 'string');
    let definitions = wanted
      ? wanted.map((ref) => this.findDefinition(ref)).filter((definition) => definition !== undefined)
      : [...this.definitions.values()];
    if (name !== undefined) definitions = definitions.filter((definition) => definition.name === name);
    if (status !== undefined && status !== 'ACTIVE') definitions = [];
    return {
      jobDefinitions: definitions.map((definition) => ({
        jobDefinitionName: definition.name,
        jobDefinitionArn: definition.arn,
        revision: 1,
        status: 'ACTIVE',
        type: 'container',
        parameters: {},
        ...(definition.config.retryStrategy ? { retryStrategy: definition.config.retryStrategy } : {}),
        ...(definition.config.timeoutSeconds
          ? { timeout: { attemptDurationSeconds: definition.config.timeoutSeconds } }
          : {}),
        containerProperties: {
          image: definition.config.image,
          command: definition.config.command,
          environment: definition.environment,
          resourceRequirements: [
            { type: 'VCPU', value: String(definition.config.vcpus) },
            { type: 'MEMORY', value: String(definition.config.memoryMiB) },
          ],
          mountPoints: [],
          volumes: [],
          ulimits: [],
          secrets: [],
        },
        tags: {},
        propagateTags: false,
        containerOrchestrationType: 'ECS',
      })),
    };
  }

  describeComputeEnvironments(request: unknown): { computeEnvironments: ComputeEnvironmentDetail[] } {
    const wanted = optionalStringList(request, 'computeEnvironments');
    const prefix = this.arn('compute-environment', '');
    const names = wanted?.map((ref) => (ref.startsWith(prefix) ? ref.slice(prefix.length) : ref));
    const environments = names
      ? this.computeEnvironments.filter((ce) => names.includes(ce.name))
      : this.computeEnvironments;
    return {
      computeEnvironments: environments.map((ce) => ({
        computeEnvironmentName: ce.name,
        computeEnvironmentArn: this.arn('compute-environment', ce.name),
        ecsClusterArn: `arn:aws:ecs:${this.region}:${this.accountId}:cluster/AWSBatch-${ce.name}`,
        type: 'MANAGED',
        state: 'ENABLED',
        status: 'VALID',
        statusReason: 'ComputeEnvironment Healthy',
        computeResources: { type: ce.type, maxvCpus: ce.maxvCpus, minvCpus: 0, subnets: [], securityGroupIds: [] },
        containerOrchestrationType: 'ECS',
        tags: {},
      })),
    };
  }

  /** Resolves when no job is left in a non-final state. */
  waitForIdle(): Promise<void> {
    if (this.activeJobs === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves with the job's detail once it is SUCCEEDED or FAILED. */
  waitForJob(jobId: string): Promise<JobDetail> {
    const job = this.jobs.get(jobId);
    if (!job) return Promise.reject(new BatchClientError(`jobId: job ${jobId} does not exist`));
    if (job instanceof SpilledJob || isFinal(job.status)) return Promise.resolve(this.detailOf(job));
    return new Promise((resolve) => {
      const waiters = this.jobWaiters.get(jobId);
      if (waiters) waiters.push(resolve);
      else this.jobWaiters.set(jobId, [resolve]);
    });
  }

  /** Stops accepting jobs, kills every job process (SIGKILL) and stops the launcher; resolves once all have exited. */
  async close(): Promise<void> {
    this.closed = true;
    const exits: Promise<void>[] = [];
    for (const job of this.running) {
      if (job.run) {
        this.kill(job, 'close', StatusReasons.serviceClosed);
        exits.push(job.run.exited);
      }
    }
    await Promise.all(exits);
    await this.launcher.close();
    this.detailFile.close();
    this.journal.close();
  }

  // ---------------------------------------------------------------- lookups

  private requireJob(jobId: string): JobEntry {
    const job = this.jobs.get(jobId);
    if (!job) throw new BatchClientError(`jobId: job ${jobId} does not exist`);
    return job;
  }

  private findQueue(ref: string): QueueState | undefined {
    const prefix = this.arn('job-queue', '');
    return this.queues.get(ref.startsWith(prefix) ? ref.slice(prefix.length) : ref);
  }

  private resolveQueue(ref: string): QueueState {
    const queue = this.findQueue(ref);
    if (!queue) throw new BatchClientError(`JobQueue ${ref} not found.`);
    return queue;
  }

  private findDefinition(ref: string): DefinitionState | undefined {
    const prefix = this.arn('job-definition', '');
    let name = ref;
    if (ref.startsWith('arn:')) {
      if (!ref.startsWith(prefix)) return undefined;
      name = ref.slice(prefix.length);
    }
    const revision = /^(.+):(\d+)$/.exec(name);
    if (revision) {
      if (revision[2] !== '1') return undefined;
      name = revision[1] as string;
    }
    return this.definitions.get(name);
  }

  private resolveDefinition(ref: string): DefinitionState {
    const definition = this.findDefinition(ref);
    if (definition) return definition;
    if (ref.startsWith('arn:') || ref.includes(':')) throw new BatchClientError(`JobDefinition ${ref} not found.`);
    throw new BatchClientError(`JobDefinition name ${ref} does not exist or is not in ACTIVE status`);
  }

  private mergeEnvironment(
    base: KeyValuePair[],
    overrides: { name: string; value: string }[] | undefined,
  ): KeyValuePair[] {
    if (!overrides || overrides.length === 0) return base;
    const merged = new Map(base.map((entry) => [entry.name as string, entry.value ?? '']));
    for (const entry of overrides) merged.set(entry.name, entry.value);
    return [...merged].map(([name, value]) => ({ name, value }));
  }

  private parseFilters(request: unknown): ((job: FilterSubject) => boolean) | undefined {
    const raw = (request as { filters?: unknown } | null)?.filters;
    if (raw === undefined || raw === null) return undefined;
    if (!Array.isArray(raw)) throw new BatchClientError('filters must be an array of {name, values}');
    const tests = raw.map((filter: unknown, index): ((job: FilterSubject) => boolean) => {
      const { name, values } = (filter ?? {}) as { name?: unknown; values?: unknown };
      if (!Array.isArray(values) || values.length !== 1 || typeof values[0] !== 'string') {
        throw new BatchClientError(`filters[${index}].values must hold exactly one string`);
      }
      const value = values[0] as string;
      const glob = (subject: string): boolean =>
        value.endsWith('*') ? subject.startsWith(value.slice(0, -1)) : subject === value;
      switch (name) {
        case 'JOB_NAME':
          return (job) => glob(job.jobName);
        case 'JOB_DEFINITION':
          return (job) => glob(job.definition.name) || glob(job.definition.arn) || glob(`${job.definition.name}:1`);
        case 'BEFORE_CREATED_AT':
          return (job) => job.createdAt < Number(value);
        case 'AFTER_CREATED_AT':
          return (job) => job.createdAt > Number(value);
        default:
          throw new BatchClientError(
            `filters[${index}].name must be one of JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT; received ${JSON.stringify(name)}`,
          );
      }
    });
    return (job) => tests.every((test) => test(job));
  }

  // ---------------------------------------------------------------- scheduling

  private scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(() => {
      this.tickScheduled = false;
      this.tick();
    });
  }

  /** Moves submitted jobs on (PENDING or RUNNABLE) and starts what fits in the vCPU pool. */
  private tick(): void {
    const batch = this.submitted.splice(0, this.submitted.length);
    for (const job of batch) {
      if (job.status !== 'SUBMITTED') continue;
      if (job.dependencyFailed) this.finish(job, 'FAILED', StatusReasons.dependencyFailed);
      else if (job.unmetDependencies > 0) this.setStatus(job, 'PENDING');
      else this.becomeReady(job);
    }
    this.dispatch();
  }

  private becomeReady(job: JobRecord): void {
    if (job.array) this.expandArray(job);
    else {
      this.setStatus(job, 'RUNNABLE');
      job.queue.runnable.push(job);
    }
  }

  /** Spawns an array job's children `<parentId>:<index>` (docs: batch/latest/userguide/array_jobs.html). */
  private expandArray(parent: JobRecord): void {
    const array = parent.array as ArrayParentState;
    this.setStatus(parent, 'PENDING');
    const now = this.clock.now();
    const children: JobRecord[] = [];
    array.expanded = true;
    // Taken now: a child failing as it is created fails this parent, whose end must not fail
    // the arrays waiting to pair with these children.
    const waiters = parent.expansionWaiters;
    parent.expansionWaiters = undefined;
    for (let index = 0; index < array.size; index++) {
      const jobId = `${parent.jobId}:${index}`;
      const child: JobRecord = {
        jobId,
        jobArn: this.arn('job', jobId),
        jobName: parent.jobName,
        queue: parent.queue,
        definition: parent.definition,
        status: 'SUBMITTED',
        createdAt: now,
        parameters: parent.parameters,
        command: parent.command,
        environment: parent.environment,
        vcpus: parent.vcpus,
        memory: parent.memory,
        retryStrategy: parent.retryStrategy,
        attempts: [],
        unmetDependencies: 0,
        parent,
        arrayIndex: index,
      };
      if (parent.timeoutSeconds !== undefined) child.timeoutSeconds = parent.timeoutSeconds;
      if (parent.tags) child.tags = parent.tags;
      if (parent.shareIdentifier !== undefined) child.shareIdentifier = parent.shareIdentifier;
      const previous = children[index - 1];
      if (array.sequential && previous) {
        child.dependsOn = [{ jobId: previous.jobId, type: 'SEQUENTIAL' }];
        child.unmetDependencies = 1;
        (previous.dependents ??= []).push(child);
      }
      // N_TO_N: child i waits for child i of each array named (docs: batch/latest/userguide/array_jobs.html).
      for (const upstreamArray of parent.nToN ?? []) {
        const upstreamId = `${upstreamArray.jobId}:${index}`;
        const upstream = this.jobs.get(upstreamId);
        (child.dependsOn ??= []).push({ jobId: upstreamId, type: 'N_TO_N' });
        if (!upstream || upstream.status === 'FAILED') child.dependencyFailed = true;
        else if (!(upstream instanceof SpilledJob) && upstream.status !== 'SUCCEEDED') {
          child.unmetDependencies++;
          (upstream.dependents ??= []).push(child);
        }
      }
      children.push(child);
      this.jobs.set(jobId, child);
      array.childrenByStatus.move(jobId, undefined, 'SUBMITTED');
      this.activeJobs++;
    }
    for (const child of children) {
      if (child.dependencyFailed) this.finish(child, 'FAILED', StatusReasons.dependencyFailed);
      else if (child.unmetDependencies > 0) this.setStatus(child, 'PENDING');
      else {
        this.setStatus(child, 'RUNNABLE');
        parent.queue.runnable.push(child);
      }
    }
    // Arrays submitted with an N_TO_N dependency on this one can now pair their children with ours.
    for (const waiter of waiters ?? []) this.dependencySettled(waiter, true);
  }

  /**
   * Starts RUNNABLE jobs while the vCPU pool has room: queues by priority (higher first),
   * FIFO within a queue. The head of the highest-priority queue that does not fit blocks
   * everything below it, so a large job is not starved by a stream of small ones.
   */
  private dispatch(): void {
    if (this.closed) return;
    for (const queue of this.queuesByPriority) {
      for (;;) {
        const head = queue.runnable.peek();
        if (!head) break;
        if (head.status !== 'RUNNABLE') {
          // Cancelled or terminated while queued: dropped here rather than searched for on cancel.
          queue.runnable.shift();
          continue;
        }
        // A job asking for more than the whole pool runs alone instead of waiting forever.
        const need = Math.min(head.vcpus, this.vcpuCapacity);
        if (need > this.freeVcpus) return;
        queue.runnable.shift();
        this.freeVcpus -= need;
        void this.startAttempt(head, need);
      }
    }
  }

  private setStatus(job: JobRecord, status: JobStatus): void {
    const previous = job.status;
    if (previous === status) return;
    const index = job.parent ? job.parent.array?.childrenByStatus : job.queue.byStatus;
    index?.move(job.jobId, previous, status);
    job.status = status;
    if (isFinal(status) && !isFinal(previous)) {
      this.activeJobs--;
      if (this.activeJobs === 0 && this.idleWaiters.length > 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Moves a job to SUCCEEDED or FAILED, then settles its dependents and array parent without recursion. */
  private finish(job: JobRecord, status: 'SUCCEEDED' | 'FAILED', statusReason: string | undefined): void {
    if (isFinal(job.status)) return;
    this.setStatus(job, status);
    if (statusReason !== undefined) job.statusReason = statusReason;
    job.stoppedAt = this.clock.now();
    // Array children are not journaled: a restarted service knows their parent only.
    if (!job.parent) {
      const last = job.attempts.at(-1);
      this.journal.finished(job.jobId, {
        status,
        stoppedAt: job.stoppedAt,
        statusReason: job.statusReason,
        startedAt: job.startedAt,
        exitCode: last?.exitCode,
        reason: last?.reason,
        logStreamName: last?.logStreamName,
        isCancelled: job.isCancelled,
        isTerminated: job.isTerminated,
      });
    }
    const waiters = this.jobWaiters.get(job.jobId);
    if (waiters) {
      this.jobWaiters.delete(job.jobId);
      const detail = this.toDetail(job);
      for (const resolve of waiters) resolve(detail);
    }
    if (this.finishing) {
      this.finishing.push(job);
      return;
    }
    const worklist = [job];
    this.finishing = worklist;
    try {
      for (let next = worklist.pop(); next; next = worklist.pop()) {
        this.settle(next);
        // Array parents stay whole: their status summary is live and their children are listed through them.
        if (!next.array) this.recentlyFinished.push(next);
      }
    } finally {
      this.finishing = undefined;
    }
    this.spillOldFinished();
  }

  /**
   * Writes the details of finished jobs beyond the newest `finishedJobsInMemory` to the
   * detail file and keeps a compact entry for each, so memory does not grow with every
   * job's command, environment and attempts. Runs once a batch has gathered: one write per batch.
   */
  private spillOldFinished(): void {
    const kept = this.finishedJobsInMemory;
    const batch = Math.max(1, Math.ceil(kept / spillBatchFraction));
    if (this.recentlyFinished.size < kept + batch) return;
    const records: JobRecord[] = [];
    while (this.recentlyFinished.size > kept) {
      const record = this.recentlyFinished.shift() as JobRecord;
      if (this.jobs.get(record.jobId) === record) records.push(record);
    }
    const positions = this.detailFile.append(records.map((record) => this.toDetail(record)));
    if (!positions) return;
    this.spilledCount += records.length;
    records.forEach((record, index) => {
      this.jobs.set(record.jobId, new SpilledJob(this.summaryFields(record), positions[index] as DetailPosition));
    });
  }

  private detailOf(job: JobEntry): JobDetail {
    return job instanceof SpilledJob ? this.detailFile.read(job) : this.toDetail(job);
  }

  private settle(job: JobRecord): void {
    const succeeded = job.status === 'SUCCEEDED';
    const dependents = job.dependents;
    job.dependents = undefined;
    for (const dependent of dependents ?? []) this.dependencySettled(dependent, succeeded);
    const waiters = job.expansionWaiters;
    job.expansionWaiters = undefined;
    for (const waiter of waiters ?? []) this.dependencySettled(waiter, false);
    const parent = job.parent;
    if (parent?.array) {
      const array = parent.array;
      array.finishedChildren++;
      if (!succeeded) {
        array.failedChildren++;
        // The parent fails with its first failed child; the other children still run to their end
        // (docs: batch/latest/userguide/array_jobs.html: if a child fails, the parent also fails).
        this.finish(parent, 'FAILED', StatusReasons.arrayChildFailed);
      } else if (array.finishedChildren === array.size && array.failedChildren === 0) {
        this.finish(parent, 'SUCCEEDED', undefined);
      }
    }
  }

  /**
   * One dependency of `dependent` has ended. A success brings it closer to running; a failure
   * fails it without running it (docs: batch/latest/userguide/job_dependencies.html). A job still
   * SUBMITTED is only marked: the scheduler's next pass fails it.
   */
  private dependencySettled(dependent: JobRecord, succeeded: boolean): void {
    if (succeeded) {
      dependent.unmetDependencies--;
      if (dependent.unmetDependencies === 0 && dependent.status === 'PENDING') this.becomeReady(dependent);
    } else if (dependent.status === 'SUBMITTED') {
      dependent.dependencyFailed = true;
    } else if (dependent.status === 'PENDING') {
      this.finish(dependent, 'FAILED', StatusReasons.dependencyFailed);
    }
  }

  private stopJob(job: JobEntry, reason: string, terminate: boolean): void {
    // A spilled job is final: there is nothing left to stop.
    if (job instanceof SpilledJob) return;
    if (job.array?.expanded) {
      // The parent ends at once with the caller's reason; each child is then cancelled or terminated
      // as a job of its own (docs: batch/latest/userguide/array_jobs.html).
      if (!isFinal(job.status)) {
        if (terminate) job.isTerminated = true;
        else job.isCancelled = true;
        this.finish(job, 'FAILED', reason);
      }
      for (let index = 0; index < job.array.size; index++) {
        const child = this.jobs.get(`${job.jobId}:${index}`);
        if (child) this.stopJob(child, reason, terminate);
      }
      return;
    }
    switch (job.status) {
      case 'SUBMITTED':
      case 'PENDING':
      case 'RUNNABLE':
        job.isCancelled = true;
        this.finish(job, 'FAILED', reason);
        return;
      case 'STARTING':
      case 'RUNNING':
        if (!terminate) return;
        job.isTerminated = true;
        this.kill(job, 'terminate', reason);
        return;
      default:
        return;
    }
  }

  private kill(job: JobRecord, why: KillReason, statusReason: string): void {
    const run = job.run;
    if (!run || run.killReason) return;
    run.killReason = why;
    run.killStatusReason = statusReason;
    if (!run.process) return; // startAttempt sees killReason before launching
    this.signal(run.process, run.stop.signal, why === 'close' ? 'SIGKILL' : 'SIGTERM');
  }

  /** The launcher holds a signal sent before the process exists and drops one sent after it ended. */
  private signal(launched: LaunchedProcess, stopped: AbortSignal, signal: NodeJS.Signals): void {
    launched.kill(signal);
    if (signal === 'SIGTERM') {
      // Batch sends SIGKILL when the container is still running 30 s after SIGTERM (docs: batch/latest/userguide/job_timeouts.html).
      this.clock.sleep(stopGraceMs, stopped).then(() => launched.kill('SIGKILL'), noop);
    }
  }

  // ---------------------------------------------------------------- execution

  private environmentFor(job: JobRecord, attempt: number): Record<string, string> {
    const environment: Record<string, string> = { ...this.jobEnvironment };
    if (process.env.PATH !== undefined) environment.PATH = process.env.PATH;
    if (process.env.HOME !== undefined) environment.HOME = process.env.HOME;
    for (const entry of job.environment) environment[entry.name as string] = entry.value ?? '';
    environment.AWS_BATCH_JOB_ID = job.jobId;
    environment.AWS_BATCH_JOB_ATTEMPT = String(attempt);
    environment.AWS_BATCH_JQ_NAME = job.queue.name;
    // Every job is placed on the first compute environment of its queue (one pool is shared locally).
    environment.AWS_BATCH_CE_NAME = job.queue.computeEnvironments[0] ?? '';
    if (job.parent?.array && job.arrayIndex !== undefined) {
      environment.AWS_BATCH_JOB_ARRAY_INDEX = String(job.arrayIndex);
      environment.AWS_BATCH_JOB_ARRAY_SIZE = String(job.parent.array.size);
    }
    return environment;
  }

  private async startAttempt(job: JobRecord, reservedVcpus: number): Promise<void> {
    let markExited = noop;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const run: RunState = { reservedVcpus, stop: new AbortController(), exited, markExited };
    job.run = run;
    this.running.add(job);
    this.setStatus(job, 'STARTING');
    const taskId = randomUUID().replaceAll('-', '');
    const attempt: AttemptRecord = {
      taskId,
      taskArn: `arn:aws:ecs:${this.region}:${this.accountId}:task/AWSBatch-${job.queue.computeEnvironments[0] ?? 'local'}/${taskId}`,
      logStreamName: `${job.definition.name}/default/${taskId}`,
    };
    job.attempts.push(attempt);

    let request: LaunchRequest;
    try {
      const invocation = await this.prepareInvocation({
        command: [...job.command],
        environment: this.environmentFor(job, job.attempts.length),
      });
      const file = invocation.command[0];
      if (file === undefined) throw new ContainerStartError('the command is empty');
      const logFile = logFileFor(this.stateDir, attempt.logStreamName);
      const directory = dirname(logFile);
      if (!this.createdLogDirs.has(directory)) {
        await mkdir(directory, { recursive: true });
        this.createdLogDirs.add(directory);
      }
      // Looked up here, not left to the shell: its 127 could also be the program's own exit code.
      const searchPath = invocation.environment.PATH;
      const lookup = await this.commandLocator.locate(file, searchPath, this.cwd);
      if (!lookup.found) {
        // The attempt's log stream exists even though nothing ran, as it did when Node spawned jobs.
        await appendFile(logFile, '').catch(noop);
        throw new ContainerStartError(lookup.message);
      }
      // Without PATH the shell would search a default of its own; name the file found instead.
      const command = searchPath === undefined ? [lookup.path, ...invocation.command.slice(1)] : invocation.command;
      request = { command, environment: invocation.environment, cwd: this.cwd, logFile };
    } catch (error) {
      this.endAttempt(job, attempt, {
        statusReason: StatusReasons.taskFailedToStart,
        reason: `CannotStartContainerError: ${(error as Error).message}`,
      });
      return;
    }
    if (run.killReason) {
      this.endAttempt(job, attempt, {});
      return;
    }
    let launched: LaunchedProcess;
    try {
      launched = this.launcher.launch(request);
    } catch (error) {
      this.endAttempt(job, attempt, {
        statusReason: StatusReasons.taskFailedToStart,
        reason: `CannotStartContainerError: ${(error as Error).message}`,
      });
      return;
    }
    run.process = launched;
    // The launcher resolves `pid` before `outcome`, so RUNNING always precedes the end.
    void launched.pid.then((pid) => {
      if (pid === undefined) return;
      this.spawnedCount++;
      const now = this.clock.now();
      attempt.startedAt = now;
      job.startedAt = now;
      this.setStatus(job, 'RUNNING');
      if (!job.parent) this.journal.started(job.jobId, now, attempt.logStreamName);
      if (!run.killReason && job.timeoutSeconds !== undefined) {
        this.clock
          .sleep(job.timeoutSeconds * 1000, run.stop.signal)
          .then(() => this.kill(job, 'timeout', StatusReasons.timeout), noop);
      }
    });
    void launched.outcome.then((outcome) => this.endAttempt(job, attempt, attemptOutcome(outcome)));
  }

  private endAttempt(
    job: JobRecord,
    attempt: AttemptRecord,
    outcome: { exitCode?: number; reason?: string; statusReason?: string },
  ): void {
    const run = job.run;
    if (!run) return;
    job.run = undefined;
    this.running.delete(job);
    // A given reason spares the DOMException (and its stack trace) `abort()` would build per attempt.
    run.stop.abort(attemptEnded);
    this.freeVcpus += run.reservedVcpus;
    attempt.stoppedAt = this.clock.now();
    if (outcome.exitCode !== undefined) attempt.exitCode = outcome.exitCode;
    if (outcome.reason !== undefined) attempt.reason = outcome.reason;
    attempt.statusReason = run.killStatusReason ?? outcome.statusReason ?? StatusReasons.containerExited;
    run.markExited();

    if (!run.killReason && outcome.exitCode === 0) {
      this.finish(job, 'SUCCEEDED', attempt.statusReason);
    } else if (
      // Timed-out, terminated and cancelled attempts are never retried (docs: batch/latest/userguide/job_retries.html).
      !run.killReason &&
      !this.closed &&
      decideRetry(job.retryStrategy, job.attempts.length, {
        ...(attempt.exitCode === undefined ? {} : { exitCode: attempt.exitCode }),
        ...(attempt.reason === undefined ? {} : { reason: attempt.reason }),
        statusReason: attempt.statusReason,
      }) === 'RETRY'
    ) {
      this.setStatus(job, 'RUNNABLE');
      job.queue.runnable.push(job);
    } else {
      this.finish(job, 'FAILED', attempt.statusReason);
    }
    this.scheduleTick();
  }

  // ---------------------------------------------------------------- output shapes

  private toDetail(job: JobRecord): JobDetail {
    const last = job.attempts.at(-1);
    const finished = job.attempts.filter((attempt) => attempt.stoppedAt !== undefined);
    const detail: JobDetail = {
      jobArn: job.jobArn,
      jobName: job.jobName,
      jobId: job.jobId,
      jobQueue: job.queue.arn,
      status: job.status,
      attempts: finished.map((attempt) => ({
        container: {
          taskArn: attempt.taskArn,
          ...(attempt.exitCode === undefined ? {} : { exitCode: attempt.exitCode }),
          ...(attempt.reason === undefined ? {} : { reason: attempt.reason }),
          logStreamName: attempt.logStreamName,
          networkInterfaces: [],
        },
        ...(attempt.startedAt === undefined ? {} : { startedAt: attempt.startedAt }),
        ...(attempt.stoppedAt === undefined ? {} : { stoppedAt: attempt.stoppedAt }),
        ...(attempt.statusReason === undefined ? {} : { statusReason: attempt.statusReason }),
      })),
      createdAt: job.createdAt,
      retryStrategy: job.retryStrategy,
      startedAt: job.startedAt,
      dependsOn: job.dependsOn ?? [],
      jobDefinition: job.definition.arn,
      parameters: job.parameters,
      platformCapabilities: [],
      propagateTags: job.propagateTags ?? false,
    };
    if (job.statusReason !== undefined) detail.statusReason = job.statusReason;
    if (job.stoppedAt !== undefined) detail.stoppedAt = job.stoppedAt;
    if (job.shareIdentifier !== undefined) detail.shareIdentifier = job.shareIdentifier;
    if (job.schedulingPriority !== undefined) detail.schedulingPriority = job.schedulingPriority;
    if (job.timeoutSeconds !== undefined) detail.timeout = { attemptDurationSeconds: job.timeoutSeconds };
    if (job.tags) detail.tags = job.tags;
    if (job.isCancelled) detail.isCancelled = true;
    if (job.isTerminated) detail.isTerminated = true;
    if (job.array) {
      detail.arrayProperties = {
        size: job.array.size,
        statusSummary: this.statusSummary(job.array),
        statusSummaryLastUpdatedAt: this.clock.now(),
      };
    } else {
      if (job.parent?.array && job.arrayIndex !== undefined) detail.arrayProperties = { index: job.arrayIndex };
      detail.container = {
        image: job.definition.config.image,
        command: job.command,
        environment: job.environment,
        resourceRequirements: [
          { type: 'VCPU', value: String(job.vcpus) },
          { type: 'MEMORY', value: String(job.memory) },
        ],
        mountPoints: [],
        volumes: [],
        ulimits: [],
        secrets: [],
        networkInterfaces: [],
        ...(last?.exitCode === undefined ? {} : { exitCode: last.exitCode }),
        ...(last?.reason === undefined ? {} : { reason: last.reason }),
        ...(last ? { taskArn: last.taskArn, logStreamName: last.logStreamName } : {}),
      };
    }
    return detail;
  }

  private statusSummary(array: ArrayParentState): Record<string, number> {
    const summary: Record<string, number> = {};
    for (const status of jobStatuses) summary[status] = array.childrenByStatus.size(status);
    return summary;
  }

  private summaryFields(job: JobRecord): SummaryFields {
    const last = job.attempts.at(-1);
    return {
      jobId: job.jobId,
      jobName: job.jobName,
      createdAt: job.createdAt,
      status: job.status,
      definition: job.definition,
      statusReason: job.statusReason,
      startedAt: job.startedAt,
      stoppedAt: job.stoppedAt,
      shareIdentifier: job.shareIdentifier,
      exitCode: last?.exitCode,
      reason: last?.reason,
      arraySize: job.array?.size,
      arrayIndex: job.arrayIndex,
      isCancelled: job.isCancelled,
      isTerminated: job.isTerminated,
    };
  }

  private toSummary(job: SummaryFields): JobSummary {
    const summary: JobSummary = {
      jobArn: this.arn('job', job.jobId),
      jobId: job.jobId,
      jobName: job.jobName,
      createdAt: job.createdAt,
      status: job.status,
      jobDefinition: job.definition.arn,
    };
    if (job.statusReason !== undefined) summary.statusReason = job.statusReason;
    if (job.startedAt !== undefined) summary.startedAt = job.startedAt;
    if (job.stoppedAt !== undefined) summary.stoppedAt = job.stoppedAt;
    if (job.shareIdentifier !== undefined) summary.shareIdentifier = job.shareIdentifier;
    if (job.exitCode !== undefined || job.reason !== undefined) {
      summary.container = {
        ...(job.exitCode === undefined ? {} : { exitCode: job.exitCode }),
        ...(job.reason === undefined ? {} : { reason: job.reason }),
      };
    }
    if (job.arraySize !== undefined) summary.arrayProperties = { size: job.arraySize };
    else if (job.arrayIndex !== undefined) summary.arrayProperties = { index: job.arrayIndex };
    if (job.isCancelled) summary.isCancelled = true;
    if (job.isTerminated) summary.isTerminated = true;
    return summary;
  }
}
