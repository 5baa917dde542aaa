import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelJobCommand, ListJobsCommand, SubmitJobCommand, TerminateJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { logFileFor, ProcessLauncher } from '../../../local/batch';
import { batchPerTest, describe1, ManualClock, maxOverlap, shell, untilStatus } from './helpers';

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

describe('scheduling', () => {
  it('starts RUNNABLE jobs by queue priority, FIFO within a queue', async () => {
    const { client, batch, dir } = await start({ vcpus: 1 });
    const gate = await client.send(
      new SubmitJobCommand({
        jobName: 'gate',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('while [ ! -f open ]; do sleep 0.01; done') },
      }),
    );
    await untilStatus(client, gate.jobId as string, 'RUNNING');
    const record = (name: string) => shell(`echo ${name} >> order.txt`);
    for (const [name, queue] of [
      ['low1', 'low'],
      ['high1', 'high'],
      ['low2', 'low'],
      ['high2', 'high'],
    ] as const) {
      await client.send(
        new SubmitJobCommand({
          jobName: name,
          jobQueue: queue,
          jobDefinition: 'job',
          containerOverrides: { command: record(name) },
        }),
      );
    }
    writeFileSync(join(dir, 'open'), '');
    await batch.service.waitForIdle();
    expect(readFileSync(join(dir, 'order.txt'), 'utf8').trim().split('\n')).toEqual(['high1', 'high2', 'low1', 'low2']);
  });

  it('never runs more jobs at once than the vCPU pool holds', async () => {
    const { client, batch } = await start({ vcpus: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { jobId } = await client.send(
        new SubmitJobCommand({
          jobName: `c${i}`,
          jobQueue: 'high',
          jobDefinition: 'job',
          containerOverrides: { command: ['sleep', '0.15'] },
        }),
      );
      ids.push(jobId as string);
    }
    const twoVcpu = await client.send(
      new SubmitJobCommand({
        jobName: 'wide',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '0.15'], resourceRequirements: [{ type: 'VCPU', value: '2' }] },
      }),
    );
    await batch.service.waitForIdle();
    const jobs = await Promise.all([...ids, twoVcpu.jobId as string].map((id) => describe1(client, id)));
    const intervals = jobs.map((job) => ({ start: job.startedAt as number, stop: job.stoppedAt as number }));
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
    const wide = intervals.at(-1) as { start: number; stop: number };
    expect(intervals.slice(0, -1).some((other) => other.start < wide.stop && wide.start < other.stop)).toBe(false);
    expect(batch.service.vcpusInUse).toBe(0);
  });
});

describe('ListJobs', () => {
  it('lists RUNNING jobs when no status is given', async () => {
    const { client } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'listed',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    // "If you don't specify a status, only RUNNING jobs are returned." (docs: batch/latest/APIReference/API_ListJobs.html)
    const { jobSummaryList } = await client.send(new ListJobsCommand({ jobQueue: 'high' }));
    expect(jobSummaryList?.map((summary) => summary.jobId)).toEqual([jobId]);
    const { jobSummaryList: succeeded } = await client.send(
      new ListJobsCommand({ jobQueue: 'high', jobStatus: 'SUCCEEDED' }),
    );
    expect(succeeded).toEqual([]);
  });

  it('pages through results with maxResults and nextToken', async () => {
    const { client, batch } = await start();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { jobId } = await client.send(
        new SubmitJobCommand({ jobName: `p${i}`, jobQueue: 'low', jobDefinition: 'job' }),
      );
      ids.add(jobId as string);
    }
    await batch.service.waitForIdle();
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListJobsCommand({ jobQueue: 'low', jobStatus: 'SUCCEEDED', maxResults: 2, nextToken }),
      );
      pages.push((page.jobSummaryList ?? []).map((summary) => summary.jobId as string));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat())).toEqual(ids);
  });

  it('holds 10,000 queued jobs and pages through them 1,000 at a time', async () => {
    const { batch } = await start({ vcpus: 1 });
    batch.service.submitJob({
      jobName: 'blocker',
      jobQueue: 'low',
      jobDefinition: 'job',
      containerOverrides: { command: ['sleep', '30'] },
    });
    for (let i = 0; i < 10_000; i++)
      batch.service.submitJob({ jobName: `bulk-${i}`, jobQueue: 'low', jobDefinition: 'job' });
    await new Promise((resolve) => setImmediate(resolve));
    const names: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = batch.service.listJobs({
        jobQueue: 'low',
        jobStatus: 'RUNNABLE',
        ...(nextToken ? { nextToken } : {}),
      });
      names.push(...(page.jobSummaryList ?? []).map((summary) => summary.jobName as string));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    // Up to 1,000 results per page when jobStatus is given (docs: batch/latest/APIReference/API_ListJobs.html).
    expect(pages).toBe(10);
    expect(names).toHaveLength(10_000);
    expect(names[0]).toBe('bulk-0');
    expect(names.at(-1)).toBe('bulk-9999');
    expect(batch.service.processesSpawned).toBeLessThanOrEqual(1);
  });

  it('filters by job name with a trailing wildcard across statuses', async () => {
    const { client, batch } = await start();
    await client.send(new SubmitJobCommand({ jobName: 'alpha-1', jobQueue: 'high', jobDefinition: 'job' }));
    await client.send(new SubmitJobCommand({ jobName: 'beta-1', jobQueue: 'high', jobDefinition: 'job' }));
    await batch.service.waitForIdle();
    const { jobSummaryList } = await client.send(
      new ListJobsCommand({ jobQueue: 'high', filters: [{ name: 'JOB_NAME', values: ['alpha*'] }] }),
    );
    expect(jobSummaryList?.map((summary) => summary.jobName)).toEqual(['alpha-1']);
  });
});

