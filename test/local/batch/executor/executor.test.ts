import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { logFileFor, ProcessLauncher } from '../../../../local/batch';
import { batchPerTest, describe1, ManualClock, shell, untilStatus } from '../helpers';

const start = batchPerTest();

describe('a job that exits 0', () => {
  it('passes SUBMITTED through RUNNING to SUCCEEDED with timestamps and one attempt', async () => {
    const { client, batch } = await start();
    const { jobId, jobArn } = await client.send(
      new SubmitJobCommand({
        jobName: 'happy',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('exit 0') },
      }),
    );
    expect(jobArn).toBe(`arn:aws:batch:us-east-1:000000000000:job/${jobId}`);
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job).toMatchObject({
      status: 'SUCCEEDED',
      jobName: 'happy',
      jobQueue: 'arn:aws:batch:us-east-1:000000000000:job-queue/high',
      jobDefinition: 'arn:aws:batch:us-east-1:000000000000:job-definition/job:1',
      statusReason: 'Essential container in task exited',
      container: { exitCode: 0, command: ['sh', '-c', 'exit 0'] },
    });
    expect(job.attempts).toHaveLength(1);
    expect(job.createdAt).toBeTypeOf('number');
    expect(job.startedAt).toBeGreaterThanOrEqual(job.createdAt as number);
    expect(job.stoppedAt).toBeGreaterThanOrEqual(job.startedAt as number);
    expect(batch.service.processesSpawned).toBe(1);
  });

  it('is SUBMITTED until the scheduler evaluates it, then RUNNABLE', async () => {
    const { batch } = await start({ vcpus: 1 });
    const blocker = batch.service.submitJob({
      jobName: 'blocker',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['sleep', '30'] },
    });
    const { jobId } = batch.service.submitJob({ jobName: 'queued', jobQueue: 'high', jobDefinition: 'job' });
    // A job is SUBMITTED until the scheduler evaluates it (docs: batch/latest/userguide/job_states.html).
    expect(batch.service.describeJob(jobId as string)?.status).toBe('SUBMITTED');
    await new Promise((resolve) => setImmediate(resolve));
    expect(batch.service.describeJob(jobId as string)?.status).toBe('RUNNABLE');
    expect(batch.service.describeJob(blocker.jobId as string)?.status).toBe('STARTING');
  });

  it('runs with the definition and override environment plus the AWS_BATCH variables', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'env',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: {
          command: shell('env > env.txt'),
          environment: [{ name: 'FROM_OVERRIDE', value: 'over' }],
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const env = Object.fromEntries(
      readFileSync(join(dir, 'env.txt'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    // Variables Batch sets (docs: batch/latest/userguide/job_env_vars.html); the CE is the queue's first.
    expect(env).toMatchObject({
      FROM_DEFINITION: 'def',
      FROM_OVERRIDE: 'over',
      AWS_BATCH_JOB_ID: jobId,
      AWS_BATCH_JOB_ATTEMPT: '1',
      AWS_BATCH_JQ_NAME: 'high',
      AWS_BATCH_CE_NAME: 'ce-ondemand',
    });
    expect(env.AWS_BATCH_JOB_ARRAY_INDEX).toBeUndefined();
  });

  it('writes stdout and stderr to the log file of the attempt log stream', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'logs',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('echo out; echo err >&2') },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    const stream = job.container?.logStreamName as string;
    expect(stream).toMatch(/^job\/default\/[0-9a-f]{32}$/);
    expect(job.attempts?.[0]?.container?.logStreamName).toBe(stream);
    expect(readFileSync(logFileFor(dir, stream), 'utf8')).toBe('out\nerr\n');
  });

  it('substitutes Ref:: parameters in the command', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'params',
        jobQueue: 'high',
        jobDefinition: 'job',
        parameters: { greeting: 'hello' },
        containerOverrides: { command: ['sh', '-c', 'echo "$0" > greeting.txt', 'Ref::greeting'] },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    expect(readFileSync(join(dir, 'greeting.txt'), 'utf8')).toBe('hello\n');
    expect((await describe1(client, jobId as string)).container?.command).toEqual([
      'sh',
      '-c',
      'echo "$0" > greeting.txt',
      'hello',
    ]);
  });

  it('spawns what prepareInvocation returns, which sees the AWS_BATCH variables', async () => {
    const seen: Record<string, string>[] = [];
    const { client, batch, dir } = await start({
      prepareInvocation: (job) => {
        seen.push(job.environment);
        return {
          command: shell('echo "$PREPARED" > prepared.txt'),
          environment: { ...job.environment, PREPARED: 'yes' },
        };
      },
    });
    const { jobId } = await client.send(
      new SubmitJobCommand({ jobName: 'prep', jobQueue: 'high', jobDefinition: 'job' }),
    );
    await batch.service.waitForJob(jobId as string);
    expect(readFileSync(join(dir, 'prepared.txt'), 'utf8')).toBe('yes\n');
    expect(seen[0]).toMatchObject({ AWS_BATCH_JOB_ID: jobId, AWS_BATCH_JOB_ATTEMPT: '1' });
  });
});

