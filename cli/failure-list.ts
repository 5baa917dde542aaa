import { failureReason, listFailedItems } from '../run';
import { type CliIo, ExitCode } from './io';
import type { RunLocation } from './summary';

/**
 * Every failed item of a run (FAILED, and the RETRYING or ABANDONED rows a failure led to), with
 * the reason that tells most (`failureReason`) and where its log is: one JSON line
 * `{runId, failures: [...]}` with `--json`, else one line per item. Exit code 0.
 */
export async function printFailures(io: CliIo, runId: string, json: boolean, location: RunLocation): Promise<number> {
  const items = await listFailedItems(location.ledger, location.tableName, runId);
  const failures = items.map((item) => ({
    itemId: item.itemId,
    kwargs: item.kwargs === undefined ? null : (JSON.parse(item.kwargs) as unknown),
    status: item.status ?? 'FAILED',
    attempt: item.attempt ?? 1,
    failureClass: item.failureClass ?? null,
    reason: failureReason(item),
    exitCode: item.exitCode ?? null,
    statusReason: item.statusReason ?? null,
    containerReason: item.containerReason ?? null,
    jobId: item.jobId ?? null,
    log: item.logStream ? location.logLink(item.logStream) : null,
  }));
  if (json) {
    io.out(JSON.stringify({ runId, failures }));
    return ExitCode.Succeeded;
  }
  if (failures.length === 0) io.out(`run ${runId} has no failed items`);
  for (const failure of failures) {
    const exit = failure.exitCode === null ? '' : ` exit ${failure.exitCode}`;
    io.out(`${failure.itemId}${exit} ${failure.failureClass ?? 'UNKNOWN'}: ${failure.reason}`);
    io.out(`  kwargs: ${JSON.stringify(failure.kwargs)}${failure.log ? `\n  log: ${failure.log}` : ''}`);
  }
  return ExitCode.Succeeded;
}