describe('dependencies', () => {
  it('keeps a dependent job PENDING until its dependency succeeds', async () => {
    const { client, batch, dir } = await start();
    const first = await client.send(
      new SubmitJobCommand({
        jobName: 'first',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('while [ ! -f open ]; do sleep 0.01; done') },
      }),
    );
    const second = await client.send(
      new SubmitJobCommand({
        jobName: 'second',
        jobQueue: 'high',
        jobDefinition: 'job',
        dependsOn: [{ jobId: first.jobId }],
      }),
    );
    await untilStatus(client, second.jobId as string, 'PENDING');
    writeFileSync(join(dir, 'open'), '');
    await batch.service.waitForIdle();
    expect((await describe1(client, second.jobId as string)).status).toBe('SUCCEEDED');
  });

  it('fails a dependent job when its dependency fails', async () => {
    const { client, batch } = await start();
    const first = await client.send(
      new SubmitJobCommand({
        jobName: 'first',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('sleep 0.05; exit 1') },
      }),
    );
    const second = await client.send(
      new SubmitJobCommand({
        jobName: 'second',
        jobQueue: 'high',
        jobDefinition: 'job',
        dependsOn: [{ jobId: first.jobId }],
      }),
    );
    await batch.service.waitForIdle();
    // A failed dependency moves the dependent job from PENDING to FAILED (docs: batch/latest/userguide/job_dependencies.html).
    expect(await describe1(client, second.jobId as string)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect(batch.service.processesSpawned).toBe(1);
  });
});

describe('array jobs', () => {
  it('runs one child per index with AWS_BATCH_JOB_ARRAY_INDEX and SIZE, and the parent SUCCEEDS', async () => {
    const { client, batch, dir } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'array',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: {
          command: shell(
            'echo "$AWS_BATCH_JOB_ARRAY_INDEX/$AWS_BATCH_JOB_ARRAY_SIZE" > "child-$AWS_BATCH_JOB_ARRAY_INDEX"',
          ),
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    const parent = await describe1(client, jobId as string);
    expect(parent.status).toBe('SUCCEEDED');
    expect(parent.arrayProperties).toMatchObject({ size: 3, statusSummary: { SUCCEEDED: 3, FAILED: 0 } });
    for (const index of [0, 1, 2]) expect(readFileSync(join(dir, `child-${index}`), 'utf8')).toBe(`${index}/3\n`);
    // Children are `<parentId>:<index>` (docs: batch/latest/userguide/array_jobs.html).
    const child = await describe1(client, `${jobId}:1`);
    expect(child).toMatchObject({ status: 'SUCCEEDED', arrayProperties: { index: 1 } });
    const { jobSummaryList } = await client.send(new ListJobsCommand({ arrayJobId: jobId, jobStatus: 'SUCCEEDED' }));
    expect(jobSummaryList?.map((summary) => summary.jobId).sort()).toEqual(
      [0, 1, 2].map((index) => `${jobId}:${index}`),
    );
  });

  it('fails the parent when any child fails', async () => {
    const { client, batch } = await start();
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'array',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: { command: shell('[ "$AWS_BATCH_JOB_ARRAY_INDEX" != 1 ]') },
      }),
    );
    await batch.service.waitForIdle();
    const parent = await describe1(client, jobId as string);
    expect(parent.status).toBe('FAILED');
    expect(parent.arrayProperties?.statusSummary).toMatchObject({ SUCCEEDED: 2, FAILED: 1 });
  });

  it('runs SEQUENTIAL children in index order and fails the rest after a failure', async () => {
    const { client, batch, dir } = await start({ vcpus: 4 });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'seq',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 4 },
        dependsOn: [{ type: 'SEQUENTIAL' }],
        containerOverrides: {
          command: shell('echo $AWS_BATCH_JOB_ARRAY_INDEX >> order.txt; [ "$AWS_BATCH_JOB_ARRAY_INDEX" != 2 ]'),
        },
      }),
    );
    await batch.service.waitForJob(jobId as string);
    expect(readFileSync(join(dir, 'order.txt'), 'utf8')).toBe('0\n1\n2\n');
    expect(await describe1(client, `${jobId}:3`)).toMatchObject({
      status: 'FAILED',
      statusReason: 'Dependent Job failed',
    });
    expect((await describe1(client, jobId as string)).status).toBe('FAILED');
  });

  it('terminates every child when the parent is terminated', async () => {
    const { client, batch } = await start({ vcpus: 1 });
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'arr',
        jobQueue: 'high',
        jobDefinition: 'job',
        arrayProperties: { size: 3 },
        containerOverrides: { command: ['sleep', '30'] },
      }),
    );
    await untilStatus(client, `${jobId}:0`, 'RUNNING');
    await client.send(new TerminateJobCommand({ jobId, reason: 'abort run' }));
    await batch.service.waitForIdle();
    const children = await Promise.all([0, 1, 2].map((index) => describe1(client, `${jobId}:${index}`)));
    expect(children.map((child) => [child.status, child.statusReason])).toEqual([
      ['FAILED', 'abort run'],
      ['FAILED', 'abort run'],
      ['FAILED', 'abort run'],
    ]);
    expect(batch.service.processesSpawned).toBe(1);
  });
});
