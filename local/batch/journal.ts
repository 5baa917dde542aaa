import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyValuePair } from '@aws-sdk/client-batch';
import { StatusReasons } from './status-reasons';

/**
 * The service's job journal, `<stateDir>/batch/jobs.journal.jsonl`: one JSON line per job
 * event, appended as it happens, so that a service restarted on the same state directory knows
 * the jobs of the one before, as AWS Batch still knows its jobs after the client that submitted
 * them is gone. Writes are plain `write(2)` calls on a descriptor opened for appending: once one
 * returns, the line survives the process being killed (not the machine losing power).
 *
 * Exit records, `<stateDir>/batch/exits.log`: the launcher shell appends `<jobId> <status>` the
 * moment a job's process ends, before the service hears of it. A service killed between a job's
 * end and its `f` line leaves the end there; its successor takes an exit 0 as the job's success
 * rather than reporting a job that finished as lost. Any other status stays unknown (the service
 * might have retried the attempt or killed it), as without the record.
 */

/** A job as the journal last saw it. */
export interface JournaledJob {
  jobId: string;
  jobName: string;
  /** Queue and definition names, as configured. */
  queue: string;
  definition: string;
  createdAt: number;
  /**
   * The last status journaled: SUBMITTED (never launched), STARTING (its process was being
   * launched: it may have run), RUNNING, SUCCEEDED or FAILED.
   */
  status: 'SUBMITTED' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  statusReason?: string;
  startedAt?: number;
  stoppedAt?: number;
  exitCode?: number;
  reason?: string;
  logStreamName?: string;
  isCancelled?: boolean;
  isTerminated?: boolean;
  /** Its end is known from the exit records only: no `f` line was journaled for it. */
  endFromExitRecord?: boolean;
  /** On an array parent: its size and container environment, journaled at submission. */
  arraySize?: number;
  environment?: KeyValuePair[];
  /** On an array parent: the children `<jobId>:<index>` with a journaled event, by index; the others never launched. */
  children?: JournaledJob[];
  /** On an array child: its index. */
  arrayIndex?: number;
}

/** One line of the journal: a submission (`e: 's'`), a launch (`'l'`), a start (`'r'`) or an end (`'f'`). */
type JournalLine =
  | {
      e: 's';
      id: string;
      name: string;
      queue: string;
      def: string;
      at: number;
      /** Array parents only: what their children's details are rebuilt from. */
      size?: number;
      env?: KeyValuePair[];
    }
  | { e: 'l'; id: string; at: number }
  | { e: 'r'; id: string; at: number; log?: string }
  | {
      e: 'f';
      id: string;
      status: 'SUCCEEDED' | 'FAILED';
      at: number;
      reason?: string;
      startedAt?: number;
      exitCode?: number;
      containerReason?: string;
      log?: string;
      cancelled?: true;
      terminated?: true;
    };

/** The end of a job, as {@link JobJournal.finished} records it. */
interface JournaledEnd {
  status: 'SUCCEEDED' | 'FAILED';
  stoppedAt: number;
  statusReason?: string | undefined;
  startedAt?: number | undefined;
  exitCode?: number | undefined;
  reason?: string | undefined;
  logStreamName?: string | undefined;
  isCancelled?: boolean | undefined;
  isTerminated?: boolean | undefined;
}

const journalFileName = 'jobs.journal.jsonl';
const exitRecordsFileName = 'exits.log';

/** The jobs whose process the launcher saw exit with status 0, and when the records were last written. */
function readSuccessfulExits(directory: string): { ids: Set<string>; writtenAt: number } {
  const file = join(directory, exitRecordsFileName);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ids: new Set(), writtenAt: 0 };
    throw error;
  }
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    const [id, status] = line.split(' ');
    if (id && status === '0') ids.add(id);
  }
  return { ids, writtenAt: statSync(file).mtimeMs };
}

/** Child `index` of a journaled array parent as it was before any event of its own: SUBMITTED. */
export function unlaunchedChild(parent: JournaledJob, index: number): JournaledJob {
  return {
    jobId: `${parent.jobId}:${index}`,
    jobName: parent.jobName,
    queue: parent.queue,
    definition: parent.definition,
    // The expansion time is not journaled; the parent's submission is the closest known.
    createdAt: parent.createdAt,
    status: 'SUBMITTED',
    arrayIndex: index,
  };
}

/**
 * The child `<parentId>:<index>` of an array parent in `jobs`, created SUBMITTED on its first
 * event; `undefined` when `jobId` names no child of a known array.
 */
function arrayChildFor(jobId: string, jobs: Map<string, JournaledJob>): JournaledJob | undefined {
  const colon = jobId.lastIndexOf(':');
  if (colon < 0) return undefined;
  const parent = jobs.get(jobId.slice(0, colon));
  const index = Number(jobId.slice(colon + 1));
  if (!parent?.children || !Number.isInteger(index) || index < 0 || index >= (parent.arraySize as number)) {
    return undefined;
  }
  const child = unlaunchedChild(parent, index);
  parent.children.push(child);
  jobs.set(jobId, child);
  return child;
}

/**
 * Reads the journal of `directory`, in submission order: plain jobs and array parents, each
 * parent with its journaled children. A line cut short by a crash (the last one) is skipped;
 * events of unknown jobs are ignored.
 * @example readJournal('.fanout/batch').filter((job) => job.status === 'RUNNING')
 */
