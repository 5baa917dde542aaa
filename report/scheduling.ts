import type { JobScheduling } from '../run';
import type { SchedulingSummary, TimelineAttempt } from './model';

/**
 * When the jobs of a run that used Batch's scheduler (a fair-share `shareIdentifier` or a
 * `schedulingPriority`) started, relative to the run's start: the first, the median and the last
 * item's first attempt. Two runs sharing a queue compare by these numbers (docs/report.md, "Scheduling").
 */

/**
 * @param header the run's queue and scheduling options (the ledger's header row)
 * @param attempts the timeline's attempts; each lane's earliest start counts once
 * @param runStartedAt the run's first execution start (ISO), or null when unknown
 * @example schedulingSummaryOf({ jobQueue: 'fanout-teams', scheduling: { shareIdentifier: 'teamA' } }, attempts, '2026-01-01T00:00:00Z')
 */
export function schedulingSummaryOf(
  header: { jobQueue?: string; scheduling?: JobScheduling } | undefined,
  attempts: readonly TimelineAttempt[],
  runStartedAt: string | null,
): SchedulingSummary | undefined {
  const share = header?.scheduling?.shareIdentifier;
  const priority = header?.scheduling?.schedulingPriority;
  if (!header?.jobQueue || (share === undefined && priority === undefined)) return undefined;
  const firstStarts = new Map<number, number>();
  for (const attempt of attempts) {
    const seen = firstStarts.get(attempt.lane);
    if (seen === undefined || attempt.startedAt < seen) firstStarts.set(attempt.lane, attempt.startedAt);
  }
  const starts = [...firstStarts.values()].sort((a, b) => a - b);
  const origin = runStartedAt === null ? undefined : Date.parse(runStartedAt);
  const offset = (at: number | undefined) =>
    at === undefined || origin === undefined || Number.isNaN(origin) ? null : (at - origin) / 1000;
  return {
    jobQueue: header.jobQueue,
    ...(share !== undefined ? { shareIdentifier: share } : {}),
    ...(priority !== undefined ? { schedulingPriority: priority } : {}),
    startedJobs: starts.length,
    firstStartSeconds: offset(starts[0]),
    medianStartSeconds: offset(starts[Math.floor((starts.length - 1) / 2)]),
    lastStartSeconds: offset(starts.at(-1)),
  };
}
