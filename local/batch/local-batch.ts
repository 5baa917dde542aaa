/**
 * The local AWS Batch service in-process: the configuration's resources, the job store, the
 * scheduler and the process executor put together, behind the operations of the AWS API.
 */
import { availableParallelism } from 'node:os';
import type {
  ComputeEnvironmentDetail,
  JobDefinition,
  JobDetail,
  JobQueueDetail,
  ListJobsResponse,
  SchedulingPolicyDetail,
  SchedulingPolicyListingDetail,
  SubmitJobResponse,
} from '@aws-sdk/client-batch';
import type { FanoutConfig } from '../../config';
import { systemClock } from '../engine/clock';
import type { Clock } from '../engine/types';
import {
  createComputeEnvironment,
  deleteComputeEnvironment,
  describeComputeEnvironments,
  updateComputeEnvironment,
} from './api/compute-environments';
import { describeJobs } from './api/describe-jobs';
import { describeJobDefinitions } from './api/describe-resources';
import { createJobQueue, deleteJobQueue, describeJobQueues, updateJobQueue } from './api/job-queues';
import { listJobs } from './api/list-jobs';
import {
  createSchedulingPolicy,
  deleteSchedulingPolicy,
  describeSchedulingPolicies,
  listSchedulingPolicies,
  updateSchedulingPolicy,
} from './api/scheduling-policies';
import type { ServiceParts } from './api/service-parts';
import { cancelJob, terminateJob } from './api/stop-job';
import { submitJob } from './api/submit-job';
import type { BatchServiceControl, BatchServiceStats } from './control';
import { BatchClientError } from './errors';
import { Executor } from './executor/executor';
import type { PrepareInvocation } from './executor/invocation';
import { ProcessLauncher } from './executor/launcher';
import { BatchResources } from './resources';
import { Scheduler } from './scheduler/scheduler';
import { JobStore } from './store/job-store';
import { SpilledJob } from './store/spilled-job';
import { isFinal } from './store/status-index';

export interface LocalBatchOptions {
  config: FanoutConfig;
  /** Logs go under `<stateDir>/batch/logs/<logStreamName>.log`. */
  stateDir: string;
  /** vCPUs this machine lends every compute environment together. @default config.local.vcpus ('auto' = this machine's cores) */
  vcpus?: number | 'auto';
  /** @default real time */
  clock?: Clock;
  /** Uniform on [0, 1): whether an attempt on a Spot compute environment is interrupted. @default Math.random */
  random?: () => number;
  /** @default identity */
  prepareInvocation?: PrepareInvocation;
  /**
   * Variables every job process starts with, below the definition's, the job's and the
   * `AWS_BATCH_*` ones (e.g. endpoints of the local services). @default {}
   */
  jobEnvironment?: Record<string, string>;
  /** File mode creation mask of job processes, e.g. 0o022; the local cloud keeps the user's for jobs while its own files are private. @default inherited */
  jobUmask?: number;
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

/**
 * The local AWS Batch service: compute environments, job queues and scheduling policies from
 * the configuration and the control-plane operations, job definitions from the configuration,
 * and a process executor on this machine's vCPUs. Every public
 * method takes and returns the shapes of the AWS API (camelCase members, epoch-ms dates),
 * so the HTTP endpoint is a thin layer and in-process callers see what the SDK would.
 * @example const batch = new LocalBatch({ config, stateDir: '.fanout' }); batch.submitJob({ jobName: 'a', jobQueue: 'fanout-high', jobDefinition: 'fanout-job' });
 */
export class LocalBatch implements BatchServiceControl {
  /** vCPUs this machine lends every compute environment together. */
  readonly vcpuCapacity: number;
  private readonly parts: ServiceParts;

