import 'aws-sdk-client-mock-vitest/extend';
import { Readable } from 'node:stream';
import {
  BatchClient,
  DescribeJobsCommand,
  type JobDetail,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestLine } from '../../../lambdas/shared/manifest';
import {
  type ArraySettleDependencies,
  RESUME_TERMINATE_REASON,
  settleStoppedArrayRun,
} from '../../../lambdas/shared/settle-array';
import { headerRow } from '../../cli/aws-stack';

const region = 'us-east-1';
const s3Mock = mockClient(S3Client);
const batchMock = mockClient(BatchClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

const run = headerRow('sweep', { path: 'array', round: 2, itemCount: 5 });
const manifestUri = 's3://fanout-bucket/runs/sweep/retries/round-2-x.jsonl';
const variables = (runId: string, offset: number) => [
  { name: 'FANOUT_RUN_ID', value: runId },
  { name: 'FANOUT_MANIFEST', value: manifestUri },
  { name: 'FANOUT_ARRAY_OFFSET', value: String(offset) },
];

/** Batch knows these jobs; DescribeJobs answers with those asked for, as AWS does. */
function batchKnows(jobs: JobDetail[]): void {
  const byId = new Map(jobs.map((job) => [job.jobId, job]));
  batchMock.on(ListJobsCommand).resolves({
    jobSummaryList: jobs
      .filter((job) => !job.jobId?.includes(':'))
      .map((job) => ({ jobId: job.jobId, jobName: job.jobName, status: job.status })),
  });
  batchMock.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
    jobs: input.jobs.flatMap((id) => (byId.has(id) ? [byId.get(id)] : [])),
  }));
}

const job = (jobId: string, fields: Partial<JobDetail>): JobDetail =>
  ({ jobId, jobName: 'sweep-array-r2-0', ...fields }) as JobDetail;

function deps(overrides: Partial<ArraySettleDependencies> = {}): ArraySettleDependencies {
  return {
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    s3: new S3Client({ region }),
    batch: new BatchClient({ region }),
    tableName: 'fanout-ledger',
    now: () => new Date('2026-03-02T10:00:00.000Z'),
    ...overrides,
  };
}

/** The UpdateItem sent for an item, by the class or status it writes. */
function written(itemId: string): string | undefined {
  const call = ledgerMock
    .commandCalls(UpdateCommand)
    .find((update) => (update.args[0].input.Key as { itemId: string }).itemId === itemId);
  const values = call?.args[0].input.ExpressionAttributeValues ?? {};
  return (values[':failureClass'] as string | undefined) ?? (values[':succeeded'] as string | undefined);
}

beforeEach(() => {
  // The round's manifest: items a..e; the ledger still has them all PENDING.
  const body = ['a', 'b', 'c', 'd', 'e']
    .map((itemId) => `${manifestLine({ itemId, jobName: `sweep-${itemId}`, kwargsJson: '{}', idempotent: true })}\n`)
    .join('');
  s3Mock.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([Buffer.from(body)]) }));
  ledgerMock.on(QueryCommand).callsFake(() => ({
    Items: ['a', 'b', 'c', 'd', 'e']
      .filter((itemId) => written(itemId) === undefined)
      .map((itemId) => ({ runId: 'sweep', itemId, status: 'PENDING', round: 2, attempt: 1 })),
  }));
  ledgerMock.on(UpdateCommand).resolves({});
});

afterEach(() => {
  s3Mock.reset();
  batchMock.reset();
  ledgerMock.reset();
});

