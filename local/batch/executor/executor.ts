/**
 * The process executor: runs each attempt of a job as a process started by the launcher,
 * reports how it ended, stops it on timeout, TerminateJob or close, and decides retries.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { imageReference } from '../../../config';
import type { Clock } from '../../engine/types';
import { ContainerStartError } from '../errors';
import type { JobJournal } from '../journal';
import { CommandLocator } from '../private/command-path';
import { StatusReasons } from '../status-reasons';
import type { AttemptRecord, ComputeEnvironmentState, JobRecord, KillReason, RunState } from '../store/records';
import type { JobStatus } from '../store/status-index';
import { attemptEnvironment } from './environment';
import type { PrepareInvocation } from './invocation';
import type { LaunchedProcess, LaunchOutcome, LaunchRequest, ProcessLauncher } from './launcher';
import { logFileFor } from './log-file';
import { decideRetry } from './retry';
import { type SpotInterruptions, spotInterruption } from './spot';

/** What the executor asks of the scheduler as an attempt starts and ends. */
export interface AttemptLifecycle {
  /** Set once the service is closing: a failed attempt is then not retried. */
  readonly closed: boolean;
  setStatus(job: JobRecord, status: JobStatus): void;
  finish(job: JobRecord, status: 'SUCCEEDED' | 'FAILED', statusReason: string | undefined): void;
  /** Makes a job RUNNABLE again, last in its queue. */
  enqueue(job: JobRecord): void;
  /** Gives back what a STARTING or RUNNING attempt held. */
  releaseVcpus(job: JobRecord, run: RunState): void;
  scheduleTick(): void;
}

interface ExecutorOptions {
  /** Logs go under `<stateDir>/batch/logs/<logStreamName>.log`. */
  stateDir: string;
  /** Working directory of job processes. */
  cwd: string;
  prepareInvocation: PrepareInvocation;
  /** Variables every job process starts with, below the definition's, the job's and the `AWS_BATCH_*` ones. */
  jobEnvironment: Record<string, string>;
  /** File mode creation mask of job processes. @default the launcher's */
  jobUmask?: number | undefined;
  launcher: ProcessLauncher;
  clock: Clock;
  journal: JobJournal;
  /** Region and account of the ECS task ARNs attempts report. */
  region: string;
  accountId: string;
  lifecycle: AttemptLifecycle;
  spot: SpotInterruptions;
}

/** Seconds between SIGTERM and SIGKILL when a job is stopped, as ECS's default stop timeout. */
const stopGraceMs = 30_000;

const noop = (): void => {};
/** Why an attempt's timers are cancelled: it ended. Shared, as nothing reads it but the sleeps it wakes. */
const attemptEnded = Object.freeze({ reason: 'attempt ended' });

/** What an attempt records for the way its process ended. */
function attemptOutcome(outcome: LaunchOutcome): { exitCode?: number; reason?: string; statusReason: string } {
  switch (outcome.kind) {
    case 'exited':
      // A process killed by signal N reports 128 + N, Docker's convention.
      return { statusReason: StatusReasons.containerExited, exitCode: outcome.exitCode };
    case 'failedToStart':
      return { statusReason: StatusReasons.taskFailedToStart, reason: `CannotStartContainerError: ${outcome.message}` };
    case 'lost':
      return { statusReason: StatusReasons.launcherExited, reason: outcome.message };
  }
}

/**
 * Runs job attempts as processes.
 * @example const executor = new Executor({ ...options, lifecycle: scheduler }); void executor.startAttempt(job, 1, environment);
 */
export class Executor {
  private readonly options: ExecutorOptions;
  private readonly lifecycle: AttemptLifecycle;
  private readonly clock: Clock;
  private readonly running = new Set<JobRecord>();
  private readonly createdLogDirs = new Set<string>();
  private readonly commandLocator = new CommandLocator();
  private spawnedCount = 0;

  constructor(options: ExecutorOptions) {
    this.options = options;
    this.lifecycle = options.lifecycle;
    this.clock = options.clock;
  }

