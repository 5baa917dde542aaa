import {
  ClientException,
  CreateComputeEnvironmentCommand,
  type CreateComputeEnvironmentCommandInput,
  CreateJobQueueCommand,
  type CreateJobQueueCommandInput,
  CreateSchedulingPolicyCommand,
  type CreateSchedulingPolicyCommandInput,
  DeleteComputeEnvironmentCommand,
  DeleteJobQueueCommand,
  DeleteSchedulingPolicyCommand,
  DescribeComputeEnvironmentsCommand,
  DescribeJobQueuesCommand,
  DescribeSchedulingPoliciesCommand,
  ListSchedulingPoliciesCommand,
  SubmitJobCommand,
  UpdateComputeEnvironmentCommand,
  UpdateJobQueueCommand,
  UpdateSchedulingPolicyCommand,
} from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { batchPerTest, describe1, gated, open, submit, type TestBatch, untilStatus } from '../helpers';

const start = batchPerTest();

const arn = (kind: string, name: string) => `arn:aws:batch:us-east-1:000000000000:${kind}/${name}`;

const environment = (name: string, extra: Partial<CreateComputeEnvironmentCommandInput> = {}) =>
  new CreateComputeEnvironmentCommand({
    computeEnvironmentName: name,
    type: 'MANAGED',
    computeResources: { type: 'FARGATE', maxvCpus: 2, subnets: ['subnet-1'], securityGroupIds: ['sg-1'] },
    ...extra,
  });

const queue = (name: string, extra: Partial<CreateJobQueueCommandInput> = {}) =>
  new CreateJobQueueCommand({
    jobQueueName: name,
    priority: 5,
    computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'made' }],
    ...extra,
  });

const policy = (name: string, extra: Partial<CreateSchedulingPolicyCommandInput> = {}) =>
  new CreateSchedulingPolicyCommand({
    name,
    fairsharePolicy: {
      shareDecaySeconds: 60,
      computeReservation: 10,
      shareDistribution: [{ shareIdentifier: 'a', weightFactor: 0.5 }],
    },
    ...extra,
  });

/** Asserts that the command is refused with a `ClientException` whose message contains `message`. */
async function refused(t: TestBatch, command: object, message: string): Promise<void> {
  const attempt = (t.client.send as (command: object) => Promise<unknown>).call(t.client, command);
  await expect(attempt).rejects.toBeInstanceOf(ClientException);
  await expect(attempt).rejects.toThrow(message);
}

