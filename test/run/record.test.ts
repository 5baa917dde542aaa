import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunSummary, readRunRecord, writeRunRecord } from '../../run';

const summary: RunSummary = {
  runId: 'r1',
  path: 'map',
  status: 'FAILED',
  counts: { total: 5, pending: 1, running: 0, succeeded: 2, failed: 2, retrying: 0, abandoned: 0 },
  error: 'States.ExceedToleratedFailureThreshold',
  cause: 'too many failures',
  stateTransitions: 21,
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:r1',
  startedAt: '2026-01-01T00:00:00.000Z',
  stoppedAt: '2026-01-01T00:00:02.500Z',
  durationSeconds: 2.5,
};

describe('run records', () => {
  it('round-trips a record and reports a run that never ran as undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-summary-'));
    const { counts: _counts, ...record } = summary;
    writeRunRecord(dir, record);
    expect(readRunRecord(dir, 'r1')).toEqual(record);
    expect(readRunRecord(dir, 'other')).toBeUndefined();
  });

  it("names a retry execution's record after the execution, keeping the run id inside", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-summary-'));
    const { counts: _counts, ...record } = summary;
    writeRunRecord(dir, { ...record, retryOf: 'r1' }, 'r1-retry-1');
    expect(readRunRecord(dir, 'r1-retry-1')).toMatchObject({ runId: 'r1', retryOf: 'r1' });
    expect(readRunRecord(dir, 'r1')).toBeUndefined();
  });
});