  /** Job processes spawned so far (attempts that started a process). */
  get processesSpawned(): number {
    return this.spawnedCount;
  }

  /** Starts an attempt of `job` on `computeEnvironment`, which holds `reservedVcpus` until the attempt ends. */
  async startAttempt(
    job: JobRecord,
    reservedVcpus: number,
    computeEnvironment: ComputeEnvironmentState,
  ): Promise<void> {
    const { cwd } = this.options;
    let markExited = noop;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const run: RunState = { reservedVcpus, computeEnvironment, stop: new AbortController(), exited, markExited };
    job.run = run;
    this.running.add(job);
    this.lifecycle.setStatus(job, 'STARTING');
    const taskId = randomUUID().replaceAll('-', '');
    const attempt: AttemptRecord = {
      taskId,
      taskArn: `arn:aws:ecs:${this.options.region}:${this.options.accountId}:task/AWSBatch-${computeEnvironment.name}/${taskId}`,
      logStreamName: `${job.definition.name}/default/${taskId}`,
    };
    job.attempts.push(attempt);

    let request: LaunchRequest;
    try {
      const invocation = await this.options.prepareInvocation({
        command: [...job.command],
        environment: attemptEnvironment(this.options.jobEnvironment, job, job.attempts.length, computeEnvironment.name),
        image: imageReference(job.definition.config),
        attemptName: `fanout-${taskId}`,
      });
      const file = invocation.command[0];
      if (file === undefined) throw new ContainerStartError('the command is empty');
      const logFile = logFileFor(this.options.stateDir, attempt.logStreamName);
      const directory = dirname(logFile);
      if (!this.createdLogDirs.has(directory)) {
        await mkdir(directory, { recursive: true });
        this.createdLogDirs.add(directory);
      }
      // Looked up here, not left to the shell: its 127 could also be the program's own exit code.
      const searchPath = invocation.environment.PATH;
      const lookup = await this.commandLocator.locate(file, searchPath, cwd);
      if (!lookup.found) {
        // The attempt's log stream exists even though nothing ran, as it did when Node spawned jobs.
        await appendFile(logFile, '').catch(noop);
        throw new ContainerStartError(lookup.message);
      }
      // Without PATH the shell would search a default of its own; name the file found instead.
      const command = searchPath === undefined ? [lookup.path, ...invocation.command.slice(1)] : invocation.command;
      request = {
        command,
        environment: invocation.environment,
        cwd,
        logFile,
        ...(this.options.jobUmask === undefined ? {} : { umask: this.options.jobUmask }),
        ...this.options.journal.exitRecordFor(job.jobId),
      };
    } catch (error) {
      this.endAttempt(job, attempt, {
        statusReason: StatusReasons.taskFailedToStart,
        reason: `CannotStartContainerError: ${(error as Error).message}`,
      });
      return;
    }
    if (run.killReason) {
      this.endAttempt(job, attempt, {});
      return;
    }
    // Durable before the process can exist: a service killed from here on cannot know whether
    // the job ran, and its successor must not report it as never started.
    this.options.journal.launching(job.jobId, this.clock.now());
    let launched: LaunchedProcess;
    try {
      launched = this.options.launcher.launch(request);
    } catch (error) {
      this.endAttempt(job, attempt, {
        statusReason: StatusReasons.taskFailedToStart,
        reason: `CannotStartContainerError: ${(error as Error).message}`,
      });
      return;
    }
    run.process = launched;
    // The launcher resolves `pid` before `outcome`, so RUNNING always precedes the end.
    void launched.pid.then((pid) => {
      if (pid === undefined) return;
      this.spawnedCount++;
      const now = this.clock.now();
      attempt.startedAt = now;
      job.startedAt = now;
      this.lifecycle.setStatus(job, 'RUNNING');
      this.options.journal.started(job.jobId, now, attempt.logStreamName);
      if (!run.killReason && job.timeoutSeconds !== undefined) {
        this.clock
          .sleep(job.timeoutSeconds * 1000, run.stop.signal)
          .then(() => this.kill(job, 'timeout', StatusReasons.timeout), noop);
      }
      const interruption = run.killReason ? undefined : spotInterruption(computeEnvironment, this.options.spot);
      if (interruption) {
        this.clock
          .sleep(this.options.spot.afterMs, run.stop.signal)
          .then(() => this.kill(job, 'interrupted', interruption.statusReason, interruption.signal), noop);
      }
    });
    void launched.outcome.then((outcome) => this.endAttempt(job, attempt, attemptOutcome(outcome)));
  }

