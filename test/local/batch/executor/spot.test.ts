import { describe, expect, it } from 'vitest';
import { StatusReasons } from '../../../../local/batch';
import { batchPerTest, shell, submit, testConfig } from '../helpers';

const start = batchPerTest();

/** Draws for the Spot model: interrupt the first attempt (0.1 < rate), hex digits 8 for its instance ID, then never again. */
function interruptFirstAttempt(): () => number {
  const draws = [0.1, ...Array.from({ length: 17 }, () => 0.5)];
  return () => draws.shift() ?? 0.99;
}

const spotConfig = (type: 'SPOT' | 'FARGATE_SPOT', evaluateOnExit: Record<string, string>[]) =>
  testConfig({
    computeEnvironments: [{ name: 'spot', type, maxvCpus: 4 }],
    jobQueues: [{ name: 'high', priority: 1, computeEnvironments: ['spot'] }],
    jobDefinitions: [
      {
        name: 'job',
        image: 'local/job:latest',
        vcpus: 1,
        command: shell('sleep 0.3'),
        retryStrategy: { attempts: 3, evaluateOnExit },
      },
    ],
    local: { vcpus: 2, spotInterruptionRate: 0.5, spotInterruptionAfterSeconds: 0 },
  });

/** The rules fanout.config.json ships: Spot interruptions RETRY, anything else EXITs. */
const spotRetryRules = [
  { onStatusReason: 'Host EC2*', action: 'RETRY' },
  { onStatusReason: 'Your Spot Task was interrupted*', action: 'RETRY' },
  { onReason: '*', action: 'EXIT' },
];

// A lost Spot host ends the attempt with "Host EC2 (instance i-...) terminated.", which evaluateOnExit's
// onStatusReason matches (https://docs.aws.amazon.com/batch/latest/userguide/job_retries.html).
describe('Spot interruptions', () => {
  it('ends an attempt on an EC2 Spot host as a terminated instance, and evaluateOnExit retries it', async () => {
    const t = await start({ config: spotConfig('SPOT', spotRetryRules), random: interruptFirstAttempt() });
    const jobId = await submit(t, {});
    const job = await t.batch.service.waitForJob(jobId);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attempts).toHaveLength(2);
    const lost = job.attempts?.[0];
    expect(lost?.statusReason).toBe(StatusReasons.spotHostTerminated('i-88888888888888888'));
    expect(lost?.statusReason).toBe('Host EC2 (instance i-88888888888888888) terminated.');
    expect(lost?.container?.exitCode).toBeUndefined();
    expect(job.attempts?.[1]?.container?.exitCode).toBe(0);
  });

  it('ends an attempt on Fargate Spot with ECS\'s "Your Spot Task was interrupted." and retries it', async () => {
    const t = await start({ config: spotConfig('FARGATE_SPOT', spotRetryRules), random: interruptFirstAttempt() });
    const job = await t.batch.service.waitForJob(await submit(t, {}));
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attempts?.map((attempt) => attempt.statusReason)).toEqual([
      'Your Spot Task was interrupted.',
      'Essential container in task exited',
    ]);
  });

  it('fails the job when evaluateOnExit says EXIT for a lost host', async () => {
    const t = await start({
      config: spotConfig('SPOT', [{ onStatusReason: 'Host EC2*', action: 'EXIT' }]),
      random: interruptFirstAttempt(),
    });
    const job = await t.batch.service.waitForJob(await submit(t, {}));
    expect(job.status).toBe('FAILED');
    expect(job.attempts).toHaveLength(1);
    expect(job.statusReason).toMatch(/^Host EC2 \(instance i-[0-9a-f]{17}\) terminated\.$/);
  });

  it('never interrupts an attempt on an on-demand compute environment', async () => {
    let draws = 0;
    const t = await start({
      config: testConfig({
        computeEnvironments: [{ name: 'ondemand', type: 'EC2', maxvCpus: 4 }],
        jobQueues: [{ name: 'high', priority: 1, computeEnvironments: ['ondemand'] }],
        local: { vcpus: 2, spotInterruptionRate: 1 },
      }),
      random: () => {
        draws++;
        return 0;
      },
    });
    const job = await t.batch.service.waitForJob(await submit(t, {}));
    expect(job.status).toBe('SUCCEEDED');
    expect(draws).toBe(0);
  });
});
