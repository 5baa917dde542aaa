import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { decideRetry, globMatches } from '../../../../local/batch';
import { batchPerTest, describe1, shell } from '../helpers';

const start = batchPerTest();

describe('globMatches', () => {
  // Patterns match the whole value, a trailing * matches any rest (docs: batch/latest/APIReference/API_EvaluateOnExit.html).
  it('matches the whole value without a wildcard', () => {
    expect(globMatches('137', '137')).toBe(true);
    expect(globMatches('13', '137')).toBe(false);
  });

  it('matches a prefix with a trailing asterisk', () => {
    expect(globMatches('Host EC2*', 'Host EC2 (instance i-0abc) terminated.')).toBe(true);
    expect(globMatches('Host EC2*', 'Essential container in task exited')).toBe(false);
  });

  it('matches a missing value only with a pattern that accepts the empty string', () => {
    expect(globMatches('*', undefined)).toBe(true);
    expect(globMatches('1*', undefined)).toBe(false);
  });
});

describe('decideRetry', () => {
  const exited = { exitCode: 1, statusReason: 'Essential container in task exited' };

  it('retries while attempts remain and no rule is given', () => {
    expect(decideRetry({ attempts: 2 }, 1, exited)).toBe('RETRY');
    expect(decideRetry({ attempts: 2 }, 2, exited)).toBe('EXIT');
  });

  it('lets the first matching rule decide', () => {
    const strategy = {
      attempts: 3,
      evaluateOnExit: [
        { onExitCode: '1', action: 'EXIT' as const },
        { onExitCode: '*', action: 'RETRY' as const },
      ],
    };
    expect(decideRetry(strategy, 1, exited)).toBe('EXIT');
    expect(decideRetry(strategy, 1, { ...exited, exitCode: 2 })).toBe('RETRY');
  });

  it('requires every condition of a rule to match', () => {
    const strategy = {
      attempts: 3,
      evaluateOnExit: [{ onExitCode: '1', onStatusReason: 'Host EC2*', action: 'EXIT' as const }],
    };
    expect(decideRetry(strategy, 1, exited)).toBe('RETRY');
    expect(decideRetry(strategy, 1, { exitCode: 1, statusReason: 'Host EC2 (instance i-1) terminated.' })).toBe('EXIT');
  });

  it('retries when rules exist but none matches', () => {
    // "If evaluateOnExit is specified, but none of the retry strategies match, then the job is retried."
    // (docs: batch/latest/userguide/job_retries.html)
    expect(decideRetry({ attempts: 3, evaluateOnExit: [{ onExitCode: '42', action: 'EXIT' }] }, 1, exited)).toBe(
      'RETRY',
    );
  });

  it('treats the catch-all onReason "*" as matching a failure without a reason', () => {
    expect(decideRetry({ attempts: 3, evaluateOnExit: [{ onReason: '*', action: 'EXIT' }] }, 1, exited)).toBe('EXIT');
  });
});

describe('retry strategy', () => {
  // A job that fails twice and then succeeds, counting its attempts in a file.
  const flaky = shell(
    'n=$(cat counter 2>/dev/null || echo 0); n=$((n+1)); echo $n > counter; echo "$AWS_BATCH_JOB_ATTEMPT" >> attempts; [ $n -ge 3 ]',
  );

  it('retries on a matching RETRY rule until the job succeeds', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'flaky',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: flaky },
        retryStrategy: {
          attempts: 3,
          evaluateOnExit: [
            { onExitCode: '1', action: 'RETRY' },
            { onReason: '*', action: 'EXIT' },
          ],
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.status).toBe('SUCCEEDED');
    expect(job.attempts?.map((attempt) => attempt.container?.exitCode)).toEqual([1, 1, 0]);
    // The first attempt is numbered 1 (docs: batch/latest/userguide/job_retries.html).
    expect(readFileSync(join(dir, 'attempts'), 'utf8')).toBe('1\n2\n3\n');
    expect(new Set(job.attempts?.map((attempt) => attempt.container?.logStreamName)).size).toBe(3);
  });

  it('retries when evaluateOnExit rules exist but none matches', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'nomatch',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('exit 3') },
        // "If evaluateOnExit is specified, but none of the retry strategies match, then the job is retried."
        // (docs: batch/latest/userguide/job_retries.html)
        retryStrategy: { attempts: 2, evaluateOnExit: [{ onExitCode: '42', action: 'EXIT' }] },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.status).toBe('FAILED');
    expect(job.attempts).toHaveLength(2);
  });

  it('stops at the first matching EXIT rule', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'exitrule',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('exit 37') },
        retryStrategy: {
          attempts: 5,
          evaluateOnExit: [
            { onExitCode: '3*', action: 'EXIT' },
            { onReason: '*', action: 'RETRY' },
          ],
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.status).toBe('FAILED');
    expect(job.attempts).toHaveLength(1);
  });

  it('uses the job definition retry strategy when the submission has none', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'defretry',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('exit 1') },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.retryStrategy).toEqual({ attempts: 1 });
    expect(job.attempts).toHaveLength(1);
  });
});
