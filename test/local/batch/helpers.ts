import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchClient,
  ClientException,
  DescribeJobsCommand,
  type JobDetail,
  SubmitJobCommand,
  type SubmitJobCommandInput,
} from '@aws-sdk/client-batch';
import { afterEach, expect } from 'vitest';
import { type FanoutConfig, parseConfig } from '../../../config';
import {
  type InProcessBatchServiceOptions,
  type LocalBatch,
  type RunningBatchService,
  startBatchService,
} from '../../../local/batch';
import type { Clock } from '../../../local/engine/types';

/** Two queues (high 100, low 10) over two compute environments, one cheap job definition. */
export function testConfig(overrides: Record<string, unknown> = {}): FanoutConfig {
  return parseConfig({
    computeEnvironments: [
      { name: 'ce-ondemand', type: 'FARGATE', maxvCpus: 4 },
      { name: 'ce-spot', type: 'FARGATE_SPOT', maxvCpus: 4 },
    ],
    jobQueues: [
      { name: 'high', priority: 100, computeEnvironments: ['ce-ondemand', 'ce-spot'] },
      { name: 'low', priority: 10, computeEnvironments: ['ce-spot'] },
      { name: 'shared', priority: 50, computeEnvironments: ['ce-ondemand'], schedulingPolicy: 'fair' },
    ],
    jobDefinitions: [
      {
        name: 'job',
        image: 'local/job:latest',
        vcpus: 1,
        memoryMiB: 512,
        command: ['true'],
        environment: { FROM_DEFINITION: 'def' },
      },
    ],
    local: { vcpus: 2 },
    ...overrides,
  });
}

export interface TestBatch {
  batch: RunningBatchService<LocalBatch>;
  client: BatchClient;
  dir: string;
  close(): Promise<void>;
}

/** Starts the service in-process on an ephemeral port with a temporary state and working directory. */
export async function startTestBatch(options: Partial<InProcessBatchServiceOptions> = {}): Promise<TestBatch> {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-batch-'));
  const batch = await startBatchService({ config: testConfig(), stateDir: dir, cwd: dir, ...options, inProcess: true });
  const client = new BatchClient({
    endpoint: batch.url,
    region: 'us-east-1',
    credentials: batch.credentials,
    maxAttempts: 1,
  });
  return {
    batch,
    client,
    dir,
    async close() {
      client.destroy();
      await batch.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function describe1(client: BatchClient, jobId: string): Promise<JobDetail> {
  const { jobs } = await client.send(new DescribeJobsCommand({ jobs: [jobId] }));
  const job = jobs?.[0];
  if (!job) throw new Error(`job ${jobId} not described`);
  return job;
}

/** Polls DescribeJobs until the job reaches `status` (the test's own timeout bounds the wait). */
export async function untilStatus(client: BatchClient, jobId: string, status: string): Promise<JobDetail> {
  for (;;) {
    const job = await describe1(client, jobId);
    if (job.status === status) return job;
    if ((job.status === 'SUCCEEDED' || job.status === 'FAILED') && job.status !== status) {
      throw new Error(`job ${jobId} ended ${job.status} (${job.statusReason}) while waiting for ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A clock that moves only when told to; sleepers wake in due order. */
export class ManualClock implements Clock {
  private current = Date.parse('2025-01-01T00:00:00Z');
  private sleepers: { due: number; resolve: () => void }[] = [];

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper = { due: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((entry) => entry !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Number of sleeps not yet woken. */
  get pending(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.current += ms;
    const due = this.sleepers.filter((entry) => entry.due <= this.current);
    this.sleepers = this.sleepers.filter((entry) => entry.due > this.current);
    for (const entry of due) entry.resolve();
  }
}

/** Largest number of [start, stop] intervals open at the same time (a stop sorts before a start at the same instant). */
export function maxOverlap(intervals: { start: number; stop: number }[]): number {
  const events = intervals.flatMap(({ start, stop }) => [
    { at: start, delta: 1 },
    { at: stop, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const event of events) {
    open += event.delta;
    max = Math.max(max, open);
  }
  return max;
}

/**
 * Starts a test Batch service per call and closes the last one after each test of the file.
 * @example const start = batchPerTest(); it('...', async () => { const { client } = await start(); });
 */
export function batchPerTest(): (options?: Partial<InProcessBatchServiceOptions>) => Promise<TestBatch> {
  let current: TestBatch | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options = {}) => {
    current = await startTestBatch(options);
    return current;
  };
}

/** A job command that runs `script` in `sh`. */
export const shell = (script: string): string[] => ['sh', '-c', script];

/** Waits for the file `open-<index>` (or `open-<name>`) in the working directory, then runs `then`. */
export const gated = (gate: string, then = 'true'): string[] =>
  shell(`while [ ! -f "open-${gate}" ]; do sleep 0.01; done; ${then}`);
/** Opens the gate `gate` in `dir`, letting jobs made by {@link gated} go on. */
export const open = (dir: string, gate: string | number): void => writeFileSync(join(dir, `open-${gate}`), '');

/** Submits a job to queue `high` with definition `job`, `input` on top; resolves to its ID. */
export async function submit(t: TestBatch, input: Partial<SubmitJobCommandInput>): Promise<string> {
  const { jobId } = await t.client.send(
    new SubmitJobCommand({ jobName: 'job', jobQueue: 'high', jobDefinition: 'job', ...input } as SubmitJobCommandInput),
  );
  return jobId as string;
}

/** Asserts that submitting `input` is rejected with a `ClientException` carrying `message`. */
export async function rejects(t: TestBatch, input: Partial<SubmitJobCommandInput>, message: string): Promise<void> {
  const attempt = submit(t, input);
  await expect(attempt).rejects.toBeInstanceOf(ClientException);
  await expect(attempt).rejects.toThrow(message);
}
