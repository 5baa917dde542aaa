import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type LaunchRequest, LocalBatch, ProcessLauncher, StatusReasons } from '../../../local/batch';
import { NEVER_STARTED_STATUS_REASON } from '../../../run';
import { testConfig } from './helpers';

const services: LocalBatch[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(dir: string, finishedJobsInMemory?: number): LocalBatch {
  const service = new LocalBatch({
    config: testConfig(),
    stateDir: dir,
    cwd: dir,
    ...(finishedJobsInMemory === undefined ? {} : { finishedJobsInMemory }),
  });
  services.push(service);
  return service;
}

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-journal-'));
  dirs.push(dir);
  return dir;
}

async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('job journal', () => {
  it('lets a service restarted on the same state directory describe and list the jobs of the one before', async () => {
    const dir = stateDir();
    const first = open(dir);
    const done = first.submitJob({
      jobName: 'run-a-00',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['sh', '-c', 'exit 3'] },
    }).jobId as string;
    const ok = first.submitJob({
      jobName: 'run-a-01',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['true'] },
    }).jobId as string;
    await first.waitForJob(done);
    await first.waitForJob(ok);

    const second = open(dir);
    expect(second.describeJob(done)).toMatchObject({
      jobName: 'run-a-00',
      status: 'FAILED',
      statusReason: StatusReasons.containerExited,
      container: { exitCode: 3 },
    });
    expect(second.describeJob(ok)).toMatchObject({
      jobName: 'run-a-01',
      status: 'SUCCEEDED',
      container: { exitCode: 0 },
    });
    // docs: batch/latest/APIReference/API_ListJobs.html (a JOB_NAME filter lists every status)
    const listed = second.listJobs({ jobQueue: 'high', filters: [{ name: 'JOB_NAME', values: ['run-a-*'] }] });
    expect(listed.jobSummaryList?.map((job) => [job.jobName, job.status])).toEqual([
      ['run-a-01', 'SUCCEEDED'],
      ['run-a-00', 'FAILED'],
    ]);
  });

  it('fails the jobs the previous service had not finished as a lost host, and keeps that outcome on the next restart', async () => {
    const dir = stateDir();
    const first = open(dir);
    const running = first.submitJob({
      jobName: 'lost-running',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['sleep', '30'] },
    }).jobId as string;
    await until(() => first.describeJob(running)?.status === 'RUNNING');
    // A second service while the first still runs stands in for one started after the first was killed.
    const second = open(dir);
    const lost = second.describeJob(running);
    expect(lost).toMatchObject({ status: 'FAILED', statusReason: 'Host EC2 (instance local) terminated.' });
    expect(lost?.attempts).toHaveLength(1);
    expect(lost?.attempts?.[0]?.container?.logStreamName).toMatch(/^job\/default\/[0-9a-f]{32}$/);
    const stoppedAt = lost?.stoppedAt;
    await first.close();

    const third = open(dir);
    expect(third.describeJob(running)).toMatchObject({
      status: 'FAILED',
      statusReason: StatusReasons.hostTerminated,
      stoppedAt,
    });
  });

  // A job is reported lost only if it may have run: one only queued is reported as never started,
  // so that resume runs its item even when it is not idempotent (docs/failure-points.md).
  it('fails a job its predecessor only queued as never started, and one it was launching as a lost host', async () => {
    const dir = stateDir();
    const first = open(dir);
    const busy = ['a', 'b'].map(
      (name) =>
        first.submitJob({
          jobName: `busy-${name}`,
          jobQueue: 'high',
          jobDefinition: 'job',
          containerOverrides: { command: ['sleep', '30'] },
        }).jobId as string,
    );
    await until(() => busy.every((id) => first.describeJob(id)?.status === 'RUNNING'));
    // Both of the machine's 2 vCPUs are taken: this one stays queued.
    const queued = first.submitJob({ jobName: 'queued', jobQueue: 'high', jobDefinition: 'job' }).jobId as string;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(first.describeJob(queued)?.status).toBe('RUNNABLE');

    const second = open(dir);
    expect(second.describeJob(queued)).toMatchObject({ status: 'FAILED', statusReason: StatusReasons.neverStarted });
    expect(second.describeJob(queued)?.startedAt).toBeUndefined();
    expect(StatusReasons.neverStarted).toBe(NEVER_STARTED_STATUS_REASON);
    for (const id of busy) expect(second.describeJob(id)?.statusReason).toBe(StatusReasons.hostTerminated);
  });

  it('journals a launch before the process exists, so a job killed mid-launch counts as possibly run', async () => {
    const dir = stateDir();
    // A launcher whose process never reports a pid: the service dies "inside" the launch.
    let launched = 0;
    const launcher = {
      launch: () => {
        launched += 1;
        let end: (outcome: unknown) => void = () => {};
        const outcome = new Promise((resolve) => {
          end = resolve;
        });
        return { pid: new Promise<undefined>(() => {}), outcome, kill: () => end({ kind: 'exited', exitCode: 137 }) };
      },
      close: async () => {},
    } as unknown as ProcessLauncher;
    const first = new LocalBatch({ config: testConfig(), stateDir: dir, cwd: dir, launcher });
    services.push(first);
    const launching = first.submitJob({ jobName: 'launching', jobQueue: 'high', jobDefinition: 'job' }).jobId as string;
    await until(() => launched === 1);
    const second = open(dir);
    expect(second.describeJob(launching)).toMatchObject({
      status: 'FAILED',
      statusReason: StatusReasons.hostTerminated,
    });
  });

  // The launcher shell records a job's exit before the service hears of it: a service killed in
  // between must not report a job that finished well as lost (its item would run again).
  it('takes a job whose process exited 0 before its end was journaled as SUCCEEDED, and any other exit as a lost host', async () => {
    const dir = stateDir();
    // A real launcher whose ends never reach the service, as if it died the moment each job ended.
    const real = new ProcessLauncher();
    const launcher = {
      launch: (request: LaunchRequest) => {
        const launched = real.launch(request);
        let end: (outcome: unknown) => void = () => {};
        const outcome = new Promise((resolve) => {
          end = resolve;
        });
        // Only a kill (the service closing) ends the job as the service sees it.
        return { pid: launched.pid, outcome, kill: () => end({ kind: 'exited', exitCode: 137 }) };
      },
      close: () => real.close(),
    } as unknown as ProcessLauncher;
    const first = new LocalBatch({ config: testConfig(), stateDir: dir, cwd: dir, launcher });
    services.push(first);
    const submit = (jobName: string, command: string[]) =>
      first.submitJob({ jobName, jobQueue: 'high', jobDefinition: 'job', containerOverrides: { command } })
        .jobId as string;
    const succeeded = submit('ended-well', ['true']);
    const failed = submit('ended-badly', ['sh', '-c', 'exit 3']);
    const records = join(dir, 'batch', 'exits.log');
    await until(() => existsSync(records) && readFileSync(records, 'utf8').split('\n').length > 2);
    // The first service never heard of the end (the pid may not even have reached it yet).
    expect(['STARTING', 'RUNNING']).toContain(first.describeJob(succeeded)?.status);

    const second = open(dir);
    expect(second.describeJob(succeeded)).toMatchObject({
      status: 'SUCCEEDED',
      statusReason: StatusReasons.containerExited,
    });
    expect(second.describeJob(succeeded)?.attempts?.[0]?.container?.exitCode).toBe(0);
    expect(second.describeJob(failed)).toMatchObject({ status: 'FAILED', statusReason: StatusReasons.hostTerminated });
    // Journaled by the second service: a third one reads the same outcome from the journal alone.
    rmSync(records);
    expect(open(dir).describeJob(succeeded)?.status).toBe('SUCCEEDED');
  });

  it('still describes jobs spilled to the finished-jobs file before the restart, and spills new ones after it', async () => {
    const dir = stateDir();
    const first = open(dir, 1);
    const ids = Array.from(
      { length: 6 },
      (_, n) =>
        first.submitJob({
          jobName: `spill-${n}`,
          jobQueue: 'high',
          jobDefinition: 'job',
          containerOverrides: { command: ['true'] },
        }).jobId as string,
    );
    for (const id of ids) await first.waitForJob(id);
    expect((await first.stats()).finishedJobsOnDisk).toBeGreaterThan(0);
    await first.close();

    const second = open(dir, 1);
    expect(ids.map((id) => second.describeJob(id)?.status)).toEqual(Array(6).fill('SUCCEEDED'));
    const next = second.submitJob({
      jobName: 'after',
      jobQueue: 'high',
      jobDefinition: 'job',
      containerOverrides: { command: ['true'] },
    }).jobId as string;
    expect(await second.waitForJob(next)).toMatchObject({ status: 'SUCCEEDED' });
    expect(second.listJobs({ jobQueue: 'high', jobStatus: 'SUCCEEDED' }).jobSummaryList).toHaveLength(7);
  });
});
