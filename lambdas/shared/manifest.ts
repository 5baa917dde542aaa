import type { PreparedItem } from './input';

/**
 * One JSONL manifest line per item, `{itemId, jobName, kwargs, idempotent}`: the format the
 * Distributed Map's ItemReader reads, written by Prepare and by Retry alike. The kwargs are
 * spliced in as already-serialised JSON, so no item is parsed again.
 * @example manifestLine({ itemId: '0', jobName: 'sweep-0', kwargsJson: '{"seed":1}', idempotent: true })
 */
export function manifestLine(item: Pick<PreparedItem, 'itemId' | 'jobName' | 'kwargsJson' | 'idempotent'>): string {
  return `{"itemId":${JSON.stringify(item.itemId)},"jobName":${JSON.stringify(item.jobName)},"kwargs":${item.kwargsJson},"idempotent":${item.idempotent}}`;
}
