import { ListJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { batchPerTest, untilStatus } from '../helpers';

const start = batchPerTest();

describe('ListJobs', () => {
  it('lists RUNNING jobs when no status is given', async () => {
    const { client } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'listed',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    // "If you don't specify a status, only RUNNING jobs are returned." (docs: batch/latest/APIReference/API_ListJobs.html)
    const { jobSummaryList } = await client.send(new ListJobsCommand({ jobQueue: 'high' }));
    expect(jobSummaryList?.map((summary) => summary.jobId)).toEqual([jobId]);
    const { jobSummaryList: succeeded } = await client.send(
      new ListJobsCommand({ jobQueue: 'high', jobStatus: 'SUCCEEDED' }),
    );
    expect(succeeded).toEqual([]);
  });

  it('pages through results with maxResults and nextToken', async () => {
    const { client, batch } = await start();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { jobId } = await client.send(
        new SubmitJobCommand({ jobName: `p${i}`, jobQueue: 'low', jobDefinition: 'job' }),
      );
      ids.add(jobId as string);
    }
    await batch.service.waitForIdle();
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListJobsCommand({ jobQueue: 'low', jobStatus: 'SUCCEEDED', maxResults: 2, nextToken }),
      );
      pages.push((page.jobSummaryList ?? []).map((summary) => summary.jobId as string));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat())).toEqual(ids);
  });

  it('holds 10,000 queued jobs and pages through them 1,000 at a time', async () => {
    const { batch } = await start({ vcpus: 1 });
    batch.service.submitJob({
      jobName: 'blocker',
      jobQueue: 'low',
      jobDefinition: 'job',
      containerOverrides: { command: ['sleep', '30'] },
    });
    for (let i = 0; i < 10_000; i++)
      batch.service.submitJob({ jobName: `bulk-${i}`, jobQueue: 'low', jobDefinition: 'job' });
    await new Promise((resolve) => setImmediate(resolve));
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = batch.service.listJobs({
        jobQueue: 'low',
        jobStatus: 'RUNNABLE',
        ...(nextToken ? { nextToken } : {}),
      });
      names.push(...(page.jobSummaryList ?? []).map((summary) => summary.jobName as string));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    // Up to 1,000 results per page when jobStatus is given (docs: batch/latest/APIReference/API_ListJobs.html).
    expect(pages).toBe(10);
    expect(names).toHaveLength(10_000);
    expect(names[0]).toBe('bulk-0');
    expect(names.at(-1)).toBe('bulk-9999');
    expect(batch.service.processesSpawned).toBeLessThanOrEqual(1);
  });

  it('filters by job name with a trailing wildcard across statuses', async () => {
    const { client, batch } = await start();
    await client.send(new SubmitJobCommand({ jobName: 'alpha-1', jobQueue: 'high', jobDefinition: 'job' }));
    await client.send(new SubmitJobCommand({ jobName: 'beta-1', jobQueue: 'high', jobDefinition: 'job' }));
    await batch.service.waitForIdle();
    const { jobSummaryList } = await client.send(
      new ListJobsCommand({ jobQueue: 'high', filters: [{ name: 'JOB_NAME', values: ['alpha*'] }] }),
    );
    expect(jobSummaryList?.map((summary) => summary.jobName)).toEqual(['alpha-1']);
  });
});
