/**
 * Every job the service knows, by ID: whole records while they run and shortly after, compact
 * entries once finished long enough ago (their detail in a file), and the journal a restarted
 * service reads them back from.
 */
import { join } from 'node:path';
import type { JobDetail } from '@aws-sdk/client-batch';
import type { Clock } from '../../engine/types';
import { BatchClientError } from '../errors';
import { JobJournal, type JournaledJob, readJournal, unlaunchedChild } from '../journal';
import { Fifo } from '../private/fifo';
import type { BatchResources } from '../resources';
import { jobDetail, restoredJobDetail } from '../shapes/job-detail';
import { summaryFields } from '../shapes/job-summary';
import { StatusReasons } from '../status-reasons';
import { type DetailPosition, JobDetailFile } from './detail-file';
import type { JobRecord } from './records';
import { type JobEntry, SpilledJob, type SummaryFields } from './spilled-job';
import { jobStatuses, StatusIndex } from './status-index';

/** Jobs finished beyond the kept ones are spilled in batches of this fraction of the kept count, one write each. */
const spillBatchFraction = 4;

/** Journaled jobs are restored this many at a time, one detail-file write each. */
const restoreChunk = 1000;

/** A journaled job's restored entry, its detail, and the status index (its queue's or its array's) it joins. */
interface RestoredEntry {
  fields: SummaryFields;
  detail: JobDetail;
  index: StatusIndex;
}

/**
 * Every child of a journaled array parent, by index: those with journaled events as they were,
 * the others (never launched) SUBMITTED. A parent that ended with no child event never expanded
 * (cancelled, or failed by a dependency, while SUBMITTED or PENDING): it has no children.
 */
function restoredChildren(parent: JournaledJob): JournaledJob[] {
  const journaled = parent.children ?? [];
  const final = parent.status === 'SUCCEEDED' || parent.status === 'FAILED';
  if (final && journaled.length === 0) return [];
  const children: JournaledJob[] = [];
  let next = 0;
  for (let index = 0; index < (parent.arraySize as number); index++) {
    const child = journaled[next];
    if (child?.arrayIndex === index) {
      children.push(child);
      next++;
      continue;
    }
    children.push(unlaunchedChild(parent, index));
  }
  return children;
}

/**
 * The jobs of one service, under `<stateDir>/batch`.
 * @example const store = new JobStore('.fanout', 1000, systemClock); store.restore(resources); store.get(jobId);
 */
export class JobStore {
  /** Where submissions, starts and ends are recorded for a service restarted on the same state directory. */
  readonly journal: JobJournal;
  private readonly jobs = new Map<string, JobEntry>();
  /** Finished records still whole, oldest first; all but the newest `finishedJobsInMemory` get spilled. */
  private readonly recentlyFinished = new Fifo<JobRecord>();
  private readonly detailFile: JobDetailFile;
  private readonly directory: string;
  private spilledCount = 0;
  /** The children of array parents restored from the journal, by status; live parents hold their own. */
  private readonly restoredArrays = new Map<string, StatusIndex>();

  constructor(
    stateDir: string,
    private readonly finishedJobsInMemory: number,
    private readonly clock: Clock,
  ) {
    this.directory = join(stateDir, 'batch');
    this.detailFile = new JobDetailFile(this.directory);
    this.journal = new JobJournal(this.directory);
  }

  /** Finished jobs whose detail has moved to the detail file. */
  get finishedJobsOnDisk(): number {
    return this.spilledCount;
  }

  get(jobId: string): JobEntry | undefined {
    return this.jobs.get(jobId);
  }

  /** The job with this ID; throws Batch's `ClientException` when there is none. */
  require(jobId: string): JobEntry {
    const job = this.jobs.get(jobId);
    if (!job) throw new BatchClientError(`jobId: job ${jobId} does not exist`);
    return job;
  }

  add(job: JobRecord): void {
    this.jobs.set(job.jobId, job);
  }

  /** The job's `JobDetail`, read back from the detail file for a spilled entry. */
  detailOf(job: JobEntry): JobDetail {
    return job instanceof SpilledJob ? this.detailFile.read(job) : jobDetail(job, this.clock);
  }

  /** Counts a finished record among the recent ones, the oldest of which {@link spillOldFinished} spills. */
  finished(job: JobRecord): void {
    this.recentlyFinished.push(job);
  }

  /**
   * Writes the details of finished jobs beyond the newest `finishedJobsInMemory` to the
   * detail file and keeps a compact entry for each, so memory does not grow with every
   * job's command, environment and attempts. Runs once a batch has gathered: one write per batch.
   */
  spillOldFinished(): void {
    const kept = this.finishedJobsInMemory;
    const batch = Math.max(1, Math.ceil(kept / spillBatchFraction));
    if (this.recentlyFinished.size < kept + batch) return;
    const records: JobRecord[] = [];
    while (this.recentlyFinished.size > kept) {
      const record = this.recentlyFinished.shift() as JobRecord;
      if (this.jobs.get(record.jobId) === record) records.push(record);
    }
    const positions = this.detailFile.append(records.map((record) => jobDetail(record, this.clock)));
    if (!positions) return;
    this.spilledCount += records.length;
    records.forEach((record, index) => {
      this.jobs.set(record.jobId, new SpilledJob(summaryFields(record), positions[index] as DetailPosition));
    });
  }

