import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { batchPerTest, describe1, gated, open, rejects, shell, submit, untilStatus } from '../helpers';

const start = batchPerTest();

describe('dependencies', () => {
  it('keeps a dependent job PENDING until its dependency succeeds', async () => {
    const { client, batch, dir } = await start();
    const first = await client.send(
      new SubmitJobCommand({
        jobName: 'first',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('while [ ! -f open ]; do sleep 0.01; done') },
      }),
    );
    const second = await client.send(
      new SubmitJobCommand({
        jobName: 'second',
        jobQueue: 'high',
        jobDefinition: 'job',
        dependsOn: [{ jobId: first.jobId }],
      }),
    );
    await untilStatus(client, second.jobId as string, 'PENDING');
    writeFileSync(join(dir, 'open'), '');
    await batch.service.waitForIdle();
    expect((await describe1(client, second.jobId as string)).status).toBe('SUCCEEDED');
  });

  it('fails a dependent job when its dependency fails', async () => {
    const { client, batch } = await start();
    const first = await client.send(
      new SubmitJobCommand({
        jobName: 'first',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('sleep 0.05; exit 1') },
      }),
    );
    const second = await client.send(
      new SubmitJobCommand({
        jobName: 'second',
        jobQueue: 'high',
        jobDefinition: 'job',
        dependsOn: [{ jobId: first.jobId }],
      }),
    );
    await batch.service.waitForIdle();
    // A failed dependency moves the dependent job from PENDING to FAILED (docs: batch/latest/userguide/job_dependencies.html).
    expect(await describe1(client, second.jobId as string)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect(batch.service.processesSpawned).toBe(1);
  });
});

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
