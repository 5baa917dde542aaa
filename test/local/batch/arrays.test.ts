import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CancelJobCommand,
  ClientException,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { logFileFor } from '../../../local/batch';
import { batchPerTest, describe1, shell, type TestBatch, untilStatus } from './helpers';

const start = batchPerTest();
/** Waits for the file `open-<index>` (or `open-<name>`) in the working directory, then runs `then`. */
const gated = (gate: string, then = 'true'): string[] =>
  shell(`while [ ! -f "open-${gate}" ]; do sleep 0.01; done; ${then}`);
const open = (dir: string, gate: string | number): void => writeFileSync(join(dir, `open-${gate}`), '');

async function submit(t: TestBatch, input: Partial<SubmitJobCommandInput>): Promise<string> {
  const { jobId } = await t.client.send(
    new SubmitJobCommand({ jobName: 'job', jobQueue: 'high', jobDefinition: 'job', ...input } as SubmitJobCommandInput),
  );
  return jobId as string;
}

async function rejects(t: TestBatch, input: Partial<SubmitJobCommandInput>, message: string): Promise<void> {
  const attempt = submit(t, input);
  await expect(attempt).rejects.toBeInstanceOf(ClientException);
  await expect(attempt).rejects.toThrow(message);
}

// Dependencies (docs: batch/latest/userguide/job_dependencies.html): a job runs only after every
// dependency SUCCEEDED; if one fails, the job moves from PENDING to FAILED without running.
describe('job dependencies', () => {
  it('waits in PENDING until every dependency has succeeded', async () => {
    const t = await start();
    const first = await submit(t, { containerOverrides: { command: gated('first') } });
    const second = await submit(t, { containerOverrides: { command: gated('second') } });
    const dependent = await submit(t, { dependsOn: [{ jobId: first }, { jobId: second }] });
    await untilStatus(t.client, dependent, 'PENDING');
    open(t.dir, 'first');
    await t.batch.service.waitForJob(first);
    expect((await describe1(t.client, dependent)).status).toBe('PENDING');
    open(t.dir, 'second');
    expect(await t.batch.service.waitForJob(dependent)).toMatchObject({
      status: 'SUCCEEDED',
      dependsOn: [{ jobId: first }, { jobId: second }],
    });
  });

  it('fails a chain of dependents with "Dependent Job failed" when the first job fails, running none of them', async () => {
    // The reason is not documented; it is the wording Batch shows on such jobs (see docs/local-batch.md).
    const t = await start();
    const first = await submit(t, { containerOverrides: { command: gated('first', 'exit 3') } });
    const second = await submit(t, { dependsOn: [{ jobId: first }] });
    const third = await submit(t, { dependsOn: [{ jobId: second }] });
    await untilStatus(t.client, third, 'PENDING');
    open(t.dir, 'first');
    await t.batch.service.waitForIdle();
    for (const jobId of [second, third]) {
      const job = await describe1(t.client, jobId);
      expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Dependent Job failed', attempts: [] });
      expect(job.startedAt).toBeUndefined();
    }
    expect(t.batch.service.processesSpawned).toBe(1);
  });

  it('fails a job submitted with a dependency that has already failed, without running it', async () => {
    const t = await start();
    const failed = await submit(t, { containerOverrides: { command: ['false'] } });
    await t.batch.service.waitForJob(failed);
    const dependent = await submit(t, { dependsOn: [{ jobId: failed }] });
    expect(await t.batch.service.waitForJob(dependent)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect(t.batch.service.processesSpawned).toBe(1);
  });

  it('accepts 20 dependencies and rejects 21, naming the field and the count', async () => {
    // "Job A can express a dependency on up to 20 other jobs" (docs: batch/latest/userguide/job_dependencies.html).
    const t = await start({ vcpus: 4 });
    const ids: string[] = [];
    for (let index = 0; index < 21; index++) ids.push(await submit(t, {}));
    const twenty = await submit(t, { dependsOn: ids.slice(0, 20).map((jobId) => ({ jobId })) });
    await rejects(
      t,
      { dependsOn: ids.map((jobId) => ({ jobId })) },
      'dependsOn: a job can depend on at most 20 jobs; received 21',
    );
    expect((await t.batch.service.waitForJob(twenty)).status).toBe('SUCCEEDED');
  });

  it('rejects a dependency on a job ID it does not know, naming the field', async () => {
    const t = await start();
    await rejects(t, { dependsOn: [{ jobId: 'no-such-job' }] }, 'dependsOn[0].jobId: job no-such-job does not exist');
    await rejects(
      t,
      { arrayProperties: { size: 2 }, dependsOn: [{ jobId: 'no-such-job', type: 'N_TO_N' }] },
      'dependsOn[0].jobId: job no-such-job does not exist',
    );
  });

  it('waits for the whole array when it depends on an array parent', async () => {
    const t = await start({ vcpus: 3 });
    const array = await submit(t, {
      arrayProperties: { size: 3 },
      containerOverrides: { command: gated('$AWS_BATCH_JOB_ARRAY_INDEX') },
    });
    const dependent = await submit(t, { dependsOn: [{ jobId: array }] });
    open(t.dir, 0);
    open(t.dir, 1);
    await t.batch.service.waitForJob(`${array}:1`);
    expect((await describe1(t.client, dependent)).status).toBe('PENDING');
    open(t.dir, 2);
    expect(await t.batch.service.waitForJob(dependent)).toMatchObject({ status: 'SUCCEEDED' });
    expect((await describe1(t.client, array)).status).toBe('SUCCEEDED');
  });

  it('fails a job that depends on an array parent once the parent has failed', async () => {
    const t = await start({ vcpus: 3 });
    const array = await submit(t, {
      arrayProperties: { size: 3 },
      containerOverrides: { command: gated('$AWS_BATCH_JOB_ARRAY_INDEX', '[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 1 ]') },
    });
    const dependent = await submit(t, { dependsOn: [{ jobId: array }] });
    open(t.dir, 1);
    expect(await t.batch.service.waitForJob(dependent)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    open(t.dir, 0);
    open(t.dir, 2);
    await t.batch.service.waitForIdle();
    expect(t.batch.service.processesSpawned).toBe(3);
  });
});

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
});

