import { describe, expect, it } from 'vitest';
import { formatFailures, formatSummary } from '../../cli/summary';
import { failedRunSummary } from '../run/factories';

const summary = failedRunSummary();

describe('formatSummary', () => {
  it('shows status, counts, the error and billed transitions', () => {
    const text = formatSummary(summary);
    expect(text).toMatch(/status\s+FAILED/);
    expect(text).toMatch(/succeeded\s+2/);
    expect(text).toMatch(/never started\s+1/);
    // Queued and running items exist only while a run goes on.
    expect(text).not.toMatch(/queued|running/);
    expect(text).toMatch(/error\s+States.ExceedToleratedFailureThreshold/);
    expect(text).toMatch(/state transitions\s+21/);
    expect(text).not.toMatch(/retrying/);
    expect(text).not.toMatch(/retried by|retry of/);
  });

  it('shows the executions that retried a run, and what a retry execution re-ran', () => {
    const retried = formatSummary({
      ...summary,
      retries: [{ executionArn: 'arn:x:r1-retry-1', startedAt: '2026-01-02T00:00:00.000Z' }],
    });
    expect(retried).toMatch(/retried by\s+arn:x:r1-retry-1 \(started 2026-01-02T00:00:00.000Z\)/);
    const retry = formatSummary({ ...summary, retryOf: 'r1', retriedItemCount: 0 });
    expect(retry).toMatch(/retry of\s+r1/);
    expect(retry).toMatch(/retried items\s+0 \(nothing left to retry\)/);
  });
});

describe('formatFailures', () => {
  it('lists failed items with exit code, reason and log, saying when only some are shown', () => {
    const text = formatFailures(
      summary,
      [
        {
          itemId: '03',
          exitCode: 3,
          statusReason: 'Essential container in task exited',
          logStream: 'job/default/abc',
          failureClass: 'APP_ERROR',
          attempt: 3,
          status: 'ABANDONED',
        },
      ],
      (stream) => `/state/logs/${stream}.log`,
      '.fanout',
    );
    expect(text).toBe(
      [
        'failed items (first 1 of 2):',
        '  03 exit 3: Essential container in task exited (APP_ERROR, attempt 3, abandoned)',
        '    log: /state/logs/job/default/abc.log',
        'details: npx fanout status r1 --dir .fanout --json',
      ].join('\n'),
    );
  });

  it('falls back to the error name when a failure has no status reason', () => {
    const text = formatFailures(
      { ...summary, counts: { ...summary.counts, failed: 1 } },
      [{ itemId: 'a', error: 'Batch.ClientException' }],
      (s) => s,
      'd',
    );
    expect(text.split('\n')[1]).toBe('  a: Batch.ClientException');
  });
});
