import { CancelJobCommand, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { batchPerTest, describe1, untilStatus } from '../helpers';

const start = batchPerTest();

describe('terminate and cancel', () => {
  it('terminates a running job: FAILED with the reason, not retried', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'terminated',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
        retryStrategy: { attempts: 3 },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    await client.send(new TerminateJobCommand({ jobId, reason: 'stopped by test' }));
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job).toMatchObject({ status: 'FAILED', statusReason: 'stopped by test', isTerminated: true });
    expect(job.attempts).toHaveLength(1);
  });

  it('cancels a RUNNABLE job and leaves a RUNNING one alone', async () => {
    const { client, batch } = await start({ vcpus: 1 });
    const blocker = await client.send(
      new SubmitJobCommand({
        jobName: 'blocker',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, blocker.jobId as string, 'RUNNING');
    const waiting = await client.send(
      new SubmitJobCommand({ jobName: 'waiting', jobQueue: 'high', jobDefinition: 'job' }),
    );
    await untilStatus(client, waiting.jobId as string, 'RUNNABLE');
    // CancelJob fails SUBMITTED/PENDING/RUNNABLE jobs and still succeeds for STARTING/RUNNING ones
    // (docs: batch/latest/APIReference/API_CancelJob.html).
    await client.send(new CancelJobCommand({ jobId: waiting.jobId, reason: 'not needed' }));
    await client.send(new CancelJobCommand({ jobId: blocker.jobId, reason: 'too late' }));
    expect(await describe1(client, waiting.jobId as string)).toMatchObject({
      status: 'FAILED',
      statusReason: 'not needed',
      isCancelled: true,
    });
    expect((await describe1(client, blocker.jobId as string)).status).toBe('RUNNING');
    await client.send(new TerminateJobCommand({ jobId: blocker.jobId, reason: 'cleanup' }));
    await batch.service.waitForIdle();
    expect(batch.service.processesSpawned).toBe(1);
  });
});
