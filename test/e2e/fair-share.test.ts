import { type BatchClient, DescribeJobsCommand, type JobDetail, ListJobsCommand } from '@aws-sdk/client-batch';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListMapRunsCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { mapPathUsage } from '../../statemachine/map-usage';
import { itemRowsOf, runExecution, tempDir } from './helpers';

// Runs on the configuration's fair-share queue (fanout-teams, policy fanout-teams): every job the
// state machines submit must carry the run's shareIdentifier and schedulingPriority, or Batch
// refuses it (docs: batch/latest/APIReference/API_SubmitJob.html, shareIdentifier).
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ dir: tempDir(), vcpus: 2 });
});

afterAll(async () => {
  await cloud?.stop();
});

async function describeJobs(batch: BatchClient, jobIds: string[]): Promise<JobDetail[]> {
  const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: jobIds }));
  return jobs ?? [];
}

/** The labels of an execution's Map Runs: the Distributed Map state each round went through. */
async function mapRunLabels(executionArn: string | undefined): Promise<string[]> {
  const { mapRuns } = await cloud.clients.sfn.send(new ListMapRunsCommand({ executionArn }));
  // arn:aws:states:<region>:<account>:mapRun:<stateMachine>/<label>:<id>
  return (mapRuns ?? []).map((run) => /:mapRun:[^/]+\/([^:]+):/.exec(run.mapRunArn ?? '')?.[1] ?? '');
}

