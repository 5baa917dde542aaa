import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand, type JobDetail, ListJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { StatusReasons } from '../../../../local/batch';
import {
  batchPerTest,
  describe1,
  gated,
  ManualClock,
  maxOverlap,
  open,
  shell,
  submit,
  type TestBatch,
  testConfig,
  untilStatus,
} from '../helpers';

const start = batchPerTest();

/** The compute environment an attempt ran on, from its ECS task ARN (`task/AWSBatch-<ce>/<taskId>`). */
const environmentOf = (job: JobDetail): string =>
  /task\/AWSBatch-(.+)\/[0-9a-f]+$/.exec(job.container?.taskArn ?? '')?.[1] ?? '';

/** Waits until `count` jobs of `queue` are RUNNING. */
async function untilRunning(t: TestBatch, queue: string, count: number): Promise<JobDetail[]> {
  for (;;) {
    const { jobSummaryList } = await t.client.send(new ListJobsCommand({ jobQueue: queue, jobStatus: 'RUNNING' }));
    if ((jobSummaryList ?? []).length >= count) {
      const { jobs } = await t.client.send(
        new DescribeJobsCommand({ jobs: (jobSummaryList ?? []).map((job) => job.jobId as string) }),
      );
      return jobs ?? [];
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const config = (
  computeEnvironments: { name: string; maxvCpus: number }[],
  jobQueues: Record<string, unknown>[],
  vcpus: number,
) =>
  testConfig({
    computeEnvironments: computeEnvironments.map((ce) => ({ ...ce, type: 'FARGATE' })),
    jobQueues,
    local: { vcpus },
  });

describe('placement on compute environments', () => {
  // "if a compute environment is associated with more than one job queue, the job queue with a higher
  // priority is given preference" (https://docs.aws.amazon.com/batch/latest/userguide/create-job-queue.html)
  it('starts a higher-priority queue first on a compute environment both queues share, though the machine has room', async () => {
    const t = await start({
      config: config(
        [{ name: 'shared', maxvCpus: 1 }],
        [
          { name: 'high', priority: 100, computeEnvironments: ['shared'] },
          { name: 'low', priority: 10, computeEnvironments: ['shared'] },
        ],
        4,
      ),
    });
    const gate = await submit(t, { containerOverrides: { command: gated('first') } });
    await untilStatus(t.client, gate, 'RUNNING');
    const record = (name: string) => ({ containerOverrides: { command: shell(`echo ${name} >> order.txt`) } });
    await submit(t, { jobQueue: 'low', ...record('low1') });
    await submit(t, { jobQueue: 'high', ...record('high1') });
    await submit(t, { jobQueue: 'low', ...record('low2') });
    await submit(t, { jobQueue: 'high', ...record('high2') });
    // The shared compute environment is full (maxvCpus 1): nothing else runs while the machine has 3 vCPUs free.
    expect((await t.batch.service.stats()).vcpusInUse).toBe(1);
    open(t.dir, 'first');
    await t.batch.service.waitForIdle();
    expect(readFileSync(join(t.dir, 'order.txt'), 'utf8').trim().split('\n')).toEqual([
      'high1',
      'high2',
      'low1',
      'low2',
    ]);
  });

  // "Compute environments are selected for job placement in ascending order"
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_JobQueueDetail.html, computeEnvironmentOrder)
  it('places a job on the next compute environment in order when the first is full, and keeps a job RUNNABLE when all are', async () => {
    const t = await start({
      config: config(
        [
          { name: 'first', maxvCpus: 1 },
          { name: 'second', maxvCpus: 2 },
        ],
        [{ name: 'high', priority: 1, computeEnvironments: ['first', 'second'] }],
        8,
      ),
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await submit(t, { containerOverrides: { command: gated('all') } }));
    const running = await untilRunning(t, 'high', 3);
    const byId = new Map(running.map((job) => [job.jobId, environmentOf(job)]));
    expect(ids.slice(0, 3).map((id) => byId.get(id))).toEqual(['first', 'second', 'second']);
    expect((await describe1(t.client, ids[3] as string)).status).toBe('RUNNABLE');
    open(t.dir, 'all');
    const last = await t.batch.service.waitForJob(ids[3] as string);
    expect(last.status).toBe('SUCCEEDED');
    const attemptEnvironment = /task\/AWSBatch-(.+)\//.exec(last.attempts?.[0]?.container?.taskArn ?? '')?.[1];
    expect(['first', 'second']).toContain(attemptEnvironment);
  });

  it('never runs more vCPUs on a compute environment than its maxvCpus (sampled while jobs run, and from their times)', async () => {
    const t = await start({
      config: config(
        [
          { name: 'small', maxvCpus: 2 },
          { name: 'tiny', maxvCpus: 1 },
        ],
        [
          { name: 'high', priority: 10, computeEnvironments: ['small', 'tiny'] },
          { name: 'low', priority: 1, computeEnvironments: ['tiny', 'small'] },
        ],
        8,
      ),
    });
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      ids.push(
        await submit(t, { jobQueue: i % 2 ? 'low' : 'high', containerOverrides: { command: ['sleep', '0.05'] } }),
      );
    }
    let samples = 0;
    let sawFull = false;
    while ((await t.batch.service.stats()).activeJobCount > 0) {
      const running: JobDetail[] = [];
      for (const queue of ['high', 'low']) running.push(...(await untilRunning(t, queue, 0)));
      const perEnvironment = new Map<string, number>();
      for (const job of running.filter((job) => job.status === 'RUNNING')) {
        const name = environmentOf(job);
        perEnvironment.set(name, (perEnvironment.get(name) ?? 0) + 1);
      }
      expect(perEnvironment.get('small') ?? 0).toBeLessThanOrEqual(2);
      expect(perEnvironment.get('tiny') ?? 0).toBeLessThanOrEqual(1);
      if ((perEnvironment.get('small') ?? 0) + (perEnvironment.get('tiny') ?? 0) === 3) sawFull = true;
      samples++;
    }
    expect(samples).toBeGreaterThan(3);
    expect(sawFull).toBe(true);
    const jobs = await Promise.all(ids.map((id) => describe1(t.client, id)));
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
    for (const [name, max] of [
      ['small', 2],
      ['tiny', 1],
    ] as const) {
      const intervals = jobs
        .filter((job) => environmentOf(job) === name)
        .map((job) => ({ start: job.startedAt as number, stop: job.stoppedAt as number }));
      expect(intervals.length).toBeGreaterThan(0);
      expect(maxOverlap(intervals)).toBeLessThanOrEqual(max);
    }
  });
});

// A RUNNABLE job at the head of its queue that no compute environment can hold blocks the queue, shows why,
// and a jobStateTimeLimitActions entry for that reason cancels it after maxTimeSeconds
// (https://docs.aws.amazon.com/batch/latest/userguide/job_stuck_in_runnable.html,
// https://docs.aws.amazon.com/batch/latest/APIReference/API_JobStateTimeLimitAction.html)
describe('jobs no compute environment can run', () => {
  const limited = (reason: string) =>
    testConfig({
      jobQueues: [
        {
          name: 'high',
          priority: 1,
          computeEnvironments: ['ce-ondemand'],
          jobStateTimeLimitActions: [{ reason, state: 'RUNNABLE', maxTimeSeconds: 600, action: 'CANCEL' }],
        },
      ],
    });

  async function untilBlocked(t: TestBatch, jobId: string): Promise<JobDetail> {
    for (;;) {
      const job = await describe1(t.client, jobId);
      if (job.statusReason) return job;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('cancels a job wider than every compute environment after maxTimeSeconds, and the next job then runs', async () => {
    const clock = new ManualClock();
    const reason = 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE';
    const t = await start({ clock, config: limited(reason) });
    // ce-ondemand has maxvCpus 4.
    const wide = await submit(t, { containerOverrides: { resourceRequirements: [{ type: 'VCPU', value: '5' }] } });
    const next = await submit(t, {});
    const blocked = await untilBlocked(t, wide);
    expect(blocked.status).toBe('RUNNABLE');
    expect(blocked.statusReason).toBe(StatusReasons.blocked[reason]);
    expect((await describe1(t.client, next)).status).toBe('RUNNABLE');
    clock.advance(599_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await describe1(t.client, wide)).status).toBe('RUNNABLE');
    clock.advance(1_000);
    const cancelled = await t.batch.service.waitForJob(wide);
    expect(cancelled.status).toBe('FAILED');
    expect(cancelled.statusReason).toBe(`Canceled by JobStateTimeLimit action due to reason: ${reason}`);
    expect(cancelled.isCancelled).toBe(true);
    expect((await t.batch.service.waitForJob(next)).status).toBe('SUCCEEDED');
  });

  it('names a job wider than this machine but within maxvCpus by its own reason, which another reason does not cancel', async () => {
    const clock = new ManualClock();
    const t = await start({ clock, config: limited('MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE') });
    // The machine lends 2 vCPUs (local.vcpus), ce-ondemand allows 4.
    const wide = await submit(t, { containerOverrides: { resourceRequirements: [{ type: 'VCPU', value: '3' }] } });
    const blocked = await untilBlocked(t, wide);
    expect(blocked.statusReason).toBe(StatusReasons.blocked['MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT']);
    clock.advance(3_600_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await describe1(t.client, wide)).status).toBe('RUNNABLE');
  });
});
