import 'aws-sdk-client-mock-vitest/extend';
import { BatchClient, DescribeJobsCommand } from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { JobJournal } from '../../local/batch/journal';
import { describeJobsTimes, jobTimesFrom, journalJobTimes, localLogUrl, readExecutionRecords } from '../../report';
import { jobsToLookUp } from '../../report/gather';
import { writeRunRecord } from '../../run';
import { tempDir } from '../e2e/helpers';
import { failedRow, record, row } from './factories';

describe('describeJobsTimes', () => {
  const batch = mockClient(BatchClient);
  afterEach(() => batch.reset());

  it('asks DescribeJobs for 100 jobs at a time and keeps their times, exit code and log stream', async () => {
    // DescribeJobs takes "a list of up to 100 job IDs" (docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html).
    batch.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
      jobs: input.jobs.map((jobId) => ({
        jobId,
        jobName: jobId,
        jobQueue: 'q',
        jobDefinition: 'd',
        status: 'FAILED',
        startedAt: 1_000,
        stoppedAt: 2_000,
        container: { exitCode: 3, logStreamName: `fanout-job/default/${jobId}` },
      })),
    }));
    const ids = Array.from({ length: 250 }, (_, n) => `job-${n}`);
    const found = await describeJobsTimes(new BatchClient({ region: 'us-east-1' }))(ids);
    expect(batch).toHaveReceivedCommandTimes(DescribeJobsCommand, 3);
    expect(batch).toHaveReceivedNthCommandWith(DescribeJobsCommand, 3, { jobs: ids.slice(200) });
    expect(found.size).toBe(250);
    expect(found.get('job-7')).toEqual({
      status: 'FAILED',
      startedAt: 1_000,
      stoppedAt: 2_000,
      exitCode: 3,
      logStream: 'fanout-job/default/job-7',
    });
  });

  it("times the children by their `<parentId>:<index>` ids, with Batch's status reason, and leaves the parent out", async () => {
    const parent = 'e1f0a6c2-3b4d-4c5e-8f90-0a1b2c3d4e5f';
    // A parent has arrayProperties.size and statusSummary, a child arrayProperties.index
    // (docs.aws.amazon.com/batch/latest/APIReference/API_ArrayPropertiesDetail.html).
    batch.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          jobId: parent,
          jobName: 'sweep-array-r1-0',
          jobQueue: 'q',
          jobDefinition: 'd',
          status: 'FAILED',
          statusReason: 'Array Child Job failed',
          startedAt: 1_000,
          stoppedAt: 9_000,
          arrayProperties: { size: 3, statusSummary: { SUCCEEDED: 2, FAILED: 1 } },
        },
        {
          jobId: `${parent}:2`,
          jobName: 'sweep-array-r1-0',
          jobQueue: 'q',
          jobDefinition: 'd',
          status: 'FAILED',
          statusReason: 'Essential container in task exited',
          startedAt: 2_000,
          stoppedAt: 5_000,
          arrayProperties: { index: 2 },
          container: { exitCode: 3, logStreamName: 'fanout-job/default/c2' },
        },
      ],
    });
    const found = await describeJobsTimes(new BatchClient({ region: 'us-east-1' }))([parent, `${parent}:2`]);
    expect(batch).toHaveReceivedCommandExactlyOnceWith(DescribeJobsCommand, { jobs: [parent, `${parent}:2`] });
    expect([...found.entries()]).toEqual([
      [
        `${parent}:2`,
        {
          status: 'FAILED',
          startedAt: 2_000,
          stoppedAt: 5_000,
          exitCode: 3,
          logStream: 'fanout-job/default/c2',
          statusReason: 'Essential container in task exited',
        },
      ],
    ]);
  });
});