  /**
   * Gives the jobs of an earlier service on this state directory back their places: each
   * becomes a spilled entry (DescribeJobs and ListJobs see it as before). Jobs it had not
   * finished become FAILED, journaled so: `hostTerminated` when their launch had begun (their
   * processes died with it), `neverStarted` when they were only queued; one whose process the
   * launcher recorded exiting 0 SUCCEEDED. Array children follow the same rules, and an
   * unfinished parent then ends as a live one does once its children have: FAILED if one failed.
   */
  restore(resources: BatchResources): void {
    const now = this.clock.now();
    let pending: RestoredEntry[] = [];
    const flush = (): boolean => {
      const positions = this.detailFile.append(pending.map((entry) => entry.detail));
      // Without the detail file (a warning was emitted) the earlier jobs stay unknown.
      if (!positions) return false;
      pending.forEach((entry, index) => {
        this.jobs.set(entry.fields.jobId, new SpilledJob(entry.fields, positions[index] as DetailPosition));
        entry.index.move(entry.fields.jobId, undefined, entry.fields.status);
      });
      this.spilledCount += pending.length;
      pending = [];
      return true;
    };
    for (const job of readJournal(this.directory)) {
      const queue = resources.queues.get(job.queue);
      const definition = resources.definitions.get(job.definition);
      // A queue or definition removed from the configuration takes its jobs with it.
      if (!queue || !definition) continue;
      let array: Parameters<typeof restoredJobDetail>[4];
      if (job.arraySize === undefined) {
        this.endIfUnfinished(job, now);
      } else {
        const children = restoredChildren(job);
        const childIndex = new StatusIndex();
        const summary: Record<string, number> = Object.fromEntries(jobStatuses.map((status) => [status, 0]));
        let lastChange = job.createdAt;
        for (const child of children) {
          this.endIfUnfinished(child, now);
          summary[child.status] = (summary[child.status] as number) + 1;
          lastChange = Math.max(lastChange, child.stoppedAt ?? 0);
          const detail = restoredJobDetail(child, resources.arn('job', child.jobId), queue, definition, {
            environment: job.environment,
          });
          pending.push({ fields: { ...child, status: child.status, definition }, detail, index: childIndex });
          if (pending.length >= restoreChunk && !flush()) return;
        }
        if (job.status !== 'SUCCEEDED' && job.status !== 'FAILED') {
          const failed = (summary.FAILED as number) > 0;
          Object.assign(job, { status: failed ? 'FAILED' : 'SUCCEEDED', stoppedAt: lastChange });
          if (failed) job.statusReason = StatusReasons.arrayChildFailed;
          this.journal.finished(job.jobId, {
            status: job.status as 'SUCCEEDED' | 'FAILED',
            stoppedAt: lastChange,
            statusReason: job.statusReason,
          });
        }
        this.restoredArrays.set(job.jobId, childIndex);
        array = { environment: job.environment, statusSummary: summary, summaryAt: lastChange };
      }
      pending.push({
        fields: { ...job, status: job.status, definition },
        detail: restoredJobDetail(job, resources.arn('job', job.jobId), queue, definition, array),
        index: queue.byStatus,
      });
      if (pending.length >= restoreChunk && !flush()) return;
    }
    flush();
  }

  /**
   * The children of an array parent restored from the journal, by status, for ListJobs by
   * `arrayJobId`; `undefined` for any other job. A live parent's are on its record.
   */
  restoredArrayChildren(parentId: string): StatusIndex | undefined {
    return this.restoredArrays.get(parentId);
  }

  /** Gives a journaled job its final status, journaled: see {@link restore}. */
  private endIfUnfinished(job: JournaledJob, now: number): void {
    if (job.endFromExitRecord) {
      // It ended well before its predecessor could journal the end: journaled now.
      this.journal.finished(job.jobId, {
        status: 'SUCCEEDED',
        stoppedAt: job.stoppedAt as number,
        statusReason: job.statusReason,
        startedAt: job.startedAt,
        exitCode: 0,
        logStreamName: job.logStreamName,
      });
      return;
    }
    if (job.status === 'SUCCEEDED' || job.status === 'FAILED') return;
    // Queued and never launched: it did not run. Launched: it may have, and died with the host.
    job.statusReason = job.status === 'SUBMITTED' ? StatusReasons.neverStarted : StatusReasons.hostTerminated;
    job.status = 'FAILED';
    job.stoppedAt = now;
    this.journal.finished(job.jobId, {
      status: 'FAILED',
      stoppedAt: now,
      statusReason: job.statusReason,
      startedAt: job.startedAt,
      logStreamName: job.logStreamName,
    });
  }

  /** Closes the detail file and the journal. */
  close(): void {
    this.detailFile.close();
    this.journal.close();
  }
}
