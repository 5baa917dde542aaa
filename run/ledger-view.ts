import { countRunStatuses, type FailedItem, type LedgerClient, listFailedItems, readRunFollowUps } from './ledger';
import type { RunLedgerFacts } from './record';

/** What `fanout status` and `fanout list` read of a run's ledger: the facts of its summary and its first failed items. */
export interface RunLedgerView extends RunLedgerFacts {
  /** The first failed items in item order, without their kwargs and cause (`status --failures` reads those). */
  failures: FailedItem[];
}

/** How many failed items a run's view keeps: the human-readable summary lists these. */
export const FAILURES_SHOWN = 10;

/**
 * Reads a run's view from the ledger: one counting Query over its items, one read of its header,
 * one Query of the failed-items index for the first failures.
 * @example const view = await readRunLedgerView(dynamodb, 'fanout-ledger', 'sweep-7');
 */
export async function readRunLedgerView(
  client: LedgerClient,
  tableName: string,
  runId: string,
): Promise<RunLedgerView> {
  const { counts, failedWithoutStart } = await countRunStatuses(client, tableName, runId);
  const followUps = await readRunFollowUps(client, tableName, runId);
  const failures = (await listFailedItems(client, tableName, runId, FAILURES_SHOWN)).map(
    ({ kwargs: _kwargs, cause: _cause, ...shown }) => shown,
  );
  return { counts, failedWithoutStart, followUps, failures };
}