async function runArray(name: string, input: unknown): Promise<string | undefined> {
  const { executionArn } = await cloud.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: cloud.arrayStateMachineArn, name, input: JSON.stringify(input) }),
  );
  for (;;) {
    const execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a map-path run with a shareIdentifier on a fair-share queue', () => {
  const runId = 'share-map';
  let status: string | undefined;
  let executionArn: string | undefined;

  beforeAll(async () => {
    const input = {
      runId,
      items: [{ n: 1 }, { n: 2 }, { n: 3 }],
      command: ['true'],
      jobQueue: 'fanout-teams',
      shareIdentifier: 'teamA',
      schedulingPriority: 7,
      aggregate: { command: ['true'] },
    };
    ({ status, executionArn } = await runExecution(cloud, runId, input));
  });

  it('succeeds', () => {
    expect(status).toBe('SUCCEEDED');
  });

  it('runs its items through FanOutInSharePrioritized, chosen once for the run: 3 billed transitions per item', async () => {
    expect(await mapRunLabels(executionArn)).toEqual(['FanOutInSharePrioritized']);
    expect(cloud.engine.describeExecution(executionArn as string).stateTransitions).toBe(
      mapPathUsage(3, 1, true).stateTransitions,
    );
  });

  it("submits every item's job and the aggregation job with the share and the priority", async () => {
    const rows = await itemRowsOf(cloud, runId);
    expect(rows.map((row) => row.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const jobs = await describeJobs(
      cloud.clients.batch,
      rows.map((row) => row.jobId as string),
    );
    expect(jobs).toHaveLength(3);
    for (const job of jobs) {
      expect(job.shareIdentifier).toBe('teamA');
      expect(job.schedulingPriority).toBe(7);
      expect(job.jobQueue).toMatch(/:job-queue\/fanout-teams$/);
    }
    const { jobSummaryList } = await cloud.clients.batch.send(
      new ListJobsCommand({
        jobQueue: 'fanout-teams',
        filters: [{ name: 'JOB_NAME', values: [`${runId}-aggregate`] }],
      }),
    );
    const [aggregate] = await describeJobs(cloud.clients.batch, [jobSummaryList?.[0]?.jobId as string]);
    expect(aggregate).toMatchObject({ status: 'SUCCEEDED', shareIdentifier: 'teamA', schedulingPriority: 7 });
  });
});

describe('an array-path run with a shareIdentifier on a fair-share queue', () => {
  const runId = 'share-array';
  let status: string | undefined;

  beforeAll(async () => {
    const input = { runId, items: [{ n: 1 }, { n: 2 }, { n: 3 }], command: ['true'], jobQueue: 'fanout-teams' };
    status = await runArray(runId, { ...input, shareIdentifier: 'teamB' });
  });

  it('succeeds', () => {
    expect(status).toBe('SUCCEEDED');
  });

  it('submits the array job with the share, and its children carry it', async () => {
    const rows = await itemRowsOf(cloud, runId);
    expect(rows.map((row) => row.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const children = await describeJobs(
      cloud.clients.batch,
      rows.map((row) => row.jobId as string),
    );
    expect(children).toHaveLength(3);
    const parentIds = new Set(children.map((child) => child.jobId?.split(':')[0] as string));
    expect(parentIds.size).toBe(1);
    const [parent] = await describeJobs(cloud.clients.batch, [...parentIds]);
    expect(parent).toMatchObject({ shareIdentifier: 'teamB', arrayProperties: { size: 3 } });
    for (const child of children) expect(child.shareIdentifier).toBe('teamB');
  });
});

describe('a run with a share and no priority, and an array run of one job with both', () => {
  it("sends the share alone, through FanOutInShare: the job keeps its definition's priority", async () => {
    const runId = 'share-only';
    const execution = await runExecution(cloud, runId, {
      runId,
      items: [{ n: 1 }],
      command: ['true'],
      jobQueue: 'fanout-teams',
      shareIdentifier: 'teamB',
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(await mapRunLabels(execution.executionArn)).toEqual(['FanOutInShare']);
    const [row] = await itemRowsOf(cloud, runId);
    const [job] = await describeJobs(cloud.clients.batch, [row?.jobId as string]);
    expect(job?.shareIdentifier).toBe('teamB');
    // fanout-job sets no schedulingPriority, and the run overrides none.
    expect(job?.schedulingPriority).toBeUndefined();
  });

  it('submits a single item as a plain job with the share and the priority', async () => {
    const runId = 'share-single';
    const input = { runId, items: [{ n: 1 }], command: ['true'], jobQueue: 'fanout-teams' };
    expect(await runArray(runId, { ...input, shareIdentifier: 'teamA', schedulingPriority: 4 })).toBe('SUCCEEDED');
    const [row] = await itemRowsOf(cloud, runId);
    const [job] = await describeJobs(cloud.clients.batch, [row?.jobId as string]);
    expect(job).toMatchObject({ shareIdentifier: 'teamA', schedulingPriority: 4 });
    expect(job?.arrayProperties).toBeUndefined();
  });
});

// Step Functions checks a service integration's parameters against the API's types before the
// call: a null ShareIdentifier fails the state (States.Runtime), it is not "no share". The local
// engine does the same, so a definition that would send one fails here as it would on AWS.
describe('a SubmitJob whose ShareIdentifier path selects a null', () => {
  it('fails the task with States.Runtime naming the field, and submits nothing', async () => {
    const { roleArn } = await cloud.clients.sfn.send(
      new DescribeStateMachineCommand({ stateMachineArn: cloud.mapStateMachineArn }),
    );
    const { stateMachineArn } = await cloud.clients.sfn.send(
      new CreateStateMachineCommand({
        name: 'null-share',
        roleArn,
        definition: JSON.stringify({
          StartAt: 'Submit',
          States: {
            Submit: {
              Type: 'Task',
              Resource: 'arn:aws:states:::batch:submitJob',
              Parameters: {
                JobName: 'null-share',
                JobQueue: 'fanout-high',
                JobDefinition: 'fanout-job',
                'ShareIdentifier.$': '$.share',
              },
              End: true,
            },
          },
        }),
      }),
    );
    const { executionArn } = await cloud.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ share: null }) }),
    );
    let execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (execution.status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
    expect(execution.cause).toContain("[The value for the field 'ShareIdentifier' must be a STRING]");
    const { events } = await cloud.clients.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.map((event) => event.type)).not.toContain('TaskSubmitted');
    const { jobSummaryList } = await cloud.clients.batch.send(
      new ListJobsCommand({ jobQueue: 'fanout-high', filters: [{ name: 'JOB_NAME', values: ['null-share'] }] }),
    );
    expect(jobSummaryList).toEqual([]);
  });
});

describe('a run on a queue without a scheduling policy', () => {
  it('submits its jobs without a shareIdentifier, as before', async () => {
    const runId = 'no-share';
    const execution = await runExecution(cloud, runId, { runId, items: [{ n: 1 }], command: ['true'] });
    expect(execution.status).toBe('SUCCEEDED');
    const [row] = await itemRowsOf(cloud, runId);
    const [job] = await describeJobs(cloud.clients.batch, [row?.jobId as string]);
    expect(job?.status).toBe('SUCCEEDED');
    expect(job?.shareIdentifier).toBeUndefined();
  });

  it('fails at Prepare, before any row is written, when the run names a share there', async () => {
    const runId = 'share-refused';
    const execution = await runExecution(cloud, runId, {
      runId,
      items: [{ n: 1 }],
      command: ['true'],
      shareIdentifier: 'teamA',
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('FanoutInputError');
    expect(execution.cause).toContain('shareIdentifier: can only be given for a job queue with a fair-share');
    expect(await itemRowsOf(cloud, runId)).toEqual([]);
  });
});