describe('jobTimesFrom', () => {
  it('asks each source only for the jobs the sources before it did not know', async () => {
    const asked: string[][] = [];
    const source = (known: Record<string, number>) => async (ids: readonly string[]) => {
      asked.push([...ids]);
      return new Map(
        ids.filter((id) => id in known).map((id) => [id, { status: 'SUCCEEDED', startedAt: known[id] as number }]),
      );
    };
    const found = await jobTimesFrom(source({ a: 1 }), source({ b: 2, a: 99 }), source({ c: 3 }))(['a', 'b', 'x']);
    expect(asked).toEqual([['a', 'b', 'x'], ['b', 'x'], ['x']]);
    expect([...found.entries()]).toEqual([
      ['a', { status: 'SUCCEEDED', startedAt: 1 }],
      ['b', { status: 'SUCCEEDED', startedAt: 2 }],
    ]);
  });
});

describe('journalJobTimes', () => {
  it("reads the wanted jobs' times, array children's included, from the local Batch service's journal", async () => {
    const stateDir = tempDir('fanout-report-journal-');
    const journal = new JobJournal(`${stateDir}/batch`);
    for (const jobId of ['a', 'b', 'c'])
      journal.submitted({ jobId, jobName: jobId, queue: 'q', definition: 'd', createdAt: 1 });
    journal.started('a', 10, 'fanout-job/default/a');
    journal.finished('a', {
      status: 'FAILED',
      stoppedAt: 20,
      startedAt: 10,
      exitCode: 3,
      logStreamName: 'fanout-job/default/a',
    });
    journal.started('b', 15, 'fanout-job/default/b');
    journal.submitted({
      jobId: 'p',
      jobName: 'p',
      queue: 'q',
      definition: 'd',
      createdAt: 1,
      array: { size: 2, environment: [] },
    });
    journal.started('p:1', 30, 'fanout-job/default/p1');
    journal.close();
    const found = await journalJobTimes(stateDir)(['a', 'b', 'p:1', 'p:0', 'unknown']);
    expect([...found.entries()]).toEqual([
      ['a', { status: 'FAILED', startedAt: 10, stoppedAt: 20, exitCode: 3, logStream: 'fanout-job/default/a' }],
      ['b', { status: 'RUNNING', startedAt: 15, logStream: 'fanout-job/default/b' }],
      ['p:1', { status: 'RUNNING', startedAt: 30, logStream: 'fanout-job/default/p1' }],
    ]);
  });
});

describe('readExecutionRecords', () => {
  it("reads the run's record and its retries', not another run's whose id starts alike", () => {
    const dir = tempDir('fanout-report-records-');
    const { name: _a, ...run } = record('sweep');
    const { name: _b, ...retry } = record('sweep-retry-1', { retryOf: 'sweep' });
    const { name: _c, ...other } = record('sweep-2', { runId: 'sweep-2' });
    writeRunRecord(dir, run);
    writeRunRecord(dir, retry, 'sweep-retry-1');
    writeRunRecord(dir, other);
    expect(
      readExecutionRecords(dir, 'sweep')
        .map((found) => found.name)
        .sort(),
    ).toEqual(['sweep', 'sweep-retry-1']);
    expect(readExecutionRecords(`${dir}/nowhere`, 'sweep')).toEqual([]);
  });
});

describe('jobsToLookUp', () => {
  it('asks Batch only for jobs whose times the row does not hold', () => {
    expect(
      jobsToLookUp([
        row('ok'),
        failedRow('bad'),
        row('again', { attempts: [{ attempt: 1, jobId: 'job-first' }, { attempt: 2 }] }),
      ]),
    ).toEqual(['job-bad', 'job-first']);
  });

  it('asks for the aggregation job too, and for a job several rows name only once', () => {
    // Array-path rows whose child never existed all name the parent.
    const rows = [failedRow('a', { jobId: 'parent' }), failedRow('b', { jobId: 'parent' })];
    expect(
      jobsToLookUp(rows, { aggregateOutcome: { status: 'FAILED', jobName: 'sweep-aggregate', jobId: 'job-agg' } }),
    ).toEqual(['parent', 'job-agg']);
  });
});

describe('localLogUrl', () => {
  it('links a stream to its log file, and a stream that is not a relative path to nothing', () => {
    expect(localLogUrl('/state')('fanout-job/default/abc')).toBe('file:///state/batch/logs/fanout-job/default/abc.log');
    expect(localLogUrl('/state')('../../etc/passwd')).toBeUndefined();
  });
});
