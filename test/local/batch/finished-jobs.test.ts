import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  DescribeJobsCommand,
  type JobDetail,
  type JobStatus,
  type JobSummary,
  ListJobsCommand,
} from '@aws-sdk/client-batch';
import { afterEach, describe, expect, it } from 'vitest';
import { type LaunchedProcess, type LaunchRequest, LocalBatch, ProcessLauncher } from '../../../local/batch';
import { startTestBatch, type TestBatch, testConfig } from './helpers';

/** Ends every process at once, with exit code 1 for `false` and 0 otherwise, so thousands of jobs run in milliseconds. */
class InstantLauncher extends ProcessLauncher {
  override launch(request: LaunchRequest): LaunchedProcess {
    const exitCode = request.command[0] === 'false' ? 1 : 0;
    return { pid: Promise.resolve(4242), outcome: Promise.resolve({ kind: 'exited', exitCode }), kill: () => {} };
  }

  override close(): Promise<void> {
    return Promise.resolve();
  }
}

let current: TestBatch | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(finishedJobsInMemory: number): Promise<TestBatch> {
  current = await startTestBatch({ launcher: new InstantLauncher(), finishedJobsInMemory });
  return current;
}

function submit(service: LocalBatch, jobName: string, extra: Record<string, unknown> = {}): string {
  const { jobId } = service.submitJob({
    jobName,
    jobQueue: 'high',
    jobDefinition: 'job',
    parameters: { name: jobName },
    containerOverrides: { environment: [{ name: 'FANOUT_KWARGS', value: JSON.stringify({ name: jobName }) }] },
    ...extra,
  });
  return jobId as string;
}

