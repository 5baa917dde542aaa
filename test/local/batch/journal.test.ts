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

/**
 * A real launcher whose ends never reach the service, as if it died the moment each job ended:
 * only a kill (the service closing) ends a job as the service sees it.
 */
function launcherWhoseEndsAreLost(): ProcessLauncher {
  const real = new ProcessLauncher();
  return {
    launch: (request: LaunchRequest) => {
      const launched = real.launch(request);
      let end: (outcome: unknown) => void = () => {};
      const outcome = new Promise((resolve) => {
        end = resolve;
      });
      return { pid: launched.pid, outcome, kill: () => end({ kind: 'exited', exitCode: 137 }) };
    },
    close: () => real.close(),
  } as unknown as ProcessLauncher;
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
    const launcher = launcherWhoseEndsAreLost();
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

// docs: batch/latest/userguide/array_jobs.html (children `<parent>:<index>`; a failed child fails the
// parent), APIReference/API_DescribeJobs.html (arrayProperties), API_ListJobs.html (arrayJobId).
describe('array jobs across a restart', () => {
  const childCommand = 'case $AWS_BATCH_JOB_ARRAY_INDEX in 0|1) exit 0;; *) sleep 30;; esac';

  it('describes a parent and every child of an array its predecessor was running', async () => {
    const dir = stateDir();
    // One vCPU: children 0 and 1 succeed, 2 runs, 3 and 4 wait.
    const first = new LocalBatch({ config: testConfig(), stateDir: dir, cwd: dir, vcpus: 1 });
    services.push(first);
    const parent = first.submitJob({
      jobName: 'sweep',
      jobQueue: 'high',
      jobDefinition: 'job',
      arrayProperties: { size: 5 },
      containerOverrides: {
        command: ['sh', '-c', childCommand],
        environment: [
          { name: 'FANOUT_RUN_ID', value: 'run-7' },
          { name: 'FANOUT_ARRAY_OFFSET', value: '100' },
        ],
      },
    }).jobId as string;
    await until(() => first.describeJob(`${parent}:2`)?.status === 'RUNNING');
    expect(first.describeJob(`${parent}:3`)?.status).toBe('RUNNABLE');
    const liveChild = first.describeJob(`${parent}:0`);
    const environment = liveChild?.container?.environment;
    expect(environment).toEqual(
      expect.arrayContaining([
        { name: 'FROM_DEFINITION', value: 'def' },
        { name: 'FANOUT_RUN_ID', value: 'run-7' },
        { name: 'FANOUT_ARRAY_OFFSET', value: '100' },
      ]),
    );

    // A second service while the first still runs stands in for one started after the first was killed.
    const second = open(dir);
    const restored = second.describeJob(parent);
    expect(restored).toMatchObject({
      jobName: 'sweep',
      status: 'FAILED',
      statusReason: StatusReasons.arrayChildFailed,
      arrayProperties: {
        size: 5,
        statusSummary: { SUBMITTED: 0, PENDING: 0, RUNNABLE: 0, STARTING: 0, RUNNING: 0, SUCCEEDED: 2, FAILED: 3 },
      },
      container: { environment },
    });
    const children = [0, 1, 2, 3, 4].map((index) => second.describeJob(`${parent}:${index}`));
    expect(children.map((child) => [child?.status, child?.statusReason, child?.arrayProperties?.index])).toEqual([
      ['SUCCEEDED', StatusReasons.containerExited, 0],
      ['SUCCEEDED', StatusReasons.containerExited, 1],
      ['FAILED', StatusReasons.hostTerminated, 2],
      ['FAILED', StatusReasons.neverStarted, 3],
      ['FAILED', StatusReasons.neverStarted, 4],
    ]);
    expect(children.map((child) => child?.startedAt !== undefined)).toEqual([true, true, true, false, false]);
    expect(children[0]).toMatchObject({
      jobName: 'sweep',
      startedAt: liveChild?.startedAt,
      stoppedAt: liveChild?.stoppedAt,
      container: { exitCode: 0, logStreamName: liveChild?.container?.logStreamName, environment },
    });
    for (const child of children) expect(child?.container?.environment).toEqual(environment);
    expect(restored?.stoppedAt).toBe(children[4]?.stoppedAt);

    const listed = (jobStatus: string) =>
      second.listJobs({ arrayJobId: parent, jobStatus }).jobSummaryList?.map((job) => job.arrayProperties?.index);
    expect(listed('SUCCEEDED')).toEqual([0, 1]);
    expect(listed('FAILED')).toEqual([2, 3, 4]);
    expect(second.listJobs({ jobQueue: 'high', jobStatus: 'FAILED' }).jobSummaryList).toMatchObject([
      { jobId: parent, arrayProperties: { size: 5 } },
    ]);
  });

  it('takes children whose processes all exited 0 before their ends were journaled as a SUCCEEDED array', async () => {
    const dir = stateDir();
    const launcher = launcherWhoseEndsAreLost();
    const first = new LocalBatch({ config: testConfig(), stateDir: dir, cwd: dir, launcher });
    services.push(first);
    const parent = first.submitJob({
      jobName: 'pair',
      jobQueue: 'high',
      jobDefinition: 'job',
      arrayProperties: { size: 2 },
    }).jobId as string;
    const records = join(dir, 'batch', 'exits.log');
    await until(() => existsSync(records) && readFileSync(records, 'utf8').split('\n').length > 2);
    expect(readFileSync(records, 'utf8')).toContain(`${parent}:1 0`);

    const second = open(dir);
    expect(second.describeJob(parent)).toMatchObject({
      status: 'SUCCEEDED',
      arrayProperties: { size: 2, statusSummary: { SUCCEEDED: 2, FAILED: 0 } },
    });
    expect(second.describeJob(parent)?.statusReason).toBeUndefined();
    for (const index of [0, 1]) {
      expect(second.describeJob(`${parent}:${index}`)).toMatchObject({
        status: 'SUCCEEDED',
        arrayProperties: { index },
        container: { exitCode: 0 },
      });
    }
    // The ends the second service rebuilt are journaled: a third reads them from the journal alone.
    rmSync(records);
    expect(open(dir).describeJob(`${parent}:1`)?.status).toBe('SUCCEEDED');
  });

  it('gives an array cancelled before it expanded no children, as the live service does', async () => {
    const dir = stateDir();
    const first = open(dir);
    const parent = first.submitJob({
      jobName: 'gone',
      jobQueue: 'high',
      jobDefinition: 'job',
      arrayProperties: { size: 3 },
    }).jobId as string;
    first.cancelJob({ jobId: parent, reason: 'not needed' });
    expect(
      first.listJobs({ arrayJobId: parent, filters: [{ name: 'JOB_NAME', values: ['gone'] }] }).jobSummaryList,
    ).toEqual([]);

    const second = open(dir);
    expect(second.describeJob(parent)).toMatchObject({
      status: 'FAILED',
      statusReason: 'not needed',
      isCancelled: true,
    });
    expect(second.describeJob(`${parent}:0`)).toBeUndefined();
    expect(
      second.listJobs({ arrayJobId: parent, filters: [{ name: 'JOB_NAME', values: ['gone'] }] }).jobSummaryList,
    ).toEqual([]);
  });
});