describe('a failing job', () => {
  it('fails with the exit code and "Essential container in task exited"', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'exit3',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('exit 3') },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job).toMatchObject({
      status: 'FAILED',
      statusReason: 'Essential container in task exited',
      container: { exitCode: 3 },
    });
    expect(job.attempts?.map((attempt) => attempt.container?.exitCode)).toEqual([3]);
  });

  it('fails with CannotStartContainerError and no exit code when the command does not exist', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'nocmd',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['fanout-no-such-command-xyz'] },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.status).toBe('FAILED');
    expect(job.statusReason).toBe('Task failed to start');
    expect(job.container?.reason).toMatch(/^CannotStartContainerError: .*fanout-no-such-command-xyz/);
    expect(job.container?.exitCode).toBeUndefined();
    expect(batch.service.processesSpawned).toBe(0);
  });
});

describe('starting processes', () => {
  it('fails to start with CannotStartContainerError when the working directory does not exist', async () => {
    const { batch } = await start({ cwd: join(tmpdir(), 'fanout-no-such-directory-xyz') });
    const { jobId } = batch.service.submitJob({ jobName: 'nocwd', jobQueue: 'high', jobDefinition: 'job' });
    const job = await batch.service.waitForJob(jobId as string);
    expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Task failed to start' });
    expect(job.container?.reason).toBe(
      `CannotStartContainerError: the working directory "${join(tmpdir(), 'fanout-no-such-directory-xyz')}" does not exist or cannot be entered`,
    );
    expect(job.container?.exitCode).toBeUndefined();
  });

  it('fails to start with CannotStartContainerError when prepareInvocation returns a NUL byte', async () => {
    const { batch } = await start({
      prepareInvocation: (job) => ({ command: job.command, environment: { ...job.environment, SEED: '4\u00002' } }),
    });
    const { jobId } = batch.service.submitJob({ jobName: 'nul', jobQueue: 'high', jobDefinition: 'job' });
    const job = await batch.service.waitForJob(jobId as string);
    expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Task failed to start' });
    expect(job.container?.reason).toBe(
      'CannotStartContainerError: environment variable SEED must not contain a NUL byte; received "4\\u00002"',
    );
    expect(batch.service.processesSpawned).toBe(0);
  });

  it('runs a command given by a path relative to the working directory', async () => {
    const { batch, dir } = await start();
    writeFileSync(join(dir, 'hello.sh'), '#!/bin/sh\necho relative > relative.txt\n', { mode: 0o755 });
    const { jobId } = batch.service.submitJob({
      jobName: 'rel',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['./hello.sh'] },
    });
    expect((await batch.service.waitForJob(jobId as string)).status).toBe('SUCCEEDED');
    expect(readFileSync(join(dir, 'relative.txt'), 'utf8')).toBe('relative\n');
  });

  it('finds the command on the default search path when the environment has no PATH', async () => {
    const { batch, dir } = await start({
      prepareInvocation: ({ command, environment: { PATH: _path, ...rest } }) => ({ command, environment: rest }),
    });
    const { jobId } = batch.service.submitJob({
      jobName: 'nopath',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: shell('env > env.txt') },
    });
    expect((await batch.service.waitForJob(jobId as string)).status).toBe('SUCCEEDED');
    const names = readFileSync(join(dir, 'env.txt'), 'utf8')
      .split('\n')
      .map((line) => line.slice(0, line.indexOf('=')));
    expect(names).toContain('AWS_BATCH_JOB_ID');
    expect(names).not.toContain('PATH');
  });

  it('fails a running job with "Local job launcher exited" when the launcher dies with it, then starts a new launcher', async () => {
    const launcher = new ProcessLauncher();
    const { client, batch } = await start({ launcher });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'orphaned',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    process.kill(-(launcher.launcherPid as number), 'SIGKILL');
    const job = await batch.service.waitForJob(jobId as string);
    expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Local job launcher exited' });
    expect(job.container?.reason).toMatch(
      /^the launcher shell \(pid \d+\) exited before reporting the exit of process \d+/,
    );
    const next = batch.service.submitJob({ jobName: 'after', jobQueue: 'high', jobDefinition: 'job' });
    expect((await batch.service.waitForJob(next.jobId as string)).status).toBe('SUCCEEDED');
    expect(launcher.launchersStarted).toBe(2);
  });
});