describe('finished jobs beyond the ones kept in memory', () => {
  it('describes a job finished long ago with the detail it had when it finished', async () => {
    const { batch, client } = await start(0);
    const details: JobDetail[] = [];
    for (const name of ['first', 'second', 'third'])
      details.push(await batch.service.waitForJob(submit(batch.service, name)));
    expect((await batch.service.stats()).finishedJobsOnDisk).toBe(3);

    for (const detail of details) expect(batch.service.describeJob(detail.jobId as string)).toEqual(detail);
    const { jobs } = await client.send(
      new DescribeJobsCommand({ jobs: details.map((detail) => detail.jobId as string) }),
    );
    expect(jobs?.map((job) => job.container?.environment)).toEqual(
      details.map((detail) => detail.container?.environment),
    );
    expect(jobs?.[0]).toMatchObject({
      jobName: 'first',
      status: 'SUCCEEDED',
      parameters: { name: 'first' },
      attempts: [{ container: { exitCode: 0 } }],
    });
    expect(await batch.service.waitForJob(details[0]?.jobId as string)).toEqual(details[0]);
  });

  it('lists every finished job by status with pagination, in the order they finished, with unchanged summaries', async () => {
    const { batch, client } = await start(3);
    const details: JobDetail[] = [];
    for (let index = 0; index < 10; index++)
      details.push(await batch.service.waitForJob(submit(batch.service, `job-${index}`)));
    expect((await batch.service.stats()).finishedJobsOnDisk).toBeGreaterThanOrEqual(6);

    const listed = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListJobsCommand({ jobQueue: 'high', jobStatus: 'SUCCEEDED', maxResults: 4, nextToken }),
      );
      listed.push(...(page.jobSummaryList ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(listed).toEqual(
      details.map((detail) => ({
        jobArn: detail.jobArn,
        jobId: detail.jobId,
        jobName: detail.jobName,
        createdAt: detail.createdAt,
        status: 'SUCCEEDED',
        statusReason: 'Essential container in task exited',
        startedAt: detail.startedAt,
        stoppedAt: detail.stoppedAt,
        jobDefinition: detail.jobDefinition,
        container: { exitCode: 0 },
      })),
    );
    const named = await client.send(
      new ListJobsCommand({ jobQueue: 'high', filters: [{ name: 'JOB_NAME', values: ['job-1*'] }] }),
    );
    expect(named.jobSummaryList?.map((summary) => summary.jobName)).toEqual(['job-1']);
  });

  it('lists and describes the spilled children of an array job', async () => {
    const { batch, client } = await start(0);
    const parentId = submit(batch.service, 'array', { arrayProperties: { size: 5 } });
    const parent = await batch.service.waitForJob(parentId);
    expect(parent.arrayProperties?.statusSummary).toMatchObject({ SUCCEEDED: 5, FAILED: 0 });
    expect((await batch.service.stats()).finishedJobsOnDisk).toBe(5);

    const { jobSummaryList } = await client.send(new ListJobsCommand({ arrayJobId: parentId, jobStatus: 'SUCCEEDED' }));
    // Listed in the order they finished, which two vCPUs may shuffle.
    const children = jobSummaryList?.map((summary) => [summary.jobId, summary.arrayProperties?.index]);
    expect(children?.sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual(
      [0, 1, 2, 3, 4].map((index) => [`${parentId}:${index}`, index]),
    );
    expect(batch.service.describeJob(`${parentId}:3`)).toMatchObject({
      status: 'SUCCEEDED',
      arrayProperties: { index: 3 },
      container: { environment: expect.arrayContaining([{ name: 'FANOUT_KWARGS', value: '{"name":"array"}' }]) },
    });
  });

  it('counts a spilled dependency as final and leaves a spilled job alone on CancelJob and TerminateJob', async () => {
    const { batch } = await start(0);
    const succeeded = submit(batch.service, 'ok');
    const failed = submit(batch.service, 'bad', { containerOverrides: { command: ['false'] } });
    const before = await batch.service.waitForJob(succeeded);
    await batch.service.waitForJob(failed);
    expect((await batch.service.stats()).finishedJobsOnDisk).toBe(2);

    const afterSuccess = await batch.service.waitForJob(
      submit(batch.service, 'after-ok', { dependsOn: [{ jobId: succeeded }] }),
    );
    expect(afterSuccess.status).toBe('SUCCEEDED');
    // A job whose dependency failed fails (docs: batch/latest/userguide/job_dependencies.html).
    const afterFailure = await batch.service.waitForJob(
      submit(batch.service, 'after-bad', { dependsOn: [{ jobId: failed }] }),
    );
    expect(afterFailure).toMatchObject({ status: 'FAILED', statusReason: 'Dependent Job failed' });

    batch.service.cancelJob({ jobId: succeeded, reason: 'too late' });
    batch.service.terminateJob({ jobId: succeeded, reason: 'too late' });
    expect(batch.service.describeJob(succeeded)).toEqual(before);
  });
});

/** Like {@link InstantLauncher}, but array children whose index is 3 modulo 7 exit 1. */
class IndexFailingLauncher extends InstantLauncher {
  override launch(request: LaunchRequest): LaunchedProcess {
    const exitCode = Number(request.environment.AWS_BATCH_JOB_ARRAY_INDEX) % 7 === 3 ? 1 : 0;
    return { pid: Promise.resolve(4242), outcome: Promise.resolve({ kind: 'exited', exitCode }), kill: () => {} };
  }
}

async function listAll(client: TestBatch['client'], arrayJobId: string, jobStatus: string): Promise<JobSummary[]> {
  const summaries: JobSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListJobsCommand({
        arrayJobId,
        jobStatus: jobStatus as JobStatus,
        maxResults: 100,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    expect(page.jobSummaryList?.length).toBeLessThanOrEqual(100);
    summaries.push(...(page.jobSummaryList ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return summaries;
}

describe('array children read after the array has finished', () => {
  it('lists two finished arrays side by side by status, page by page, and describes 100 children in one call', async () => {
    // What a collector reads once the parent has ended: ListJobs by arrayJobId and status, then
    // DescribeJobs of `<parent>:<index>` IDs, up to 100 per call (docs: batch/latest/APIReference/API_ListJobs.html,
    // API_DescribeJobs.html).
    current = await startTestBatch({ launcher: new IndexFailingLauncher(), finishedJobsInMemory: 100, vcpus: 4 });
    const { batch, client } = current;
    const size = 1500;
    const arrays = [0, 1].map((index) =>
      submit(batch.service, `array-${index}`, { arrayProperties: { size }, retryStrategy: { attempts: 2 } }),
    );
    await batch.service.waitForIdle();
    expect((await batch.service.stats()).finishedJobsOnDisk).toBeGreaterThan(2 * size - 200);
    const failing = Array.from({ length: size }, (_, index) => index).filter((index) => index % 7 === 3);

    for (const parentId of arrays) {
      const failed = await listAll(client, parentId, 'FAILED');
      const succeeded = await listAll(client, parentId, 'SUCCEEDED');
      const indexOf = (summary: JobSummary): number => {
        expect(summary.jobId).toBe(`${parentId}:${summary.arrayProperties?.index}`);
        return summary.arrayProperties?.index as number;
      };
      expect(failed.map(indexOf).sort((a, b) => a - b)).toEqual(failing);
      expect(succeeded.length + failed.length).toBe(size);
      expect(new Set(succeeded.map(indexOf)).size).toBe(size - failing.length);
      expect(failed[0]).toMatchObject({
        status: 'FAILED',
        statusReason: 'Essential container in task exited',
        container: { exitCode: 1 },
      });

      const ids = Array.from({ length: 100 }, (_, index) => `${parentId}:${index + 1000}`);
      const { jobs } = await client.send(new DescribeJobsCommand({ jobs: ids }));
      expect(jobs?.map((job) => job.jobId)).toEqual(ids);
      for (const job of jobs ?? []) {
        const index = job.arrayProperties?.index as number;
        const fails = index % 7 === 3;
        expect(job).toMatchObject({ status: fails ? 'FAILED' : 'SUCCEEDED', container: { exitCode: fails ? 1 : 0 } });
        expect(job.attempts?.length).toBe(fails ? 2 : 1);
        expect(job.container?.logStreamName).toBe(job.attempts?.at(-1)?.container?.logStreamName);
        expect(job.startedAt).toBeLessThanOrEqual(job.stoppedAt as number);
      }
      const parent = await client.send(new DescribeJobsCommand({ jobs: [parentId] }));
      expect(parent.jobs?.[0]).toMatchObject({ status: 'FAILED', statusReason: 'Array Child Job failed' });
      expect(parent.jobs?.[0]?.arrayProperties?.statusSummary).toMatchObject({
        SUCCEEDED: size - failing.length,
        FAILED: failing.length,
      });
    }
  });
});

describe('memory held by finished jobs', () => {
  it('does not keep the command and environment of jobs beyond the ones kept in memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const dir = mkdtempSync(join(tmpdir(), 'fanout-batch-memory-'));
    const service = new LocalBatch({
      config: testConfig(),
      stateDir: dir,
      cwd: dir,
      launcher: new InstantLauncher(),
      finishedJobsInMemory: 20,
    });
    try {
      gc();
      const before = process.memoryUsage().heapUsed;
      const jobs = 1000;
      const valueBytes = 16_384;
      for (let index = 0; index < jobs; index++) {
        service.submitJob({
          jobName: `job-${index}`,
          jobQueue: 'high',
          jobDefinition: 'job',
          containerOverrides: {
            environment: [{ name: 'FANOUT_KWARGS', value: randomBytes(valueBytes / 2).toString('hex') }],
          },
        });
      }
      await service.waitForIdle();
      gc();
      const grown = process.memoryUsage().heapUsed - before;
      // Whole records would hold 1,000 × 16 KiB = 16 MiB of environment; a quarter of that leaves room for the compact entries.
      expect(grown).toBeLessThan((jobs * valueBytes) / 4);
      expect((await service.stats()).finishedJobsOnDisk).toBeGreaterThanOrEqual(jobs - 25);
    } finally {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