  constructor(options: LocalBatchOptions) {
    const { config } = options;
    const vcpus = options.vcpus ?? config.local.vcpus;
    this.vcpuCapacity = vcpus === 'auto' ? availableParallelism() : vcpus;
    if (!Number.isFinite(this.vcpuCapacity) || this.vcpuCapacity <= 0) {
      throw new BatchClientError(`vcpus must be a positive number or "auto"; received ${String(vcpus)}`);
    }
    const clock = options.clock ?? systemClock;
    const finishedJobsInMemory = options.finishedJobsInMemory ?? 1000;
    if (!Number.isInteger(finishedJobsInMemory) || finishedJobsInMemory < 0) {
      throw new BatchClientError(
        `finishedJobsInMemory must be a non-negative integer; received ${String(options.finishedJobsInMemory)}`,
      );
    }
    const resources = new BatchResources(config, clock);
    const store = new JobStore(options.stateDir, finishedJobsInMemory, clock);
    const scheduler = new Scheduler({
      resources,
      store,
      clock,
      vcpuCapacity: this.vcpuCapacity,
      startAttempt: (job, reservedVcpus, computeEnvironment) =>
        executor.startAttempt(job, reservedVcpus, computeEnvironment),
    });
    const executor: Executor = new Executor({
      stateDir: options.stateDir,
      cwd: options.cwd ?? process.cwd(),
      prepareInvocation: options.prepareInvocation ?? ((job) => job),
      jobEnvironment: { ...options.jobEnvironment },
      jobUmask: options.jobUmask,
      launcher: options.launcher ?? new ProcessLauncher(),
      clock,
      journal: store.journal,
      region: resources.region,
      accountId: resources.accountId,
      lifecycle: scheduler,
      spot: {
        rate: config.local.spotInterruptionRate,
        afterMs: config.local.spotInterruptionAfterSeconds * 1000,
        random: options.random ?? Math.random,
      },
    });
    this.parts = { resources, store, scheduler, executor, clock };
    store.restore(resources);
  }

  /** Number of job processes spawned so far (attempts that started a process). */
  get processesSpawned(): number {
    return this.parts.executor.processesSpawned;
  }

  /** Number of jobs not yet SUCCEEDED or FAILED (array parents included). */
  get activeJobCount(): number {
    return this.parts.scheduler.activeJobCount;
  }

  /** vCPUs currently reserved by STARTING and RUNNING jobs. */
  get vcpusInUse(): number {
    return this.parts.scheduler.vcpusInUse;
  }

  /** The counters of {@link BatchServiceControl}, for callers that may talk to a child process. */
  stats(): Promise<BatchServiceStats> {
    return Promise.resolve({
      processesSpawned: this.processesSpawned,
      activeJobCount: this.activeJobCount,
      vcpusInUse: this.vcpusInUse,
      vcpuCapacity: this.vcpuCapacity,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      finishedJobsOnDisk: this.parts.store.finishedJobsOnDisk,
    });
  }

  /**
   * SubmitJob. `payloadBytes` is the size of the request as received; in-process callers
   * may omit it and the JSON size of `request` is used.
   */
  submitJob(request: unknown, payloadBytes?: number): SubmitJobResponse {
    return submitJob(this.parts, request, payloadBytes);
  }

  /** DescribeJobs: up to 100 job IDs; unknown IDs are left out, as AWS does. */
  describeJobs(request: unknown): { jobs: JobDetail[] } {
    return describeJobs(this.parts, request);
  }

  /** Describes one job, or `undefined` when no job has this ID. */
  describeJob(jobId: string): JobDetail | undefined {
    const job = this.parts.store.get(jobId);
    return job ? this.parts.store.detailOf(job) : undefined;
  }

  /**
   * ListJobs by `jobQueue` or `arrayJobId`, filtered by `jobStatus` (default RUNNING, as AWS)
   * or by `filters` (JOB_NAME, JOB_DEFINITION, BEFORE_CREATED_AT, AFTER_CREATED_AT; every status).
   */
  listJobs(request: unknown): ListJobsResponse {
    return listJobs(this.parts, request);
  }

