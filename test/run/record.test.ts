import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunRecord, writeRunRecord } from '../../run';
import { failedRunSummary } from './factories';

const summary = failedRunSummary();

describe('run records', () => {
  it('round-trips a record and reports a run that never ran as undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-summary-'));
    const { counts: _counts, items: _items, executionStatus: status, ...rest } = summary;
    const record = { ...rest, status };
    writeRunRecord(dir, record);
    expect(readRunRecord(dir, 'r1')).toEqual(record);
    expect(readRunRecord(dir, 'other')).toBeUndefined();
  });

  it("names a retry execution's record after the execution, keeping the run id inside", () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-summary-'));
    const { counts: _counts, items: _items, executionStatus: status, ...rest } = summary;
    const record = { ...rest, status };
    writeRunRecord(dir, { ...record, retryOf: 'r1' }, 'r1-retry-1');
    expect(readRunRecord(dir, 'r1-retry-1')).toMatchObject({ runId: 'r1', retryOf: 'r1' });
    expect(readRunRecord(dir, 'r1')).toBeUndefined();
  });
});
