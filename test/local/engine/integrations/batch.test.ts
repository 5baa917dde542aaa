import {
  BatchClient,
  ClientException,
  DescribeJobsCommand,
  type JobDetail,
  ServerException,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { StatesError } from '../../../../local/engine/errors';
import { createBatchIntegration, TERMINATE_REASON } from '../../../../local/engine/integrations';
import type { Json } from '../../../../local/engine/types';
import { flush, ManualClock, taskRequest } from './helpers';

const batch = mockClient(BatchClient);
afterEach(() => batch.reset());

const QUEUE = 'arn:aws:batch:eu-west-1:111122223333:job-queue/high';
const DEFINITION = 'arn:aws:batch:eu-west-1:111122223333:job-definition/fanout-job:3';

function setup() {
  const clock = new ManualClock();
  const integration = createBatchIntegration({
    client: new BatchClient({ region: 'eu-west-1' }),
    clock,
    pollIntervalMs: 100,
  });
  const run = (action: 'submitJob' | 'submitJob.sync', parameters: Json, signal?: AbortSignal) =>
    integration.invoke(
      taskRequest({ resource: `arn:aws:states:::batch:${action}`, action, parameters, signal, clock }),
    );
  return { clock, run };
}

function submitted(jobId: string, jobName = 'item-0001') {
  return {
    jobId,
    jobName,
    jobArn: `arn:aws:batch:eu-west-1:111122223333:job/${jobId}`,
    $metadata: { requestId: 'req-1', httpStatusCode: 200 },
  };
}

function jobDetail(jobId: string, status: JobDetail['status'], extra: Partial<JobDetail> = {}): JobDetail {
  return {
    jobId,
    jobName: 'item-0001',
    jobArn: `arn:aws:batch:eu-west-1:111122223333:job/${jobId}`,
    jobQueue: QUEUE,
    jobDefinition: DEFINITION,
    status,
    createdAt: 1_704_067_200_000,
    startedAt: 1_704_067_201_000,
    stoppedAt: 1_704_067_202_000,
    parameters: { seed: '7', outputPrefix: 's3://bucket/run' },
    tags: { 'fanout:runId': 'run-1' },
    container: {
      command: ['python', 'sim.py'],
      exitCode: status === 'FAILED' ? 3 : 0,
      environment: [{ name: 'FANOUT_KWARGS', value: '{"seed":7}' }],
      logStreamName: 'fanout-job/default/abc',
    },
    ...extra,
  };
}

const PARAMETERS = {
  JobName: 'item-0001',
  JobQueue: QUEUE,
  JobDefinition: DEFINITION,
  ArrayProperties: { Size: 4 },
  ContainerOverrides: {
    Command: ['python', 'sim.py', '--seed', '7'],
    Environment: [{ Name: 'FANOUT_KWARGS', Value: '{"seed":7}' }],
    ResourceRequirements: [{ Type: 'VCPU', Value: '2' }],
  },
  Parameters: { seed: '7', outputPrefix: 's3://bucket/run' },
  RetryStrategy: { Attempts: 3, EvaluateOnExit: [{ OnStatusReason: 'Host EC2*', Action: 'RETRY' }] },
  Timeout: { AttemptDurationSeconds: 600 },
  DependsOn: [{ JobId: 'job-0', Type: 'SEQUENTIAL' }],
  ShareIdentifier: 'teamA',
  SchedulingPriorityOverride: 5,
  Tags: { 'fanout:runId': 'run-1' },
  PropagateTags: true,
};

describe('batch integration', () => {
  it('submits the job with the parameters converted to the SDK input', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-1'));
    const { run } = setup();

    await run('submitJob', PARAMETERS);

    const expected = {
      jobName: 'item-0001',
      jobQueue: QUEUE,
      jobDefinition: DEFINITION,
      arrayProperties: { size: 4 },
      containerOverrides: {
        command: ['python', 'sim.py', '--seed', '7'],
        environment: [{ name: 'FANOUT_KWARGS', value: '{"seed":7}' }],
        resourceRequirements: [{ type: 'VCPU', value: '2' }],
      },
      // User-keyed maps keep their keys as written.
      parameters: { seed: '7', outputPrefix: 's3://bucket/run' },
      retryStrategy: { attempts: 3, evaluateOnExit: [{ onStatusReason: 'Host EC2*', action: 'RETRY' }] },
      timeout: { attemptDurationSeconds: 600 },
      dependsOn: [{ jobId: 'job-0', type: 'SEQUENTIAL' }],
      shareIdentifier: 'teamA',
      schedulingPriorityOverride: 5,
      tags: { 'fanout:runId': 'run-1' },
      propagateTags: true,
    } satisfies SubmitJobCommandInput;
    expect(batch).toHaveReceivedCommandWith(SubmitJobCommand, expected);
    expect(batch.commandCalls(SubmitJobCommand)[0]?.args[0].input).toEqual(expected);
  });

  it('returns the SubmitJob response in PascalCase for submitJob', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-1'));
    const { run } = setup();

    const output = await run('submitJob', PARAMETERS);

    expect(output).toMatchObject({
      JobArn: 'arn:aws:batch:eu-west-1:111122223333:job/job-1',
      JobId: 'job-1',
      JobName: 'item-0001',
      SdkHttpMetadata: { HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: 'req-1' },
    });
    expect(batch).not.toHaveReceivedCommand(DescribeJobsCommand);
  });

  it('rejects a parameter the integration does not support, naming it', async () => {
    const { run } = setup();
    await expect(run('submitJob', { ...PARAMETERS, JobQueues: 'typo' })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringContaining('The field "JobQueues" is not supported by Step Functions'),
    });
    expect(batch).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  // Step Functions validates an optimized integration's parameters against the API's types
  // before calling it (docs: batch/latest/APIReference/API_SubmitJob.html gives the types): a
  // null is not "absent", it fails the state. The wording is the one Step Functions reports.
  it.each([
    ['ShareIdentifier', 'a STRING'],
    ['SchedulingPriorityOverride', 'an INTEGER'],
    ['Timeout', 'an OBJECT'],
    ['ContainerOverrides', 'an OBJECT'],
    ['DependsOn', 'an ARRAY'],
    ['PropagateTags', 'a BOOLEAN'],
  ])('fails with States.Runtime, before calling Batch, when %s is null', async (field, type) => {
    const { run } = setup();
    await expect(run('submitJob.sync', { ...PARAMETERS, [field]: null })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringMatching(
        new RegExp(
          `^The Parameters '.*' could not be used to start the Task: \\[The value for the field '${field}' must be ${type}\\]$`,
        ),
      ),
    });
    expect(batch).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('fails with States.Runtime when a field has another type than the API gives it', async () => {
    const { run } = setup();
    await expect(run('submitJob', { ...PARAMETERS, SchedulingPriorityOverride: '5' })).rejects.toMatchObject({
      error: 'States.Runtime',
      cause: expect.stringContaining("[The value for the field 'SchedulingPriorityOverride' must be an INTEGER]"),
    });
    await expect(run('submitJob', { ...PARAMETERS, SchedulingPriorityOverride: 2.5 })).rejects.toMatchObject({
      cause: expect.stringContaining("[The value for the field 'SchedulingPriorityOverride' must be an INTEGER]"),
    });
    await expect(run('submitJob', { ...PARAMETERS, Timeout: [600] })).rejects.toMatchObject({
      cause: expect.stringContaining("[The value for the field 'Timeout' must be an OBJECT]"),
    });
    expect(batch).not.toHaveReceivedCommand(SubmitJobCommand);
  });

  it('submits a job without the share fields when they are left out', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-1'));
    const { run } = setup();
    const { ShareIdentifier: _share, SchedulingPriorityOverride: _priority, ...withoutShare } = PARAMETERS;
    await run('submitJob', withoutShare);
    const input = batch.commandCalls(SubmitJobCommand)[0]?.args[0].input;
    expect(input).not.toHaveProperty('shareIdentifier');
    expect(input).not.toHaveProperty('schedulingPriorityOverride');
  });

  it('waits for a .sync job and returns its detail with PascalCase keys', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-1'));
    batch
      .on(DescribeJobsCommand)
      .resolvesOnce({ jobs: [jobDetail('job-1', 'RUNNING')] })
      .resolves({ jobs: [jobDetail('job-1', 'SUCCEEDED')] });
    const { run, clock } = setup();

    const result = run('submitJob.sync', PARAMETERS);
    await flush();
    await clock.tick();
    await clock.tick();

    // DESIGN §5: the success output is the job detail with PascalCase keys.
    await expect(result).resolves.toEqual({
      JobId: 'job-1',
      JobName: 'item-0001',
      JobArn: 'arn:aws:batch:eu-west-1:111122223333:job/job-1',
      JobQueue: QUEUE,
      JobDefinition: DEFINITION,
      Status: 'SUCCEEDED',
      CreatedAt: 1_704_067_200_000,
      StartedAt: 1_704_067_201_000,
      StoppedAt: 1_704_067_202_000,
      Parameters: { seed: '7', outputPrefix: 's3://bucket/run' },
      Tags: { 'fanout:runId': 'run-1' },
      Container: {
        Command: ['python', 'sim.py'],
        ExitCode: 0,
        Environment: [{ Name: 'FANOUT_KWARGS', Value: '{"seed":7}' }],
        LogStreamName: 'fanout-job/default/abc',
      },
    });
    expect(batch).toHaveReceivedCommandTimes(DescribeJobsCommand, 2);
    expect(batch).toHaveReceivedCommandWith(DescribeJobsCommand, { jobs: ['job-1'] });
  });

  it('fails a .sync task whose job FAILED with States.TaskFailed and the job detail as cause', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-2'));
    const failed = jobDetail('job-2', 'FAILED', { statusReason: 'Essential container in task exited' });
    batch.on(DescribeJobsCommand).resolves({ jobs: [failed] });
    const { run, clock } = setup();

    const result = run('submitJob.sync', PARAMETERS);
    const outcome = result.then(
      () => undefined,
      (error: unknown) => error,
    );
    await flush();
    await clock.tick();

    const error = await outcome;
    expect(error).toBeInstanceOf(StatesError);
    expect((error as StatesError).error).toBe('States.TaskFailed');
    // DESIGN §5: the Cause is the job detail (PascalCase) as a JSON string.
    expect(JSON.parse((error as StatesError).cause)).toMatchObject({
      JobId: 'job-2',
      Status: 'FAILED',
      StatusReason: 'Essential container in task exited',
      Container: { ExitCode: 3 },
    });
  });

  it('names SubmitJob API errors Batch.<Code> with the service message in the cause', async () => {
    batch.on(SubmitJobCommand).rejects(
      new ClientException({
        message: 'Job queue high does not exist',
        $metadata: { httpStatusCode: 400, requestId: 'req-9' },
      }),
    );
    const { run } = setup();

    await expect(run('submitJob.sync', PARAMETERS)).rejects.toMatchObject({
      error: 'Batch.ClientException',
      cause:
        'Job queue high does not exist (Service: AWSBatch; Status Code: 400; Error Code: ClientException; Request ID: req-9; Proxy: null)',
    });
  });

  it('names throttling errors Batch.TooManyRequestsException', async () => {
    const throttled = Object.assign(new Error('Too Many Requests'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429, requestId: 'req-3' },
    });
    batch.on(SubmitJobCommand).rejects(throttled);
    const { run } = setup();

    await expect(run('submitJob', PARAMETERS)).rejects.toMatchObject({ error: 'Batch.TooManyRequestsException' });
  });

  it('terminates the job and rejects with the abort reason when a waiting task is aborted', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-3'));
    batch.on(DescribeJobsCommand).resolves({ jobs: [jobDetail('job-3', 'RUNNING')] });
    batch.on(TerminateJobCommand).resolves({});
    const { run, clock } = setup();
    const controller = new AbortController();

    const result = run('submitJob.sync', PARAMETERS, controller.signal);
    await flush();
    await clock.tick();
    const reason = new StatesError('States.Timeout', 'Task timed out');
    controller.abort(reason);

    await expect(result).rejects.toBe(reason);
    expect(batch).toHaveReceivedCommandWith(TerminateJobCommand, { jobId: 'job-3', reason: TERMINATE_REASON });
    await clock.tick();
    expect(batch).toHaveReceivedCommandTimes(DescribeJobsCommand, 1);
  });

  it('batches 250 waiting jobs into 3 DescribeJobs calls per poll and stops polling when none wait', async () => {
    let next = 0;
    batch.on(SubmitJobCommand).callsFake(() => submitted(`job-${next++}`));
    let finished = false;
    batch.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
      jobs: input.jobs.map((id) => jobDetail(id, finished ? 'SUCCEEDED' : 'RUNNING')),
    }));
    const { run, clock } = setup();

    const results = Array.from({ length: 250 }, () => run('submitJob.sync', PARAMETERS));
    await flush();
    await clock.tick();

    const calls = batch.commandCalls(DescribeJobsCommand).map((call) => call.args[0].input.jobs ?? []);
    expect(calls.map((ids) => ids.length)).toEqual([100, 100, 50]);
    expect(new Set(calls.flat()).size).toBe(250);
    expect(clock.sleeping).toBe(1);

    finished = true;
    await clock.tick();
    await expect(Promise.all(results)).resolves.toHaveLength(250);
    expect(batch).toHaveReceivedCommandTimes(DescribeJobsCommand, 6);
    expect(clock.sleeping).toBe(0);
  });

  it('looks less often at a job whose status does not change, and every tick again once it changes', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-q'));
    let status: JobDetail['status'] = 'RUNNABLE';
    batch.on(DescribeJobsCommand).callsFake(() => ({ jobs: [jobDetail('job-q', status)] }));
    const { run, clock } = setup();

    const result = run('submitJob.sync', PARAMETERS);
    await flush();
    for (let tick = 0; tick < 10; tick++) await clock.tick();
    const whileQueued = batch.commandCalls(DescribeJobsCommand).length;
    // A poll every tick would be 10; backing off by 1.5x from 100 ms gives fewer.
    expect(whileQueued).toBeLessThan(7);
    expect(whileQueued).toBeGreaterThanOrEqual(3);

    status = 'RUNNING';
    for (let tick = 0; tick < 10; tick++) await clock.tick();
    const afterChange = batch.commandCalls(DescribeJobsCommand).length;
    status = 'SUCCEEDED';
    for (let tick = 0; tick < 10 && batch.commandCalls(DescribeJobsCommand).length === afterChange; tick++)
      await clock.tick();
    // The change is seen at the next due look; from then on the job is looked at every tick
    // until it changes again, so SUCCEEDED is seen within a tick of RUNNING's polls.
    await expect(result).resolves.toMatchObject({ JobId: 'job-q', Status: 'SUCCEEDED' });
    expect(afterChange - whileQueued).toBeGreaterThanOrEqual(3);
  });

  it('keeps waiting through a DescribeJobs server error', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-4'));
    batch
      .on(DescribeJobsCommand)
      .rejectsOnce(new ServerException({ message: 'internal', $metadata: { httpStatusCode: 500 } }))
      .resolves({ jobs: [jobDetail('job-4', 'SUCCEEDED')] });
    const { run, clock } = setup();

    const result = run('submitJob.sync', PARAMETERS);
    await flush();
    await clock.tick();
    await clock.tick();

    await expect(result).resolves.toMatchObject({ JobId: 'job-4', Status: 'SUCCEEDED' });
  });

  it('fails the waiting tasks when DescribeJobs answers with a client error', async () => {
    batch.on(SubmitJobCommand).resolves(submitted('job-5'));
    batch
      .on(DescribeJobsCommand)
      .rejects(new ClientException({ message: 'denied', $metadata: { httpStatusCode: 400, requestId: 'r' } }));
    const { run, clock } = setup();

    const result = run('submitJob.sync', PARAMETERS);
    const outcome = expect(result).rejects.toMatchObject({ error: 'Batch.ClientException' });
    await flush();
    await clock.tick();
    await outcome;
  });
});
