import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CancelJobCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { logFileFor } from '../../../../local/batch';
import { batchPerTest, describe1, gated, open, shell, submit, untilStatus } from '../helpers';

const start = batchPerTest();

// Array jobs (docs: batch/latest/userguide/array_jobs.html).
describe('array jobs', () => {
  it('gives children the IDs <parent>:<index> and AWS_BATCH_JOB_ARRAY_INDEX and _SIZE, which other jobs do not get', async () => {
    const t = await start();
    const printEnv = shell('env | grep "^AWS_BATCH_JOB_ARRAY" | sort > "env-${AWS_BATCH_JOB_ID}.txt"');
    const array = await submit(t, { arrayProperties: { size: 2 }, containerOverrides: { command: printEnv } });
    const single = await submit(t, { containerOverrides: { command: printEnv } });
    await t.batch.service.waitForIdle();
    // "example_job_ID:0 for the first child job"; the index variable is the bare number.
    expect(readFileSync(join(t.dir, `env-${array}:0.txt`), 'utf8')).toBe(
      'AWS_BATCH_JOB_ARRAY_INDEX=0\nAWS_BATCH_JOB_ARRAY_SIZE=2\n',
    );
    expect(readFileSync(join(t.dir, `env-${array}:1.txt`), 'utf8')).toBe(
      'AWS_BATCH_JOB_ARRAY_INDEX=1\nAWS_BATCH_JOB_ARRAY_SIZE=2\n',
    );
    expect(readFileSync(join(t.dir, `env-${single}.txt`), 'utf8')).toBe('');
  });

  it('shows the parent only as SUBMITTED, PENDING, SUCCEEDED or FAILED while its children run', async () => {
    // "The parent array job can enter a SUBMITTED, PENDING, FAILED, or SUCCEEDED status."
    const t = await start({ vcpus: 2 });
    const array = await submit(t, {
      arrayProperties: { size: 2 },
      containerOverrides: { command: gated('$AWS_BATCH_JOB_ARRAY_INDEX') },
    });
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        seen.add((await describe1(t.client, array)).status as string);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await untilStatus(t.client, `${array}:0`, 'RUNNING');
    await untilStatus(t.client, `${array}:1`, 'RUNNING');
    expect((await describe1(t.client, array)).status).toBe('PENDING');
    const running = await t.client.send(new ListJobsCommand({ jobQueue: 'high', jobStatus: 'RUNNING' }));
    expect(running.jobSummaryList).toEqual([]);
    const pending = await t.client.send(new ListJobsCommand({ jobQueue: 'high', jobStatus: 'PENDING' }));
    expect(pending.jobSummaryList?.map((summary) => [summary.jobId, summary.arrayProperties?.size])).toEqual([
      [array, 2],
    ]);
    open(t.dir, 0);
    open(t.dir, 1);
    await t.batch.service.waitForJob(array);
    watching = false;
    await watcher;
    seen.add((await describe1(t.client, array)).status as string);
    expect([...seen].every((status) => ['SUBMITTED', 'PENDING', 'SUCCEEDED'].includes(status))).toBe(true);
    expect(seen).toContain('PENDING');
    expect(seen).toContain('SUCCEEDED');
  });

  it('fails the parent as soon as a child fails, while the other children run to their end', async () => {
    // "If a child array job fails [...], the parent job also fails."
    const t = await start({ vcpus: 3 });
    const array = await submit(t, {
      arrayProperties: { size: 3 },
      containerOverrides: {
        command: shell('[ "$AWS_BATCH_JOB_ARRAY_INDEX" = 1 ] && exit 4; while [ ! -f open ]; do sleep 0.01; done'),
      },
    });
    const parent = await t.batch.service.waitForJob(array);
    expect(parent).toMatchObject({ status: 'FAILED', statusReason: 'Array Child Job failed' });
    expect(parent.arrayProperties?.statusSummary).toMatchObject({ FAILED: 1 });
    const siblings = await t.client.send(new DescribeJobsCommand({ jobs: [`${array}:0`, `${array}:2`] }));
    for (const sibling of siblings.jobs ?? []) expect(['STARTING', 'RUNNING']).toContain(sibling.status);
    expect(siblings.jobs).toHaveLength(2);
    writeFileSync(join(t.dir, 'open'), '');
    await t.batch.service.waitForIdle();
    const after = await describe1(t.client, array);
    expect(after).toMatchObject({
      status: 'FAILED',
      statusReason: 'Array Child Job failed',
      arrayProperties: { size: 3 },
    });
    expect(after.arrayProperties?.statusSummary).toEqual({
      SUBMITTED: 0,
      PENDING: 0,
      RUNNABLE: 0,
      STARTING: 0,
      RUNNING: 0,
      SUCCEEDED: 2,
      FAILED: 1,
    });
    const children = await t.client.send(
      new DescribeJobsCommand({ jobs: [0, 1, 2].map((index) => `${array}:${index}`) }),
    );
    expect(children.jobs?.map((job) => [job.status, job.container?.exitCode, job.arrayProperties])).toEqual([
      ['SUCCEEDED', 0, { index: 0 }],
      ['FAILED', 4, { index: 1 }],
      ['SUCCEEDED', 0, { index: 2 }],
    ]);
  });

  it('cancels a parent with the caller reason and cancels its children that have not started', async () => {
    const t = await start({ vcpus: 1 });
    const array = await submit(t, { arrayProperties: { size: 3 }, containerOverrides: { command: gated('0') } });
    await untilStatus(t.client, `${array}:0`, 'RUNNING');
    await t.client.send(new CancelJobCommand({ jobId: array, reason: 'not needed' }));
    expect(await describe1(t.client, array)).toMatchObject({
      status: 'FAILED',
      statusReason: 'not needed',
      isCancelled: true,
    });
    // A running child is not cancelled (docs: batch/latest/APIReference/API_CancelJob.html).
    expect((await describe1(t.client, `${array}:0`)).status).toBe('RUNNING');
    open(t.dir, 0);
    await t.batch.service.waitForIdle();
    const children = await t.client.send(
      new DescribeJobsCommand({ jobs: [0, 1, 2].map((index) => `${array}:${index}`) }),
    );
    expect(children.jobs?.map((job) => [job.status, job.statusReason, job.isCancelled])).toEqual([
      ['SUCCEEDED', 'Essential container in task exited', undefined],
      ['FAILED', 'not needed', true],
      ['FAILED', 'not needed', true],
    ]);
  });

  it('terminates a parent with the caller reason and stops its running children', async () => {
    const t = await start({ vcpus: 2 });
    const array = await submit(t, { arrayProperties: { size: 2 }, containerOverrides: { command: ['sleep', '30'] } });
    await untilStatus(t.client, `${array}:1`, 'RUNNING');
    await t.client.send(new TerminateJobCommand({ jobId: array, reason: 'abort run' }));
    expect(await describe1(t.client, array)).toMatchObject({
      status: 'FAILED',
      statusReason: 'abort run',
      isTerminated: true,
    });
    await t.batch.service.waitForIdle();
    const children = await t.client.send(new DescribeJobsCommand({ jobs: [`${array}:0`, `${array}:1`] }));
    expect(children.jobs?.map((job) => [job.status, job.statusReason, job.isTerminated])).toEqual([
      ['FAILED', 'abort run', true],
      ['FAILED', 'abort run', true],
    ]);
  });

  it('lets DescribeJobs and ListJobs read finished children moved to disk, with their logs, exit codes and attempts', async () => {
    const t = await start({ vcpus: 2, finishedJobsInMemory: 0 });
    const array = await submit(t, {
      arrayProperties: { size: 4 },
      retryStrategy: { attempts: 2 },
      containerOverrides: {
        command: shell(
          'echo "child $AWS_BATCH_JOB_ARRAY_INDEX attempt $AWS_BATCH_JOB_ATTEMPT"; [ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]',
        ),
      },
    });
    await t.batch.service.waitForIdle();
    expect((await t.batch.service.stats()).finishedJobsOnDisk).toBe(4);
    const { jobs } = await t.client.send(
      new DescribeJobsCommand({ jobs: [array, ...[0, 1, 2, 3].map((index) => `${array}:${index}`)] }),
    );
    expect(jobs?.[0]).toMatchObject({
      jobId: array,
      status: 'FAILED',
      arrayProperties: { size: 4, statusSummary: { SUCCEEDED: 3, FAILED: 1 } },
    });
    const failed = jobs?.[3];
    expect(failed).toMatchObject({
      jobId: `${array}:2`,
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      container: { exitCode: 1 },
    });
    expect(failed?.attempts?.map((attempt) => attempt.container?.exitCode)).toEqual([1, 1]);
    for (const child of jobs?.slice(1) ?? []) {
      expect(child.startedAt).toBeLessThanOrEqual(child.stoppedAt as number);
      const attempts = child.attempts ?? [];
      const index = child.arrayProperties?.index as number;
      const log = readFileSync(logFileFor(t.dir, child.container?.logStreamName as string), 'utf8');
      expect(log).toBe(`child ${index} attempt ${attempts.length}\n`);
    }
    const listed = await t.client.send(new ListJobsCommand({ arrayJobId: array, jobStatus: 'FAILED' }));
    expect(listed.jobSummaryList).toMatchObject([
      {
        jobId: `${array}:2`,
        statusReason: 'Essential container in task exited',
        container: { exitCode: 1 },
        arrayProperties: { index: 2 },
      },
    ]);
  });

  it('runs one child per index with AWS_BATCH_JOB_ARRAY_INDEX and SIZE, and the parent SUCCEEDS', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'array',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: {
          command: shell(
            'echo "$AWS_BATCH_JOB_ARRAY_INDEX/$AWS_BATCH_JOB_ARRAY_SIZE" > "child-$AWS_BATCH_JOB_ARRAY_INDEX"',
          ),
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const parent = await describe1(client, jobId as string);
    expect(parent.status).toBe('SUCCEEDED');
    expect(parent.arrayProperties).toMatchObject({ size: 3, statusSummary: { SUCCEEDED: 3, FAILED: 0 } });
    for (const index of [0, 1, 2]) expect(readFileSync(join(dir, `child-${index}`), 'utf8')).toBe(`${index}/3\n`);
    // Children are `<parentId>:<index>` (docs: batch/latest/userguide/array_jobs.html).
    const child = await describe1(client, `${jobId}:1`);
    expect(child).toMatchObject({ status: 'SUCCEEDED', arrayProperties: { index: 1 } });
    const { jobSummaryList } = await client.send(new ListJobsCommand({ arrayJobId: jobId, jobStatus: 'SUCCEEDED' }));
    expect(jobSummaryList?.map((summary) => summary.jobId).sort()).toEqual(
      [0, 1, 2].map((index) => `${jobId}:${index}`),
    );
  });

  it('fails the parent when any child fails', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'array',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: { command: shell('[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 1 ]') },
      }),
    );
    await batch.service.waitForIdle();
    const parent = await describe1(client, jobId as string);
    expect(parent.status).toBe('FAILED');
    expect(parent.arrayProperties?.statusSummary).toMatchObject({ SUCCEEDED: 2, FAILED: 1 });
  });

  it('runs SEQUENTIAL children in index order and fails the rest after a failure', async () => {
    const { client, batch, dir } = await start({ vcpus: 4 });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'seq',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 4 },
        dependsOn: [{ type: 'SEQUENTIAL' }],
        containerOverrides: {
          command: shell('echo $AWS_BATCH_JOB_ARRAY_INDEX >> order.txt; [ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]'),
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    expect(readFileSync(join(dir, 'order.txt'), 'utf8')).toBe('0\n1\n2\n');
    expect(await describe1(client, `${jobId}:3`)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect((await describe1(client, jobId as string)).status).toBe('FAILED');
  });

  it('terminates every child when the parent is terminated', async () => {
    const { client, batch } = await start({ vcpus: 1 });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'arr',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, `${jobId}:0`, 'RUNNING');
    await client.send(new TerminateJobCommand({ jobId, reason: 'abort run' }));
    await batch.service.waitForIdle();
    const children = await Promise.all([0, 1, 2].map((index) => describe1(client, `${jobId}:${index}`)));
    expect(children.map((child) => [child.status, child.statusReason])).toEqual([
      ['FAILED', 'abort run'],
      ['FAILED', 'abort run'],
      ['FAILED', 'abort run'],
    ]);
    expect(batch.service.processesSpawned).toBe(1);
  });
});