// The control plane through the SDK, as on AWS
// (https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateComputeEnvironment.html,
// https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateJobQueue.html,
// https://docs.aws.amazon.com/batch/latest/APIReference/API_CreateSchedulingPolicy.html)
describe('control plane', () => {
  it('creates a compute environment, a scheduling policy and a fair-share queue that runs jobs there', async () => {
    const t = await start();
    const ce = await t.client.send(environment('made'));
    expect(ce).toMatchObject({
      computeEnvironmentName: 'made',
      computeEnvironmentArn: arn('compute-environment', 'made'),
    });
    const created = await t.client.send(policy('teams'));
    expect(created.arn).toBe(arn('scheduling-policy', 'teams'));
    const jq = await t.client.send(
      queue('made-queue', {
        schedulingPolicyArn: created.arn,
        jobStateTimeLimitActions: [
          {
            reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
            state: 'RUNNABLE',
            maxTimeSeconds: 600,
            action: 'CANCEL',
          },
        ],
      }),
    );
    expect(jq.jobQueueArn).toBe(arn('job-queue', 'made-queue'));

    const { computeEnvironments } = await t.client.send(
      new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['made'] }),
    );
    expect(computeEnvironments?.[0]).toMatchObject({
      state: 'ENABLED',
      computeResources: { type: 'FARGATE', maxvCpus: 2, subnets: ['subnet-1'] },
    });
    const { jobQueues } = await t.client.send(new DescribeJobQueuesCommand({ jobQueues: [jq.jobQueueArn as string] }));
    expect(jobQueues?.[0]).toMatchObject({
      priority: 5,
      schedulingPolicyArn: created.arn,
      computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.computeEnvironmentArn }],
      jobStateTimeLimitActions: [{ maxTimeSeconds: 600, action: 'CANCEL' }],
    });
    const { schedulingPolicies } = await t.client.send(
      new DescribeSchedulingPoliciesCommand({ arns: [created.arn as string] }),
    );
    expect(schedulingPolicies?.[0]?.fairsharePolicy).toEqual({
      shareDecaySeconds: 60,
      computeReservation: 10,
      shareDistribution: [{ shareIdentifier: 'a', weightFactor: 0.5 }],
    });
    const listed = await t.client.send(new ListSchedulingPoliciesCommand({}));
    expect(listed.schedulingPolicies?.map((entry) => entry.arn)).toContain(created.arn);

    const jobId = await submit(t, {
      jobQueue: 'made-queue',
      shareIdentifier: 'a',
      containerOverrides: { command: ['sh', '-c', 'test "$AWS_BATCH_CE_NAME" = made'] },
    });
    expect((await t.batch.service.waitForJob(jobId)).status).toBe('SUCCEEDED');
  });

  it('updates a compute environment, a queue and a policy, and deletes them in the order AWS requires', async () => {
    const t = await start();
    await t.client.send(environment('made'));
    const { arn: policyArn } = await t.client.send(policy('teams'));
    await t.client.send(queue('made-queue', { schedulingPolicyArn: policyArn }));

    // A DISABLED compute environment takes no job; ENABLED again, the job starts.
    await t.client.send(new UpdateComputeEnvironmentCommand({ computeEnvironment: 'made', state: 'DISABLED' }));
    const waiting = await submit(t, { jobQueue: 'made-queue', shareIdentifier: 'a' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await describe1(t.client, waiting)).status).toBe('RUNNABLE');
    await t.client.send(
      new UpdateComputeEnvironmentCommand({
        computeEnvironment: arn('compute-environment', 'made'),
        state: 'ENABLED',
        computeResources: { maxvCpus: 8 },
      }),
    );
    expect((await t.batch.service.waitForJob(waiting)).status).toBe('SUCCEEDED');
    const { computeEnvironments } = await t.client.send(
      new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['made'] }),
    );
    expect(computeEnvironments?.[0]?.computeResources?.maxvCpus).toBe(8);

    await t.client.send(new UpdateJobQueueCommand({ jobQueue: 'made-queue', priority: 900 }));
    await t.client.send(
      new UpdateSchedulingPolicyCommand({
        arn: policyArn,
        fairsharePolicy: { shareDistribution: [{ shareIdentifier: 'b*', weightFactor: 2 }] },
      }),
    );
    const { jobQueues } = await t.client.send(new DescribeJobQueuesCommand({ jobQueues: ['made-queue'] }));
    expect(jobQueues?.[0]?.priority).toBe(900);
    const { schedulingPolicies } = await t.client.send(
      new DescribeSchedulingPoliciesCommand({ arns: [policyArn as string] }),
    );
    expect(schedulingPolicies?.[0]?.fairsharePolicy?.shareDistribution).toEqual([
      { shareIdentifier: 'b*', weightFactor: 2 },
    ]);

    await refused(t, new DeleteSchedulingPolicyCommand({ arn: policyArn }), 'is used by job queue made-queue');
    await refused(t, new DeleteJobQueueCommand({ jobQueue: 'made-queue' }), 'set its state to DISABLED');
    await refused(t, new DeleteComputeEnvironmentCommand({ computeEnvironment: 'made' }), 'set its state to DISABLED');

    // A queue being deleted takes its unfinished jobs with it; a DISABLED queue takes no new job.
    const running = await submit(t, {
      jobQueue: 'made-queue',
      shareIdentifier: 'a',
      containerOverrides: { command: gated('never') },
    });
    await untilStatus(t.client, running, 'RUNNING');
    await t.client.send(new UpdateJobQueueCommand({ jobQueue: 'made-queue', state: 'DISABLED' }));
    await refused(
      t,
      new SubmitJobCommand({ jobName: 'late', jobQueue: 'made-queue', jobDefinition: 'job', shareIdentifier: 'a' }),
      'jobQueue: job queue made-queue is DISABLED',
    );
    await t.client.send(new UpdateComputeEnvironmentCommand({ computeEnvironment: 'made', state: 'DISABLED' }));
    await refused(
      t,
      new DeleteComputeEnvironmentCommand({ computeEnvironment: 'made' }),
      'is still in the computeEnvironmentOrder of job queue made-queue',
    );
    await t.client.send(new DeleteJobQueueCommand({ jobQueue: 'made-queue' }));
    const ended = await t.batch.service.waitForJob(running);
    expect(ended).toMatchObject({
      status: 'FAILED',
      isTerminated: true,
      statusReason: 'Job queue made-queue was deleted',
    });
    open(t.dir, 'never');
    expect((await t.client.send(new DescribeJobQueuesCommand({ jobQueues: ['made-queue'] }))).jobQueues).toEqual([]);
    await t.client.send(new DeleteComputeEnvironmentCommand({ computeEnvironment: 'made' }));
    await t.client.send(new DeleteSchedulingPolicyCommand({ arn: policyArn }));
    expect(
      (await t.client.send(new DescribeComputeEnvironmentsCommand({ computeEnvironments: ['made'] })))
        .computeEnvironments,
    ).toEqual([]);
    expect(
      (await t.client.send(new DescribeSchedulingPoliciesCommand({ arns: [policyArn as string] }))).schedulingPolicies,
    ).toEqual([]);
  });

  it('refuses invalid compute environments with ClientException naming the field', async () => {
    const t = await start();
    await refused(t, environment('bad name'), 'computeEnvironmentName must be 1-128 letters');
    await refused(t, environment('x', { type: 'UNMANAGED' }), 'type: UNMANAGED compute environments are not supported');
    await refused(t, environment('x', { computeResources: undefined }), 'computeResources is required');
    await refused(
      t,
      environment('x', { computeResources: { type: 'GPU' as 'EC2', maxvCpus: 2, subnets: ['s'] } }),
      'computeResources.type must be one of EC2, SPOT, FARGATE, FARGATE_SPOT; received "GPU"',
    );
    await refused(
      t,
      environment('x', { computeResources: { type: 'EC2', maxvCpus: 0, subnets: ['s'] } }),
      'computeResources.maxvCpus must be an integer',
    );
    await refused(
      t,
      environment('x', { computeResources: { type: 'EC2', maxvCpus: 2, minvCpus: 4, subnets: ['s'] } }),
      'computeResources.minvCpus must not exceed computeResources.maxvCpus',
    );
    await refused(
      t,
      environment('x', { computeResources: { type: 'EC2', maxvCpus: 2, subnets: [] } }),
      'computeResources.subnets is required',
    );
    await refused(
      t,
      environment('x', { state: 'OFF' as 'ENABLED' }),
      'state must be one of ENABLED, DISABLED; received "OFF"',
    );
    await refused(
      t,
      environment('ce-spot'),
      'computeEnvironmentName: a compute environment named ce-spot already exists',
    );
    await refused(
      t,
      new UpdateComputeEnvironmentCommand({ computeEnvironment: 'nope' }),
      'computeEnvironment: no compute environment nope',
    );
  });

  it('refuses invalid job queues with ClientException naming the field', async () => {
    const t = await start();
    await t.client.send(environment('made'));
    await t.client.send(environment('made-ec2', { computeResources: { type: 'EC2', maxvCpus: 2, subnets: ['s'] } }));
    await refused(
      t,
      queue('q', { priority: 1001 }),
      'priority must be an integer from 0 to 1000; received number 1001',
    );
    await refused(t, queue('q', { priority: undefined }), 'priority is required');
    await refused(
      t,
      queue('q', { computeEnvironmentOrder: [] }),
      'computeEnvironmentOrder must hold 1 to 3 entries; received 0',
    );
    await refused(
      t,
      queue('q', {
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: 'made' },
          { order: 1, computeEnvironment: 'ce-spot' },
        ],
      }),
      'computeEnvironmentOrder[1].order: 1 is used twice',
    );
    await refused(
      t,
      queue('q', {
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: 'made' },
          { order: 2, computeEnvironment: 'made' },
        ],
      }),
      'computeEnvironmentOrder lists a compute environment twice',
    );
    await refused(
      t,
      queue('q', { computeEnvironmentOrder: [{ order: 1, computeEnvironment: 'ghost' }] }),
      'computeEnvironmentOrder[0].computeEnvironment: no compute environment ghost',
    );
    await refused(
      t,
      queue('q', {
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: 'made' },
          { order: 2, computeEnvironment: 'made-ec2' },
        ],
      }),
      'computeEnvironmentOrder mixes EC2 (EC2, SPOT) and Fargate (FARGATE, FARGATE_SPOT)',
    );
    await refused(
      t,
      queue('q', {
        jobStateTimeLimitActions: [{ reason: 'r', state: 'RUNNABLE', maxTimeSeconds: 599, action: 'CANCEL' }],
      }),
      'jobStateTimeLimitActions[0].maxTimeSeconds must be an integer from 600 to 86400; received number 599',
    );
    await refused(
      t,
      queue('q', {
        jobStateTimeLimitActions: [{ reason: 'r', state: 'RUNNABLE', maxTimeSeconds: 600, action: 'TERMINATE' }],
      }),
      'jobStateTimeLimitActions[0].action must be CANCEL',
    );
    await refused(
      t,
      queue('q', { schedulingPolicyArn: arn('scheduling-policy', 'ghost') }),
      'schedulingPolicyArn: no scheduling policy',
    );
    await refused(t, queue('high'), 'jobQueueName: a job queue named high already exists');
    const { arn: policyArn } = await t.client.send(policy('teams'));
    await refused(
      t,
      new UpdateJobQueueCommand({ jobQueue: 'high', schedulingPolicyArn: policyArn }),
      'schedulingPolicyArn: job queue high was created without a scheduling policy (FIFO) and cannot be given one',
    );
    await refused(t, new UpdateJobQueueCommand({ jobQueue: 'ghost', priority: 1 }), 'jobQueue: no job queue ghost');
  });

  it('refuses invalid scheduling policies with ClientException naming the field', async () => {
    const t = await start();
    await refused(t, policy('bad/name'), 'name must be 1-128 letters');
    await refused(
      t,
      policy('p', { fairsharePolicy: { shareDistribution: [{ shareIdentifier: 'a', weightFactor: 0 }] } }),
      'fairsharePolicy.shareDistribution[0].weightFactor must be a number from 0.0001 to 999.9999; received number 0',
    );
    await refused(
      t,
      policy('p', { fairsharePolicy: { shareDistribution: [{ shareIdentifier: 'a-b' }] } }),
      'fairsharePolicy.shareDistribution[0].shareIdentifier must be 1-255 letters or numbers, optionally followed by *',
    );
    await refused(
      t,
      policy('p', { fairsharePolicy: { computeReservation: 100 } }),
      'fairsharePolicy.computeReservation must be an integer from 0 to 99',
    );
    await refused(
      t,
      policy('p', { fairsharePolicy: { shareDecaySeconds: 604_801 } }),
      'fairsharePolicy.shareDecaySeconds must be an integer from 0 to 604800',
    );
    await refused(t, policy('fair'), 'name: a scheduling policy named fair already exists');
    await refused(t, new DescribeSchedulingPoliciesCommand({ arns: [] }), 'arns is required');
    await refused(
      t,
      new DeleteSchedulingPolicyCommand({ arn: arn('scheduling-policy', 'ghost') }),
      'arn: no scheduling policy',
    );
  });
});
