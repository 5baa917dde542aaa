import {
  ClientException,
  DescribeComputeEnvironmentsCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBatch, type TestBatch, testConfig } from './helpers';

let t: TestBatch;
beforeAll(async () => {
  // AWS Batch's own floor for job timeouts; the local cloud's default is lower (see the executor's timeout tests).
  t = await startTestBatch({ config: testConfig({ local: { vcpus: 2, minTimeoutSeconds: 60 } }) });
});
afterAll(async () => {
  await t.close();
});

const base: SubmitJobCommandInput = {
  jobName: 'valid',
  jobQueue: 'high',
  jobDefinition: 'job',
  containerOverrides: { command: ['true'] },
};

async function rejects(
  input: Partial<SubmitJobCommandInput> | Record<string, unknown>,
  message: string | RegExp,
): Promise<void> {
  const attempt = t.client.send(new SubmitJobCommand({ ...base, ...input } as SubmitJobCommandInput));
  await expect(attempt).rejects.toBeInstanceOf(ClientException);
  await expect(attempt).rejects.toThrow(message);
}

describe('SubmitJob validation', () => {
  // Job names: up to 128 letters, numbers, hyphens and underscores, the first alphanumeric
  // (docs: batch/latest/APIReference/API_SubmitJob.html).
  it('rejects a job name longer than 128 characters', async () => {
    await rejects(
      { jobName: 'a'.repeat(129) },
      /^Job name should match valid pattern: jobName must be 1-128 .*received "a{80}\.\.\."$/,
    );
  });

  it('accepts a job name of exactly 128 characters', async () => {
    const { jobId } = await t.client.send(new SubmitJobCommand({ ...base, jobName: 'a'.repeat(128) }));
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects a job name starting with an underscore', async () => {
    await rejects(
      { jobName: '_job' },
      'Job name should match valid pattern: jobName must be 1-128 letters, numbers, hyphens or underscores, starting with a letter or number; received "_job"',
    );
  });

  it('rejects a job name with a character outside the pattern', async () => {
    await rejects({ jobName: 'my.job' }, 'received "my.job"');
  });

  it('rejects an environment variable name starting with AWS_BATCH', async () => {
    // AWS_BATCH is a protected prefix (docs: batch/latest/userguide/job_env_vars.html).
    await rejects(
      { containerOverrides: { environment: [{ name: 'AWS_BATCH_JOB_ID', value: 'x' }] } },
      'containerOverrides.environment[0].name: environment variable names can\'t start with AWS_BATCH, a prefix reserved for variables that AWS Batch sets; received "AWS_BATCH_JOB_ID"',
    );
  });

  it('rejects a NUL byte in a command argument', async () => {
    await rejects(
      { containerOverrides: { command: ['echo', 'a\u0000b'] } },
      'containerOverrides.command[1] must not contain a NUL byte (\\u0000), which a process argument or environment variable cannot hold; received "a\\u0000b"',
    );
  });

  it('rejects a NUL byte in an environment variable value', async () => {
    await rejects(
      { containerOverrides: { environment: [{ name: 'SEED', value: '4\u00002' }] } },
      'containerOverrides.environment[0].value must not contain a NUL byte (\\u0000), which a process argument or environment variable cannot hold; received "4\\u00002"',
    );
  });

  it('rejects an environment variable name holding "="', async () => {
    await rejects(
      { containerOverrides: { environment: [{ name: 'A=B', value: 'x' }] } },
      'containerOverrides.environment[0].name must not contain "=" or a NUL byte, which end a variable name; received "A=B"',
    );
  });

  it('rejects a parameter value that is not a string', async () => {
    await rejects(
      { parameters: { seed: 42 } } as unknown as SubmitJobCommandInput,
      'parameters.seed must be a string (Batch parameters accept string values only); received number 42',
    );
  });

  it('rejects a request payload over 30 KiB', async () => {
    // Maximum job payload size for SubmitJob: 30 KiB (docs: batch/latest/userguide/service_limits.html).
    await rejects(
      { containerOverrides: { environment: [{ name: 'BIG', value: 'x'.repeat(31 * 1024) }] } },
      /^SubmitJob request payload is \d+ bytes; the maximum job payload size is 30 KiB \(30720 bytes\)$/,
    );
  });

  it('rejects an unknown job queue by name and by ARN', async () => {
    await rejects({ jobQueue: 'nope' }, 'JobQueue nope not found.');
    await rejects(
      { jobQueue: 'arn:aws:batch:us-east-1:000000000000:job-queue/nope' },
      'JobQueue arn:aws:batch:us-east-1:000000000000:job-queue/nope not found.',
    );
  });

  it('rejects an unknown job definition by name, name:revision and ARN', async () => {
    await rejects({ jobDefinition: 'nope' }, 'JobDefinition name nope does not exist or is not in ACTIVE status');
    await rejects({ jobDefinition: 'job:2' }, 'JobDefinition job:2 not found.');
    await rejects(
      { jobDefinition: 'arn:aws:batch:us-east-1:000000000000:job-definition/job:7' },
      'JobDefinition arn:aws:batch:us-east-1:000000000000:job-definition/job:7 not found.',
    );
  });

  it('accepts the job definition as name:1 and as its ARN, and the queue as its ARN', async () => {
    for (const jobDefinition of ['job:1', 'arn:aws:batch:us-east-1:000000000000:job-definition/job:1']) {
      const { jobId } = await t.client.send(
        new SubmitJobCommand({
          ...base,
          jobDefinition,
          jobQueue: 'arn:aws:batch:us-east-1:000000000000:job-queue/high',
        }),
      );
      expect(jobId).toBeDefined();
    }
  });

  it('rejects retryStrategy attempts outside 1..10', async () => {
    // Between 1 and 10 attempts (docs: batch/latest/userguide/job_retries.html).
    await rejects(
      { retryStrategy: { attempts: 0 } },
      'retryStrategy.attempts must be an integer between 1 and 10; received number 0',
    );
    await rejects(
      { retryStrategy: { attempts: 11 } },
      'retryStrategy.attempts must be an integer between 1 and 10; received number 11',
    );
  });

  it('rejects more than 5 evaluateOnExit rules', async () => {
    const rule = { onExitCode: '1', action: 'RETRY' as const };
    await rejects(
      { retryStrategy: { attempts: 2, evaluateOnExit: Array(6).fill(rule) } },
      'retryStrategy.evaluateOnExit can contain at most 5 rules; received 6',
    );
  });

  it('rejects an onExitCode pattern with letters', async () => {
    // onExitCode "can contain only numbers, and can end with an asterisk" (docs: batch/latest/APIReference/API_EvaluateOnExit.html).
    await rejects(
      { retryStrategy: { attempts: 2, evaluateOnExit: [{ onExitCode: 'one', action: 'RETRY' }] } },
      'retryStrategy.evaluateOnExit[0].onExitCode may contain only numbers, optionally ending with *; received "one"',
    );
  });

  it("rejects a timeout under the configured floor, AWS Batch's 60 seconds here", async () => {
    // attemptDurationSeconds must be at least 60 seconds (docs: batch/latest/userguide/job_timeouts.html).
    await rejects(
      { timeout: { attemptDurationSeconds: 59 } },
      'timeout.attemptDurationSeconds must be an integer of at least 60 seconds; received number 59',
    );
  });

  it('rejects an unknown resource requirement type and a non-numeric VCPU', async () => {
    await rejects(
      { containerOverrides: { resourceRequirements: [{ type: 'DISK' as 'VCPU', value: '1' }] } },
      'containerOverrides.resourceRequirements[0].type must be one of GPU, MEMORY, VCPU; received "DISK"',
    );
    await rejects(
      { containerOverrides: { resourceRequirements: [{ type: 'VCPU', value: 'lots' }] } },
      'containerOverrides.resourceRequirements[0].value (VCPU) must be a positive number; received "lots"',
    );
  });

  it('rejects an empty command override', async () => {
    await rejects({ containerOverrides: { command: [] } }, /^Command cannot be empty/);
  });

  it('rejects an array size outside 2..10,000', async () => {
    // "The array size can be between 2 and 10,000" (docs: batch/latest/APIReference/API_SubmitJob.html, batch/latest/userguide/array_jobs.html).
    const rule = 'The array size can be between 2 and 10,000: arrayProperties.size must be an integer from 2 to 10000';
    await rejects({ arrayProperties: { size: 1 } }, `${rule}; received number 1`);
    await rejects({ arrayProperties: { size: 10_001 } }, `${rule}; received number 10001`);
    await rejects({ arrayProperties: { size: 2.5 } }, `${rule}; received number 2.5`);
    // The largest size is accepted; it waits on a job that is then terminated, so its children never run.
    const gate = await t.client.send(
      new SubmitJobCommand({ ...base, containerOverrides: { command: ['sleep', '30'] } }),
    );
    const { jobId } = await t.client.send(
      new SubmitJobCommand({ ...base, arrayProperties: { size: 10_000 }, dependsOn: [{ jobId: gate.jobId }] }),
    );
    await t.client.send(new TerminateJobCommand({ jobId: gate.jobId, reason: 'only the size was checked' }));
    expect(await t.batch.service.waitForJob(jobId as string)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
  });

  it('rejects a dependency on a job that does not exist and more than 20 dependencies', async () => {
    await rejects({ dependsOn: [{ jobId: 'missing' }] }, 'dependsOn[0].jobId: job missing does not exist');
    // At most 20 dependencies per job (docs: batch/latest/userguide/service_limits.html).
    await rejects(
      { dependsOn: Array.from({ length: 21 }, (_, i) => ({ jobId: `j${i}` })) },
      'dependsOn: a job can depend on at most 20 jobs; received 21',
    );
  });

  it('rejects a SEQUENTIAL dependency on a job that is not an array job', async () => {
    await rejects(
      { dependsOn: [{ type: 'SEQUENTIAL' }] },
      'dependsOn[0].type SEQUENTIAL is only valid for array jobs (arrayProperties.size)',
    );
  });

  it('requires shareIdentifier on a fair-share queue and forbids it elsewhere', async () => {
    await rejects(
      { jobQueue: 'shared' },
      'shareIdentifier is required: job queue shared has the fair-share scheduling policy fair',
    );
    await rejects(
      { shareIdentifier: 'team-a' },
      /^shareIdentifier can only be set on jobs for a queue with a fair-share scheduling policy; job queue high has none/,
    );
    const { jobId } = await t.client.send(
      new SubmitJobCommand({ ...base, jobQueue: 'shared', shareIdentifier: 'team-a' }),
    );
    expect(jobId).toBeDefined();
  });
});

describe('other operations', () => {
  it('answers TerminateJob on an unknown job with a ClientException', async () => {
    const attempt = t.client.send(new TerminateJobCommand({ jobId: 'missing', reason: 'x' }));
    await expect(attempt).rejects.toBeInstanceOf(ClientException);
    await expect(attempt).rejects.toThrow('jobId: job missing does not exist');
  });

  it('leaves unknown IDs out of DescribeJobs and rejects more than 100 IDs', async () => {
    const { jobs } = await t.client.send(new DescribeJobsCommand({ jobs: ['missing'] }));
    expect(jobs).toEqual([]);
    await expect(t.client.send(new DescribeJobsCommand({ jobs: Array(101).fill('x') }))).rejects.toThrow(
      'jobs can list at most 100 entries; received 101',
    );
  });

  it('requires exactly one of jobQueue, arrayJobId and multiNodeJobId in ListJobs', async () => {
    await expect(t.client.send(new ListJobsCommand({}))).rejects.toThrow(
      'specify exactly one of jobQueue, arrayJobId or multiNodeJobId; received 0',
    );
  });

  it('rejects a nextToken it did not issue', async () => {
    await expect(t.client.send(new ListJobsCommand({ jobQueue: 'high', nextToken: 'garbage' }))).rejects.toThrow(
      'nextToken is not a token returned by this service; received "garbage"',
    );
  });

  it('describes the configured job queues, job definitions and compute environments', async () => {
    const { jobQueues } = await t.client.send(new DescribeJobQueuesCommand({ jobQueues: ['high'] }));
    expect(jobQueues).toEqual([
      expect.objectContaining({
        jobQueueName: 'high',
        jobQueueArn: 'arn:aws:batch:us-east-1:000000000000:job-queue/high',
        priority: 100,
        state: 'ENABLED',
        computeEnvironmentOrder: [
          { order: 1, computeEnvironment: 'arn:aws:batch:us-east-1:000000000000:compute-environment/ce-ondemand' },
          { order: 2, computeEnvironment: 'arn:aws:batch:us-east-1:000000000000:compute-environment/ce-spot' },
        ],
      }),
    ]);
    const { jobDefinitions } = await t.client.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: 'job' }));
    expect(jobDefinitions).toEqual([
      expect.objectContaining({
        jobDefinitionArn: 'arn:aws:batch:us-east-1:000000000000:job-definition/job:1',
        revision: 1,
        status: 'ACTIVE',
        containerProperties: expect.objectContaining({
          image: 'local/job:latest',
          resourceRequirements: [
            { type: 'VCPU', value: '1' },
            { type: 'MEMORY', value: '512' },
          ],
        }),
      }),
    ]);
    const { computeEnvironments } = await t.client.send(new DescribeComputeEnvironmentsCommand({}));
    expect(
      computeEnvironments?.map((ce) => [
        ce.computeEnvironmentName,
        ce.computeResources?.type,
        ce.computeResources?.maxvCpus,
      ]),
    ).toEqual([
      ['ce-ondemand', 'FARGATE', 4],
      ['ce-spot', 'FARGATE_SPOT', 4],
    ]);
  });
});