describe('settleStoppedArrayRun', () => {
  it('records each child of the stopped round as it ended, and the children that never started NOT_STARTED', async () => {
    batchKnows([
      // An array of 4 over lines 0..3, described without its container: its first child carries the variables.
      job('arr', { status: 'FAILED', arrayProperties: { size: 4, statusSummary: { SUCCEEDED: 1, FAILED: 3 } } }),
      job('arr:0', {
        status: 'SUCCEEDED',
        startedAt: 1,
        stoppedAt: 2,
        container: { exitCode: 0, logStreamName: 'l/0', environment: variables('sweep', 0) },
      }),
      job('arr:1', {
        status: 'FAILED',
        startedAt: 1,
        statusReason: 'run sweep was cancelled with fanout cancel',
        container: { exitCode: 143, logStreamName: 'l/1', environment: variables('sweep', 0) },
      }),
      // Terminated while queued: no start time.
      job('arr:2', { status: 'FAILED', statusReason: 'run sweep was cancelled with fanout cancel' }),
      // Line 4 is a plain job that was never created (the execution stopped first): item e has no job.
    ]);

    const settled = await settleStoppedArrayRun(deps(), run);

    expect(settled).toEqual({ succeeded: 1, failed: 1, notStarted: 3, stillRunning: 0 });
    expect(['a', 'b', 'c', 'd', 'e'].map(written)).toEqual([
      'SUCCEEDED',
      'ABORTED',
      'NOT_STARTED',
      'NOT_STARTED',
      'NOT_STARTED',
    ]);
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: 'fanout-high',
      filters: [{ name: 'JOB_NAME', values: ['sweep-array-r2-*'] }],
    });
  });

  it('leaves a child still running when the wait ends PENDING, and ignores jobs of another run', async () => {
    let clock = 0;
    const sleeps: number[] = [];
    batchKnows([
      job('plain', {
        jobName: 'sweep-array-r2-0',
        status: 'RUNNING',
        startedAt: 1,
        container: { environment: variables('sweep', 0) },
      }),
      // Run "sweep-array-r2" would name its first job the same way; its variables tell it apart.
      job('other', {
        jobName: 'sweep-array-r2-1',
        status: 'FAILED',
        startedAt: 1,
        container: { exitCode: 1, environment: variables('sweep-array-r2', 1) },
      }),
    ]);

    const settled = await settleStoppedArrayRun(
      deps({
        now: () => new Date(clock),
        waitMs: 3_000,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock += ms;
        },
      }),
      run,
    );

    expect(sleeps).toEqual([1_000, 1_000, 1_000]);
    expect(settled).toEqual({ succeeded: 0, failed: 0, notStarted: 4, stillRunning: 1 });
    expect(written('a')).toBeUndefined();
    expect(['b', 'c', 'd', 'e'].map(written)).toEqual(['NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED', 'NOT_STARTED']);
  });

  it('terminates the jobs still going when resuming, and records a child that died with the service as lost', async () => {
    let clock = 0;
    const parent = job('arr', {
      status: 'RUNNING',
      arrayProperties: { size: 2, statusSummary: { RUNNING: 1, SUCCEEDED: 1 } },
    });
    batchKnows([
      parent,
      job('arr:0', {
        status: 'SUCCEEDED',
        startedAt: 1,
        container: { exitCode: 0, environment: variables('sweep', 0) },
      }),
      job('arr:1', {
        status: 'FAILED',
        startedAt: 1,
        statusReason: 'Local Batch service stopped',
        container: { exitCode: 137, environment: variables('sweep', 0) },
      }),
    ]);
    batchMock.on(TerminateJobCommand).callsFake(() => {
      // Batch ends the parent once its children have ended.
      Object.assign(parent, {
        status: 'FAILED',
        arrayProperties: { size: 2, statusSummary: { SUCCEEDED: 1, FAILED: 1 } },
      });
      return {};
    });

    const settled = await settleStoppedArrayRun(
      deps({
        now: () => new Date(clock),
        sleep: async (ms) => {
          clock += ms;
        },
      }),
      run,
      { terminateReason: RESUME_TERMINATE_REASON },
    );

    expect(batchMock).toHaveReceivedCommandExactlyOnceWith(TerminateJobCommand, {
      jobId: 'arr',
      reason: RESUME_TERMINATE_REASON,
    });
    expect(settled).toMatchObject({ succeeded: 1, failed: 1 });
    const lost = ledgerMock
      .commandCalls(UpdateCommand)
      .find((update) => (update.args[0].input.Key as { itemId: string }).itemId === 'b');
    expect(lost?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':failureClass': 'ABORTED',
      ':error': 'Fanout.OrchestratorLost',
    });
  });
});