export function readJournal(directory: string): JournaledJob[] {
  let text: string;
  try {
    text = readFileSync(join(directory, journalFileName), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  // Children included, so that their events find them; `submitted` holds the jobs returned.
  const jobs = new Map<string, JournaledJob>();
  const submitted: JournaledJob[] = [];
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue;
    }
    if (line.e === 's') {
      const job: JournaledJob = {
        jobId: line.id,
        jobName: line.name,
        queue: line.queue,
        definition: line.def,
        createdAt: line.at,
        status: 'SUBMITTED',
      };
      if (line.size !== undefined)
        Object.assign(job, { arraySize: line.size, environment: line.env ?? [], children: [] });
      jobs.set(line.id, job);
      submitted.push(job);
      continue;
    }
    const job = jobs.get(line.id) ?? arrayChildFor(line.id, jobs);
    // A final status never changes: a later end (a second service on the same directory) is ignored.
    if (!job || job.status === 'SUCCEEDED' || job.status === 'FAILED') continue;
    if (line.e === 'l') {
      if (job.status === 'SUBMITTED') job.status = 'STARTING';
      continue;
    }
    if (line.e === 'r') {
      job.status = 'RUNNING';
      job.startedAt = line.at;
      if (line.log !== undefined) job.logStreamName = line.log;
      continue;
    }
    job.status = line.status;
    job.stoppedAt = line.at;
    if (line.reason !== undefined) job.statusReason = line.reason;
    if (line.startedAt !== undefined) job.startedAt = line.startedAt;
    if (line.exitCode !== undefined) job.exitCode = line.exitCode;
    if (line.containerReason !== undefined) job.reason = line.containerReason;
    if (line.log !== undefined) job.logStreamName = line.log;
    if (line.cancelled) job.isCancelled = true;
    if (line.terminated) job.isTerminated = true;
  }
  const unfinished = [...jobs.values()].filter((job) => job.status === 'STARTING' || job.status === 'RUNNING');
  if (unfinished.length > 0) {
    const exits = readSuccessfulExits(directory);
    for (const job of unfinished) {
      if (!exits.ids.has(job.jobId)) continue;
      Object.assign(job, {
        status: 'SUCCEEDED',
        exitCode: 0,
        statusReason: StatusReasons.containerExited,
        // The records' last write: no earlier than the job's end, and close to it.
        stoppedAt: Math.round(exits.writtenAt),
        endFromExitRecord: true,
      });
    }
  }
  for (const job of submitted) job.children?.sort((a, b) => (a.arrayIndex as number) - (b.arrayIndex as number));
  return submitted;
}

/**
 * Appends job events to the journal. If the file cannot be opened or written, a warning is
 * emitted once and the service goes on without a journal.
 */
export class JobJournal {
  private fd: number | undefined;
  private unusable = false;

  constructor(private readonly directory: string) {}

  /**
   * A job was accepted by SubmitJob. An array job's size and environment are journaled too (one
   * line for all its children); a plain job's environment is not, since it may hold a large
   * per-job payload and the journal is read whole at start.
   */
  submitted(job: {
    jobId: string;
    jobName: string;
    queue: string;
    definition: string;
    createdAt: number;
    array?: { size: number; environment: KeyValuePair[] } | undefined;
  }): void {
    this.write({
      e: 's',
      id: job.jobId,
      name: job.jobName,
      queue: job.queue,
      def: job.definition,
      at: job.createdAt,
      ...(job.array ? { size: job.array.size, env: job.array.environment } : {}),
    });
  }

  /** A job's process is about to be launched: from here on it may have run. */
  launching(jobId: string, at: number): void {
    this.write({ e: 'l', id: jobId, at });
  }

  /** A job's process exists (RUNNING). */
  started(jobId: string, startedAt: number, logStreamName: string): void {
    this.write({ e: 'r', id: jobId, at: startedAt, log: logStreamName });
  }

  /** A job reached SUCCEEDED or FAILED. */
  finished(jobId: string, end: JournaledEnd): void {
    this.write({
      e: 'f',
      id: jobId,
      status: end.status,
      at: end.stoppedAt,
      ...(end.statusReason === undefined ? {} : { reason: end.statusReason }),
      ...(end.startedAt === undefined ? {} : { startedAt: end.startedAt }),
      ...(end.exitCode === undefined ? {} : { exitCode: end.exitCode }),
      ...(end.reason === undefined ? {} : { containerReason: end.reason }),
      ...(end.logStreamName === undefined ? {} : { log: end.logStreamName }),
      ...(end.isCancelled ? { cancelled: true as const } : {}),
      ...(end.isTerminated ? { terminated: true as const } : {}),
    });
  }

  /** Where the launcher records the exit of `jobId`'s process; nothing once the journal is unusable. */
  exitRecordFor(jobId: string): { exitRecord?: { file: string; id: string } } {
    if (this.unusable) return {};
    return { exitRecord: { file: join(this.directory, exitRecordsFileName), id: jobId } };
  }

  /** Closes the descriptor; later events are not journaled. */
  close(): void {
    this.unusable = true;
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private write(line: JournalLine): void {
    if (this.unusable) return;
    try {
      if (this.fd === undefined) {
        mkdirSync(this.directory, { recursive: true });
        this.fd = openSync(join(this.directory, journalFileName), 'a');
      }
      const buffer = Buffer.from(`${JSON.stringify(line)}\n`, 'utf8');
      for (let written = 0; written < buffer.length; ) written += writeSync(this.fd, buffer, written);
    } catch (error) {
      this.unusable = true;
      process.emitWarning(
        `local Batch service: jobs are no longer journaled, ${join(this.directory, journalFileName)} failed: ${(error as Error).message}`,
      );
    }
  }
}

/**
 * How many SubmitJob calls the service on `stateDir` accepted: one journal submission each
 * (an array job is one call, whatever its size; its children are not counted).
 * @example countSubmitJobCalls('.fanout') // 3
 */
export function countSubmitJobCalls(stateDir: string): number {
  return readJournal(join(stateDir, 'batch')).length;
}
