import { readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunLedgerView } from '../run/ledger-view';

/**
 * A copy of what `fanout status` and `fanout list` read of each run in a local ledger, kept in
 * `<dir>/ledger-snapshot.json` so they can answer without starting the ledger's DynamoDB (which
 * costs several times a bare Node.js start). It is trusted only while the ledger's store is
 * byte for byte as it was when the copy was made: its stamp (every file of `<dir>/dynamodb`
 * with its size and modification time) must match. Any process that opens the store, fanout's
 * or not, changes those files, so a copy can be stale only by being ignored, never believed.
 *
 * Writers keep it up to date while they hold `<dir>/writer.lock`: `beginLedgerUse` before the
 * store is opened (the runs whose copy is still good), `endLedgerUse` once it is closed again.
 */

interface SnapshotFile {
  stamp: string;
  runs: Record<string, RunLedgerView>;
}

const SNAPSHOT_FILE = 'ledger-snapshot.json';

/** The store's files, sizes and modification times (nanoseconds), in name order. */
function ledgerStamp(dir: string): string {
  const store = join(dir, 'dynamodb');
  let names: string[];
  try {
    names = readdirSync(store).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  return names
    .map((name) => {
      const stat = statSync(join(store, name), { bigint: true });
      return `${name}:${stat.size}:${stat.mtimeNs}`;
    })
    .join('|');
}

function readSnapshot(dir: string): SnapshotFile | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, SNAPSHOT_FILE), 'utf8')) as SnapshotFile;
  } catch {
    // Missing or torn: the ledger itself answers.
    return undefined;
  }
}

/** The kept copy of every run whose copy matches the store as it is now; empty when the store changed. */
function currentViews(dir: string): Record<string, RunLedgerView> {
  const snapshot = readSnapshot(dir);
  return snapshot && snapshot.stamp === ledgerStamp(dir) ? snapshot.runs : {};
}

/**
 * The kept view of a run, or undefined when there is none or the store changed since it was
 * made (then read the ledger).
 * @example const view = readLedgerView('/home/me/.fanout', 'sweep-7');
 */
export function readLedgerView(dir: string, runId: string): RunLedgerView | undefined {
  return currentViews(dir)[runId];
}

/** A ledger use by the process holding `<dir>/writer.lock`; see {@link beginLedgerUse}. */
export interface LedgerUse {
  /** Records a run's view as the process read it (before the store closes). */
  keep(runId: string, view: RunLedgerView): void;
  /** Once the store is closed: writes the views kept plus the still-good ones of runs this process did not write. */
  end(): void;
}

/**
 * Starts a use of the ledger's store by the process holding `<dir>/writer.lock`, before it opens
 * the store. `written` names the runs whose rows the process may change (their old views are
 * dropped); every other run's still-good view is carried over to the new stamp.
 * @example const use = beginLedgerUse(dir, [runId]); ... use.keep(runId, view); ...close...; use.end();
 */
export function beginLedgerUse(dir: string, written: readonly string[]): LedgerUse {
  const carried = { ...currentViews(dir) };
  for (const runId of written) delete carried[runId];
  const views: Record<string, RunLedgerView> = carried;
  return {
    keep(runId, view) {
      views[runId] = view;
    },
    end() {
      const file = join(dir, SNAPSHOT_FILE);
      const snapshot: SnapshotFile = { stamp: ledgerStamp(dir), runs: views };
      writeFileSync(`${file}.${process.pid}`, JSON.stringify(snapshot), { mode: 0o600 });
      renameSync(`${file}.${process.pid}`, file);
    },
  };
}
