import type { RunSummary } from '../../run';

/** A failed map-path run's summary, as `fanout run --json` prints it. */
export function failedRunSummary(): RunSummary {
  return {
    runId: 'r1',
    path: 'map',
    status: 'FAILED',
    executionStatus: 'FAILED',
    items: { total: 5, succeeded: 2, failed: 2, neverStarted: 1, queued: 0, running: 0 },
    counts: { total: 5, pending: 1, running: 0, succeeded: 2, failed: 2, retrying: 0, abandoned: 0 },
    error: 'States.ExceedToleratedFailureThreshold',
    cause: 'too many failures',
    stateTransitions: 21,
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:r1',
    startedAt: '2026-01-01T00:00:00.000Z',
    stoppedAt: '2026-01-01T00:00:02.500Z',
    durationSeconds: 2.5,
  };
}