  /**
   * TerminateJob: a STARTING or RUNNING job's process is stopped (SIGTERM, SIGKILL 30 s later)
   * and the job FAILS with the reason, never retried; an earlier job is cancelled.
   * Terminating an array parent terminates its children.
   */
  terminateJob(request: unknown): Record<string, never> {
    return terminateJob(this.parts, request);
  }

  /**
   * CancelJob: a SUBMITTED, PENDING or RUNNABLE job FAILS with the reason; a STARTING or
   * RUNNING job is left alone and the call still succeeds (docs: batch/latest/APIReference/API_CancelJob.html).
   */
  cancelJob(request: unknown): Record<string, never> {
    return cancelJob(this.parts, request);
  }

  describeJobQueues(request: unknown): { jobQueues: JobQueueDetail[] } {
    return describeJobQueues(this.parts, request);
  }

  describeJobDefinitions(request: unknown): { jobDefinitions: JobDefinition[] } {
    return describeJobDefinitions(this.parts.resources, request);
  }

  describeComputeEnvironments(request: unknown): { computeEnvironments: ComputeEnvironmentDetail[] } {
    return describeComputeEnvironments(this.parts, request);
  }

  /** CreateComputeEnvironment: MANAGED, with `computeResources` (`type`, `maxvCpus`, `subnets`). */
  createComputeEnvironment(request: unknown): { computeEnvironmentName: string; computeEnvironmentArn: string } {
    return createComputeEnvironment(this.parts, request);
  }

  updateComputeEnvironment(request: unknown): { computeEnvironmentName: string; computeEnvironmentArn: string } {
    return updateComputeEnvironment(this.parts, request);
  }

  /** DeleteComputeEnvironment: only once DISABLED and in no job queue. */
  deleteComputeEnvironment(request: unknown): Record<string, never> {
    return deleteComputeEnvironment(this.parts, request);
  }

  createJobQueue(request: unknown): { jobQueueName: string; jobQueueArn: string } {
    return createJobQueue(this.parts, request);
  }

  updateJobQueue(request: unknown): { jobQueueName: string; jobQueueArn: string } {
    return updateJobQueue(this.parts, request);
  }

  /** DeleteJobQueue: only once DISABLED; its unfinished jobs are terminated. */
  deleteJobQueue(request: unknown): Record<string, never> {
    return deleteJobQueue(this.parts, request);
  }

  createSchedulingPolicy(request: unknown): { name: string; arn: string } {
    return createSchedulingPolicy(this.parts, request);
  }

  updateSchedulingPolicy(request: unknown): Record<string, never> {
    return updateSchedulingPolicy(this.parts, request);
  }

  /** DeleteSchedulingPolicy: only when no job queue uses it. */
  deleteSchedulingPolicy(request: unknown): Record<string, never> {
    return deleteSchedulingPolicy(this.parts, request);
  }

  describeSchedulingPolicies(request: unknown): { schedulingPolicies: SchedulingPolicyDetail[] } {
    return describeSchedulingPolicies(this.parts, request);
  }

  listSchedulingPolicies(): { schedulingPolicies: SchedulingPolicyListingDetail[] } {
    return listSchedulingPolicies(this.parts);
  }

  /** Resolves when no job is left in a non-final state. */
  waitForIdle(): Promise<void> {
    return this.parts.scheduler.waitForIdle();
  }

  /** Resolves with the job's detail once it is SUCCEEDED or FAILED. */
  waitForJob(jobId: string): Promise<JobDetail> {
    const job = this.parts.store.get(jobId);
    if (!job) return Promise.reject(new BatchClientError(`jobId: job ${jobId} does not exist`));
    if (job instanceof SpilledJob || isFinal(job.status)) return Promise.resolve(this.parts.store.detailOf(job));
    return this.parts.scheduler.waitForEnd(job);
  }

  /** Stops accepting jobs, kills every job process (SIGKILL) and stops the launcher; resolves once all have exited. */
  async close(): Promise<void> {
    this.parts.scheduler.close();
    await this.parts.executor.close();
    this.parts.store.close();
  }
}