// SEQUENTIAL and N_TO_N (docs: batch/latest/userguide/array_jobs.html, job_dependencies.html).
describe('array dependencies', () => {
  it('runs N_TO_N child i after child i of the other array succeeds, and fails it when that child fails', async () => {
    const t = await start({ vcpus: 4 });
    const first = await submit(t, {
      jobName: 'first',
      arrayProperties: { size: 3 },
      containerOverrides: { command: gated('$AWS_BATCH_JOB_ARRAY_INDEX', '[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]') },
    });
    const second = await submit(t, {
      jobName: 'second',
      arrayProperties: { size: 3 },
      dependsOn: [{ jobId: first, type: 'N_TO_N' }],
      containerOverrides: { command: shell('echo "$AWS_BATCH_JOB_ARRAY_INDEX" >> second.txt') },
    });
    await untilStatus(t.client, `${second}:1`, 'PENDING');
    expect(await describe1(t.client, `${second}:1`)).toMatchObject({
      dependsOn: [{ jobId: `${first}:1`, type: 'N_TO_N' }],
    });
    open(t.dir, 1);
    await t.batch.service.waitForJob(`${second}:1`);
    expect(readFileSync(join(t.dir, 'second.txt'), 'utf8')).toBe('1\n');
    expect((await describe1(t.client, `${second}:0`)).status).toBe('PENDING');
    open(t.dir, 2);
    expect(await t.batch.service.waitForJob(`${second}:2`)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
      attempts: [],
    });
    open(t.dir, 0);
    await t.batch.service.waitForIdle();
    expect(readFileSync(join(t.dir, 'second.txt'), 'utf8')).toBe('1\n0\n');
    expect(await describe1(t.client, second)).toMatchObject({
      status: 'FAILED',
      arrayProperties: { statusSummary: { SUCCEEDED: 2, FAILED: 1 } },
    });
  });

  it('pairs N_TO_N children once the other array has its own children, after its dependency', async () => {
    const t = await start({ vcpus: 2 });
    const gate = await submit(t, { containerOverrides: { command: gated('gate') } });
    const first = await submit(t, { arrayProperties: { size: 2 }, dependsOn: [{ jobId: gate }] });
    const second = await submit(t, { arrayProperties: { size: 2 }, dependsOn: [{ jobId: first, type: 'N_TO_N' }] });
    await untilStatus(t.client, gate, 'RUNNING');
    await untilStatus(t.client, second, 'PENDING');
    const none = await t.client.send(new DescribeJobsCommand({ jobs: [`${first}:0`, `${second}:0`] }));
    expect(none.jobs).toEqual([]);
    open(t.dir, 'gate');
    await t.batch.service.waitForIdle();
    expect((await describe1(t.client, second)).status).toBe('SUCCEEDED');
    const firstEnds = await t.client.send(new DescribeJobsCommand({ jobs: [`${first}:0`, `${first}:1`] }));
    const secondStarts = await t.client.send(new DescribeJobsCommand({ jobs: [`${second}:0`, `${second}:1`] }));
    secondStarts.jobs?.forEach((job, index) => {
      expect(job.startedAt).toBeGreaterThanOrEqual(firstEnds.jobs?.[index]?.stoppedAt as number);
    });
  });

  it('fails an N_TO_N array whose other array ended before it had children', async () => {
    const t = await start();
    const gate = await submit(t, { containerOverrides: { command: ['false'] } });
    const first = await submit(t, { arrayProperties: { size: 2 }, dependsOn: [{ jobId: gate }] });
    const second = await submit(t, { arrayProperties: { size: 2 }, dependsOn: [{ jobId: first, type: 'N_TO_N' }] });
    expect(await t.batch.service.waitForJob(second)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect(t.batch.service.processesSpawned).toBe(1);
  });

  it('pairs N_TO_N children with an array whose parent failed as its children were created', async () => {
    const t = await start({ vcpus: 2 });
    const upstream = await submit(t, {
      arrayProperties: { size: 2 },
      containerOverrides: { command: shell('[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 0 ]') },
    });
    await t.batch.service.waitForIdle();
    // Submitted together, so that middle gets its children, and fails, while last waits for them.
    const submitNow = (dependsOn: { jobId: string; type: 'N_TO_N' }[]): string =>
      t.batch.service.submitJob({
        jobName: 'job',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 2 },
        dependsOn,
      }).jobId as string;
    const middle = submitNow([{ jobId: upstream, type: 'N_TO_N' }]);
    const last = submitNow([{ jobId: middle, type: 'N_TO_N' }]);
    await t.batch.service.waitForIdle();
    // middle:0 fails as it is created (upstream:0 failed), failing middle at once; last still pairs with middle's children.
    expect((await describe1(t.client, middle)).status).toBe('FAILED');
    const children = await t.client.send(
      new DescribeJobsCommand({ jobs: [`${middle}:0`, `${middle}:1`, `${last}:0`, `${last}:1`] }),
    );
    expect(children.jobs?.map((job) => [job.jobId, job.status])).toEqual([
      [`${middle}:0`, 'FAILED'],
      [`${middle}:1`, 'SUCCEEDED'],
      [`${last}:0`, 'FAILED'],
      [`${last}:1`, 'SUCCEEDED'],
    ]);
  });

  it('combines N_TO_N with SEQUENTIAL: children wait for their pair and for the child before them', async () => {
    const t = await start({ vcpus: 4 });
    const first = await submit(t, {
      arrayProperties: { size: 3 },
      containerOverrides: { command: gated('$AWS_BATCH_JOB_ARRAY_INDEX') },
    });
    const second = await submit(t, {
      arrayProperties: { size: 3 },
      dependsOn: [{ jobId: first, type: 'N_TO_N' }, { type: 'SEQUENTIAL' }],
      containerOverrides: { command: shell('echo "$AWS_BATCH_JOB_ARRAY_INDEX" >> second.txt') },
    });
    open(t.dir, 2);
    open(t.dir, 1);
    await t.batch.service.waitForJob(`${first}:1`);
    expect((await describe1(t.client, `${second}:2`)).status).toBe('PENDING');
    open(t.dir, 0);
    await t.batch.service.waitForJob(second);
    expect(readFileSync(join(t.dir, 'second.txt'), 'utf8')).toBe('0\n1\n2\n');
  });

  it('rejects N_TO_N on a job that is not an array, on a dependency that is not an array, and between arrays of different sizes', async () => {
    const t = await start();
    const single = await submit(t, {});
    const array = await submit(t, { arrayProperties: { size: 3 } });
    await rejects(
      t,
      { dependsOn: [{ jobId: array, type: 'N_TO_N' }] },
      'dependsOn[0].type N_TO_N is only valid for array jobs (arrayProperties.size)',
    );
    await rejects(
      t,
      { arrayProperties: { size: 3 }, dependsOn: [{ jobId: single, type: 'N_TO_N' }] },
      `dependsOn[0]: an N_TO_N dependency must name an array job whose children are known; job ${single} is not one`,
    );
    await rejects(
      t,
      { arrayProperties: { size: 4 }, dependsOn: [{ jobId: array, type: 'N_TO_N' }] },
      `dependsOn[0]: an N_TO_N dependency pairs child i with child i, so both arrays must have the same size; job ${array} has arrayProperties.size 3, this job 4`,
    );
  });
});