  /**
   * Stops a STARTING or RUNNING job's process: SIGTERM, then SIGKILL after the grace period,
   * or SIGKILL at once when the service closes. The attempt then ends with `statusReason`.
   */
  kill(job: JobRecord, why: KillReason, statusReason: string, signal?: 'SIGKILL' | 'SIGTERM'): void {
    const run = job.run;
    if (!run || run.killReason) return;
    run.killReason = why;
    run.killStatusReason = statusReason;
    if (!run.process) return; // startAttempt sees killReason before launching
    this.signal(run.process, run.stop.signal, signal ?? (why === 'close' ? 'SIGKILL' : 'SIGTERM'));
  }

  /** Kills every job process (SIGKILL) and stops the launcher; resolves once all have exited. */
  async close(): Promise<void> {
    const exits: Promise<void>[] = [];
    for (const job of this.running) {
      if (job.run) {
        this.kill(job, 'close', StatusReasons.serviceClosed);
        exits.push(job.run.exited);
      }
    }
    await Promise.all(exits);
    await this.options.launcher.close();
  }

  /** The launcher holds a signal sent before the process exists and drops one sent after it ended. */
  private signal(launched: LaunchedProcess, stopped: AbortSignal, signal: NodeJS.Signals): void {
    launched.kill(signal);
    if (signal === 'SIGTERM') {
      // Batch sends SIGKILL when the container is still running 30 s after SIGTERM (docs: batch/latest/userguide/job_timeouts.html).
      this.clock.sleep(stopGraceMs, stopped).then(() => launched.kill('SIGKILL'), noop);
    }
  }

  private endAttempt(
    job: JobRecord,
    attempt: AttemptRecord,
    outcome: { exitCode?: number; reason?: string; statusReason?: string },
  ): void {
    const run = job.run;
    if (!run) return;
    job.run = undefined;
    this.running.delete(job);
    // A given reason spares the DOMException (and its stack trace) `abort()` would build per attempt.
    run.stop.abort(attemptEnded);
    this.lifecycle.releaseVcpus(job, run);
    attempt.stoppedAt = this.clock.now();
    // A lost host reports no exit code: the process did not exit, its machine went away.
    if (outcome.exitCode !== undefined && run.killReason !== 'interrupted') attempt.exitCode = outcome.exitCode;
    if (outcome.reason !== undefined) attempt.reason = outcome.reason;
    attempt.statusReason = run.killStatusReason ?? outcome.statusReason ?? StatusReasons.containerExited;
    run.markExited();

    // An interrupted attempt failed whatever its process did, and is retried as any failure is.
    const retryable = !run.killReason || run.killReason === 'interrupted';
    if (!run.killReason && outcome.exitCode === 0) {
      this.lifecycle.finish(job, 'SUCCEEDED', attempt.statusReason);
    } else if (
      // Timed-out, terminated and cancelled attempts are never retried (docs: batch/latest/userguide/job_retries.html).
      retryable &&
      !this.lifecycle.closed &&
      decideRetry(job.retryStrategy, job.attempts.length, {
        ...(attempt.exitCode === undefined ? {} : { exitCode: attempt.exitCode }),
        ...(attempt.reason === undefined ? {} : { reason: attempt.reason }),
        statusReason: attempt.statusReason,
      }) === 'RETRY'
    ) {
      this.lifecycle.enqueue(job);
    } else {
      this.lifecycle.finish(job, 'FAILED', attempt.statusReason);
    }
    this.lifecycle.scheduleTick();
  }
}