describe('timeout', () => {
  it('stops an attempt after attemptDurationSeconds and does not retry it', async () => {
    const clock = new ManualClock();
    const { client, batch } = await start({ clock });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'slow',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
        timeout: { attemptDurationSeconds: 60 },
        retryStrategy: { attempts: 3 },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    clock.advance(59_999);
    expect((await describe1(client, jobId as string)).status).toBe('RUNNING');
    clock.advance(1);
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    // Timed-out jobs are not retried (docs: batch/latest/userguide/job_timeouts.html).
    expect(job).toMatchObject({ status: 'FAILED', statusReason: 'Job attempt duration exceeded timeout' });
    expect(job.attempts).toHaveLength(1);
    expect(job.attempts?.[0]?.container?.exitCode).toBe(143);
  });

  it("honours a timeout under AWS's 60 seconds, as the local cloud's configuration allows by default", async () => {
    const clock = new ManualClock();
    const { client, batch } = await start({ clock });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'quick-timeout',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
        timeout: { attemptDurationSeconds: 2 },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    clock.advance(1_999);
    expect((await describe1(client, jobId as string)).status).toBe('RUNNING');
    clock.advance(1);
    await batch.service.waitForJob(jobId as string);
    expect(await describe1(client, jobId as string)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Job attempt duration exceeded timeout',
    });
  });

  it('sends SIGKILL 30 seconds after SIGTERM to a process that ignores SIGTERM', async () => {
    const clock = new ManualClock();
    const { client, batch, dir } = await start({ clock });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'stubborn',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: {
          command: [
            'node',
            '-e',
            "process.on('SIGTERM', () => console.log('ignored')); console.log('ready'); setInterval(() => {}, 1000)",
          ],
        },
        timeout: { attemptDurationSeconds: 60 },
      }),
    );
    const running = await untilStatus(client, jobId as string, 'RUNNING');
    const log = logFileFor(dir, running.container?.logStreamName as string);
    // The log file appears when the launcher opens it, which may be just after RUNNING is reported.
    const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    while (!logText().includes('ready')) await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advance(60_000);
    while (!logText().includes('ignored')) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await describe1(client, jobId as string)).status).toBe('RUNNING');
    clock.advance(30_000);
    await batch.service.waitForJob(jobId as string);
    const job = await describe1(client, jobId as string);
    expect(job.statusReason).toBe('Job attempt duration exceeded timeout');
    expect(job.container?.exitCode).toBe(137);
  });
});
