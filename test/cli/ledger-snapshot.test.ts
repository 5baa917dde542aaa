import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { beginLedgerUse, readLedgerView } from '../../cli/ledger-snapshot';
import { emptyCounts, type RunLedgerView } from '../../run';
import { tempDir } from '../e2e/helpers';

const view = (succeeded: number): RunLedgerView => ({
  counts: { ...emptyCounts(), total: succeeded, succeeded },
  failedWithoutStart: 0,
  followUps: { status: 'SUCCEEDED', retries: [], resumes: [] },
  failures: [],
});

/** A state folder whose ledger store has one file, as LevelDB keeps it. */
function stateDir(): string {
  const dir = tempDir('fanout-snapshot-');
  mkdirSync(join(dir, 'dynamodb'));
  writeFileSync(join(dir, 'dynamodb', '000003.log'), 'rows');
  return dir;
}

describe('ledger snapshot', () => {
  it('gives the view a writer kept while the store is as the writer left it', () => {
    const dir = stateDir();
    const use = beginLedgerUse(dir, ['sweep-1']);
    use.keep('sweep-1', view(3));
    use.end();
    expect(readLedgerView(dir, 'sweep-1')).toEqual(view(3));
    expect(readLedgerView(dir, 'sweep-2')).toBeUndefined();
  });

  it('is ignored once any process changed the store since, fanout or not', () => {
    const dir = stateDir();
    const use = beginLedgerUse(dir, []);
    use.keep('sweep-1', view(3));
    use.end();
    appendFileSync(join(dir, 'dynamodb', '000003.log'), 'another write');
    expect(readLedgerView(dir, 'sweep-1')).toBeUndefined();
  });

  it("keeps other runs' views across a writer of one run, and drops the written run's old view", () => {
    const dir = stateDir();
    const first = beginLedgerUse(dir, []);
    first.keep('sweep-1', view(3));
    first.keep('sweep-2', view(5));
    first.end();

    const writer = beginLedgerUse(dir, ['sweep-2']);
    appendFileSync(join(dir, 'dynamodb', '000003.log'), 'sweep-2 rows');
    writer.end();

    expect(readLedgerView(dir, 'sweep-1')).toEqual(view(3));
    expect(readLedgerView(dir, 'sweep-2')).toBeUndefined();
  });

  it('carries nothing over when the store changed before the writer began', () => {
    const dir = stateDir();
    const first = beginLedgerUse(dir, []);
    first.keep('sweep-1', view(3));
    first.end();
    appendFileSync(join(dir, 'dynamodb', '000003.log'), 'a write by another tool');

    beginLedgerUse(dir, ['sweep-2']).end();

    expect(readLedgerView(dir, 'sweep-1')).toBeUndefined();
  });
});
