export type JobStatus = 'SUBMITTED' | 'PENDING' | 'RUNNABLE' | 'STARTING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED';
export const jobStatuses: readonly JobStatus[] = [
  'SUBMITTED',
  'PENDING',
  'RUNNABLE',
  'STARTING',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
];
export const isFinal = (status: JobStatus): boolean => status === 'SUCCEEDED' || status === 'FAILED';

/** Where a listing stops: a status (its place in {@link jobStatuses}) and a position among that status's jobs. */
export interface ListPosition {
  status: number;
  position: number;
}

/**
 * Job IDs by status, each status in the order its jobs entered it: what ListJobs pages
 * through for a queue or an array. A job never leaves SUCCEEDED or FAILED, so those are
 * append-only lists, and a page of them starts at its position in O(1) however many jobs
 * came before; the other statuses are sets (jobs leave them in any order) and a page of
 * them skips the jobs before it. IDs rather than records, so a record can be spilled to
 * disk without its place moving.
 * @example const index = new StatusIndex(); index.move('a', undefined, 'SUBMITTED'); index.size('SUBMITTED'); // 1
 */
export class StatusIndex {
  private readonly transient = new Map<JobStatus, Set<string>>();
  private readonly finished = new Map<JobStatus, string[]>();

  constructor() {
    for (const status of jobStatuses) {
      if (isFinal(status)) this.finished.set(status, []);
      else this.transient.set(status, new Set());
    }
  }

  /** Moves a job from `from` (none for a new job) to `to`. A final status is never left. */
  move(jobId: string, from: JobStatus | undefined, to: JobStatus): void {
    if (from !== undefined) this.transient.get(from)?.delete(jobId);
    const list = this.finished.get(to);
    if (list) list.push(jobId);
    else this.transient.get(to)?.add(jobId);
  }

  /** Number of jobs in `status`. */
  size(status: JobStatus): number {
    return this.finished.get(status)?.length ?? this.transient.get(status)?.size ?? 0;
  }

  /**
   * Visits the jobs of `statuses` (in that order) from `from`, until `visit` returns false.
   * Resolves to where the visit stopped (the job `visit` refused), or `undefined` at the end.
   */
  scan(
    statuses: readonly JobStatus[],
    from: ListPosition,
    visit: (jobId: string) => boolean,
  ): ListPosition | undefined {
    for (const status of statuses) {
      const ordinal = jobStatuses.indexOf(status);
      if (ordinal < from.status) continue;
      let position = ordinal === from.status ? from.position : 0;
      const list = this.finished.get(status);
      if (list) {
        for (; position < list.length; position++) {
          if (!visit(list[position] as string)) return { status: ordinal, position };
        }
        continue;
      }
      let index = 0;
      for (const jobId of this.transient.get(status) ?? []) {
        if (index++ < position) continue;
        if (!visit(jobId)) return { status: ordinal, position: index - 1 };
      }
    }
    return undefined;
  }
}
