import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchClient, SubmitJobCommand } from '@aws-sdk/client-batch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BatchClientError,
  BatchServerError,
  logFileFor,
  type RunningBatchService,
  startBatchService,
} from '../../../local/batch';
import { testConfig, untilStatus } from './helpers';

const resolveInvocationModule = {
  module: new URL('../../../job/invocation.ts', import.meta.url).href,
  exportName: 'resolveInvocation',
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-batch-child-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function clientFor(batch: { url: string; credentials: { accessKeyId: string; secretAccessKey: string } }): BatchClient {
  const client = new BatchClient({
    endpoint: batch.url,
    region: 'us-east-1',
    credentials: batch.credentials,
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  return client;
}

async function startChild(
  dir: string,
  options: { jobEnvironment?: Record<string, string> } = {},
): Promise<RunningBatchService> {
  const batch = await startBatchService({
    config: testConfig(),
    stateDir: dir,
    cwd: dir,
    prepareInvocationModule: resolveInvocationModule,
    ...options,
  });
  cleanups.push(() => batch.close());
  return batch;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the Batch service in a child process', () => {
  it('runs a job through the endpoint and reports it through waitForJob, waitForIdle and stats', async () => {
    const dir = tempDir();
    const batch = await startChild(dir);
    const client = clientFor(batch);
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'child',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['true'] },
      }),
    );
    const detail = await batch.service.waitForJob(jobId as string);
    expect(detail).toMatchObject({ jobId, status: 'SUCCEEDED', container: { exitCode: 0 } });
    await batch.service.waitForIdle();
    expect(await batch.service.stats()).toEqual({
      processesSpawned: 1,
      activeJobCount: 0,
      vcpusInUse: 0,
      vcpuCapacity: 2,
      peakRssMb: expect.any(Number),
      finishedJobsOnDisk: 0,
    });
  });

  it('starts jobs with jobEnvironment below their own variables and applies the prepareInvocation module', async () => {
    const dir = tempDir();
    const batch = await startChild(dir, {
      jobEnvironment: { SERVICE_URL: 'http://local', FROM_DEFINITION: 'overridden' },
    });
    const client = clientFor(batch);
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'kwargs',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: {
          command: ['sh', '-c', 'echo "$SERVICE_URL $FROM_DEFINITION $seed {seed}"'],
          environment: [{ name: 'FANOUT_KWARGS', value: '{"seed":7}' }],
        },
      }),
    );
    const detail = await batch.service.waitForJob(jobId as string);
    expect(detail.status).toBe('SUCCEEDED');
    const log = readFileSync(logFileFor(dir, detail.container?.logStreamName as string), 'utf8');
    expect(log).toBe('http://local def 7 7\n');
  });

  it('rejects waitForJob for an unknown job with BatchClientError', async () => {
    const batch = await startChild(tempDir());
    await expect(batch.service.waitForJob('no-such-job')).rejects.toThrow(BatchClientError);
    await expect(batch.service.waitForJob('no-such-job')).rejects.toThrow('jobId: job no-such-job does not exist');
  });

  it('fails to start, naming the export, when the prepareInvocation module lacks it', async () => {
    const dir = tempDir();
    const start = startBatchService({
      config: testConfig(),
      stateDir: dir,
      prepareInvocationModule: { ...resolveInvocationModule, exportName: 'missing' },
    });
    await expect(start).rejects.toThrow(BatchServerError);
    await expect(start).rejects.toThrow('has no exported function "missing"');
  });

  it('kills running jobs on close and resolves once the child has exited', async () => {
    const dir = tempDir();
    const batch = await startChild(dir);
    const client = clientFor(batch);
    const { jobId } = await client.send(
      new SubmitJobCommand({
        jobName: 'long',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sh', '-c', 'echo $$ > job.pid; exec sleep 60'] },
      }),
    );
    await untilStatus(client, jobId as string, 'RUNNING');
    await vi.waitFor(() => expect(existsSync(join(dir, 'job.pid'))).toBe(true));
    const pid = Number(readFileSync(join(dir, 'job.pid'), 'utf8'));
    await batch.close();
    expect(isAlive(pid)).toBe(false);
    await expect(batch.service.stats()).rejects.toThrow(BatchServerError);
    await expect(fetch(`${batch.url}/v1/describejobs`, { method: 'POST', body: '{"jobs":[]}' })).rejects.toThrow();
  });

  it('exits and kills its jobs when the parent process dies', async () => {
    const dir = tempDir();
    const parent = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./fixtures/batch-parent.ts', import.meta.url).pathname, dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    cleanups.push(() => {
      if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      parent.stdout.setEncoding('utf8');
      parent.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.trim());
      });
      parent.once('exit', (code) => reject(new Error(`the parent exited with ${code} before printing its endpoint`)));
    });
    await vi.waitFor(
      () =>
        expect(existsSync(join(dir, 'job.pid')) && readFileSync(join(dir, 'job.pid'), 'utf8').endsWith('\n')).toBe(
          true,
        ),
      { timeout: 10_000 },
    );
    const pid = Number(readFileSync(join(dir, 'job.pid'), 'utf8'));
    expect(isAlive(pid)).toBe(true);

    parent.kill('SIGKILL');
    await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 10_000 });
    await vi.waitFor(
      () => expect(fetch(`${url}/v1/describejobs`, { method: 'POST', body: '{"jobs":[]}' })).rejects.toThrow(),
      { timeout: 10_000 },
    );
  }, 20_000);
});

describe('the Batch service in-process', () => {
  it('loads prepareInvocationModule as the child does', async () => {
    const dir = tempDir();
    const batch = await startBatchService({
      config: testConfig(),
      stateDir: dir,
      cwd: dir,
      prepareInvocationModule: resolveInvocationModule,
      inProcess: true,
    });
    cleanups.push(() => batch.close());
    const { jobId } = batch.service.submitJob({
      jobName: 'kwargs',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: {
        command: ['sh', '-c', 'echo {seed}'],
        environment: [{ name: 'FANOUT_KWARGS', value: '{"seed":3}' }],
      },
    });
    const detail = await batch.service.waitForJob(jobId as string);
    expect(readFileSync(logFileFor(dir, detail.container?.logStreamName as string), 'utf8')).toBe('3\n');
  });
});
