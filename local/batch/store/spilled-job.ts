import type { DetailPosition } from './detail-file';
import type { DefinitionState, JobRecord } from './records';
import type { JobStatus } from './status-index';

/** What a ListJobs summary is made of, read from a whole record or from a spilled entry. */
export interface SummaryFields {
  readonly jobId: string;
  readonly jobName: string;
  readonly createdAt: number;
  readonly status: JobStatus;
  readonly definition: DefinitionState;
  readonly statusReason?: string | undefined;
  readonly startedAt?: number | undefined;
  readonly stoppedAt?: number | undefined;
  readonly shareIdentifier?: string | undefined;
  readonly exitCode?: number | undefined;
  readonly reason?: string | undefined;
  readonly arraySize?: number | undefined;
  readonly arrayIndex?: number | undefined;
  readonly isCancelled?: boolean | undefined;
  readonly isTerminated?: boolean | undefined;
}

/**
 * A finished job whose detail was written to the `JobDetailFile`: what ListJobs, its
 * filters and later dependants need, and where the detail lies. Every field is set in the
 * constructor, so all entries share one compact object layout.
 */
export class SpilledJob implements SummaryFields {
  readonly jobId: string;
  readonly jobName: string;
  readonly createdAt: number;
  readonly status: JobStatus;
  readonly definition: DefinitionState;
  readonly statusReason: string | undefined;
  readonly startedAt: number | undefined;
  readonly stoppedAt: number | undefined;
  readonly shareIdentifier: string | undefined;
  readonly exitCode: number | undefined;
  readonly reason: string | undefined;
  readonly arraySize: number | undefined;
  readonly arrayIndex: number | undefined;
  readonly isCancelled: boolean | undefined;
  readonly isTerminated: boolean | undefined;
  readonly offset: number;
  readonly length: number;

  constructor(fields: SummaryFields, position: DetailPosition) {
    this.jobId = fields.jobId;
    this.jobName = fields.jobName;
    this.createdAt = fields.createdAt;
    this.status = fields.status;
    this.definition = fields.definition;
    this.statusReason = fields.statusReason;
    this.startedAt = fields.startedAt;
    this.stoppedAt = fields.stoppedAt;
    this.shareIdentifier = fields.shareIdentifier;
    this.exitCode = fields.exitCode;
    this.reason = fields.reason;
    this.arraySize = fields.arraySize;
    this.arrayIndex = fields.arrayIndex;
    this.isCancelled = fields.isCancelled;
    this.isTerminated = fields.isTerminated;
    this.offset = position.offset;
    this.length = position.length;
  }
}

/** A job as the service holds it: the whole record, or the compact entry of a long-finished job. */
export type JobEntry = JobRecord | SpilledJob;
