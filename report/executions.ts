import type { ExecutionSummary, ReportModel } from './model';

/** What the report says of a run as a whole from its executions: its times. */

/** The run's first start and last stop, and the time spent executing (the executions' durations summed). */
export function timingOf(executions: readonly ExecutionSummary[]): ReportModel['timing'] {
  if (executions.length === 0) return { startedAt: null, stoppedAt: null, executingSeconds: null };
  const stops = executions.map((execution) => execution.stoppedAt);
  const durations = executions.map((execution) => execution.durationSeconds).filter((d): d is number => d !== null);
  return {
    startedAt: executions[0]?.startedAt ?? null,
    // ISO 8601 times in UTC sort as strings.
    stoppedAt: stops.includes(null) ? null : ((stops as string[]).toSorted().at(-1) ?? null),
    executingSeconds: durations.length === 0 ? null : durations.reduce((a, b) => a + b, 0),
  };
}
