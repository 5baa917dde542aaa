import { type BatchClient, DescribeJobsCommand, type JobDetail } from '@aws-sdk/client-batch';
import { StatesError, StatesErrors } from '../../errors';
import type { Clock } from '../../types';
import { isSdkServiceError } from './sdk-errors';

/** DescribeJobs accepts at most 100 job ids per call (docs: batch/latest/APIReference/API_DescribeJobs.html). */
const DESCRIBE_JOBS_LIMIT = 100;

/** How a job is polled: its last status seen and when to look again. */
interface PollState {
  status?: string | undefined;
  delayMs: number;
  dueAt: number;
}

/** Each unchanged answer stretches a job's polling interval by this factor. */
const BACKOFF_FACTOR = 1.5;

interface Waiter {
  resolve(job: JobDetail): void;
  reject(error: unknown): void;
  signal: AbortSignal;
  onAbort(): void;
}

/** API errors after which polling simply tries again on the next tick. */
const TRANSIENT_ERRORS = new Set(['ServerException', 'TooManyRequestsException', 'ThrottlingException']);

/**
 * Waits for many Batch jobs at once with one timer: every tick, the job ids due for a look are
 * described in DescribeJobs calls of at most 100 ids, and nothing runs while nobody waits.
 * A job whose status did not change since the last look is looked at less often (up to
 * `maxIntervalMs`); a change brings it back to every tick. Thousands of jobs queued behind a
 * few running ones thus cost a few calls per second, while a running job's end is seen within
 * a tick or two.
 */
export class JobWatcher {
  private readonly waiting = new Map<string, Set<Waiter>>();
  private readonly polls = new Map<string, PollState>();
  private polling = false;

  constructor(
    private readonly client: BatchClient,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    /** Maps a DescribeJobs failure that is not transient to the error the waiting tasks fail with. */
    private readonly toTaskError: (error: unknown) => unknown,
    private readonly maxIntervalMs: number = Math.max(intervalMs, 2_000),
  ) {}

  /** Number of jobs currently waited on. */
  get size(): number {
    return this.waiting.size;
  }

  /** Resolves with the job detail once the job is SUCCEEDED or FAILED; rejects with the signal's reason on abort. */
  watch(jobId: string, signal: AbortSignal): Promise<JobDetail> {
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<JobDetail>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.remove(jobId, waiter);
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      let waiters = this.waiting.get(jobId);
      if (!waiters) {
        waiters = new Set();
        this.waiting.set(jobId, waiters);
        this.polls.set(jobId, { delayMs: this.intervalMs, dueAt: this.clock.now() });
      }
      waiters.add(waiter);
      if (!this.polling) void this.pollUntilIdle();
    });
  }

  private remove(jobId: string, waiter: Waiter): void {
    const waiters = this.waiting.get(jobId);
    if (!waiters) return;
    waiters.delete(waiter);
    if (waiters.size === 0) {
      this.waiting.delete(jobId);
      this.polls.delete(jobId);
    }
  }

  private settle(jobId: string, outcome: (waiter: Waiter) => void): void {
    const waiters = this.waiting.get(jobId);
    if (!waiters) return;
    this.waiting.delete(jobId);
    this.polls.delete(jobId);
    for (const waiter of waiters) {
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      outcome(waiter);
    }
  }

  private async pollUntilIdle(): Promise<void> {
    this.polling = true;
    try {
      while (this.waiting.size > 0) {
        await this.clock.sleep(this.intervalMs);
        if (this.waiting.size > 0) await this.pollOnce();
      }
    } finally {
      this.polling = false;
    }
  }

  private async pollOnce(): Promise<void> {
    const now = this.clock.now();
    const ids: string[] = [];
    for (const [jobId, poll] of this.polls) if (poll.dueAt <= now) ids.push(jobId);
    const calls: Promise<void>[] = [];
    for (let start = 0; start < ids.length; start += DESCRIBE_JOBS_LIMIT) {
      calls.push(this.describe(ids.slice(start, start + DESCRIBE_JOBS_LIMIT)));
    }
    await Promise.all(calls);
  }

  private async describe(jobIds: string[]): Promise<void> {
    let jobs: JobDetail[];
    try {
      jobs = (await this.client.send(new DescribeJobsCommand({ jobs: jobIds }))).jobs ?? [];
    } catch (error) {
      if (isTransient(error)) return;
      const failure = this.toTaskError(error);
      for (const jobId of jobIds) this.settle(jobId, (waiter) => waiter.reject(failure));
      return;
    }
    const seen = new Set<string>();
    const now = this.clock.now();
    for (const job of jobs) {
      if (!job.jobId) continue;
      seen.add(job.jobId);
      if (job.status === 'SUCCEEDED' || job.status === 'FAILED') {
        this.settle(job.jobId, (waiter) => waiter.resolve(job));
        continue;
      }
      const poll = this.polls.get(job.jobId);
      if (!poll) continue;
      poll.delayMs =
        poll.status === job.status ? Math.min(poll.delayMs * BACKOFF_FACTOR, this.maxIntervalMs) : this.intervalMs;
      poll.status = job.status;
      poll.dueAt = now + poll.delayMs;
    }
    if (seen.size === jobIds.length) return;
    for (const jobId of jobIds) {
      if (seen.has(jobId)) continue;
      const failure = new StatesError(
        StatesErrors.TaskFailed,
        `AWS Batch no longer knows job ${jobId}: DescribeJobs did not return it, so its outcome cannot be known.`,
      );
      this.settle(jobId, (waiter) => waiter.reject(failure));
    }
  }
}

/** Throttling, server faults and network failures (connection refused, reset) are retried on the next tick. */
function isTransient(error: unknown): boolean {
  if (!isSdkServiceError(error)) return typeof (error as { code?: unknown } | null)?.code === 'string';
  return TRANSIENT_ERRORS.has(error.name) || (error.$metadata.httpStatusCode ?? 0) >= 500;
}
