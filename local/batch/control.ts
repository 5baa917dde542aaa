/** What callers read from a running local Batch service besides its AWS API, in-process or in a child process. */
import type { JobDetail } from '@aws-sdk/client-batch';

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
 * the service runs on this event loop (`LocalBatch`) or in a child process.
 * @example const { activeJobCount } = await control.stats(); await control.waitForIdle();
 */
export interface BatchServiceControl {
  /** Current counters. */
  stats(): Promise<BatchServiceStats>;
  /** Resolves when no job is left in a non-final state. */
  waitForIdle(): Promise<void>;
  /** Resolves with the job's detail once it is SUCCEEDED or FAILED; rejects with `BatchClientError` for an unknown job. */
  waitForJob(jobId: string): Promise<JobDetail>;
}
