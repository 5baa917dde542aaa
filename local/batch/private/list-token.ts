/** ListJobs' `nextToken`: names where the next page starts, so a page costs its own length, not the pages before it. */
import { BatchClientError } from '../errors';
import type { ListPosition } from '../store/status-index';

export function encodeListToken(position: ListPosition): string {
  return Buffer.from(JSON.stringify({ s: position.status, p: position.position }), 'utf8').toString('base64url');
}

/** The position a token names, the first page without one; throws `BatchClientError` for a token not made here. */
export function decodeListToken(token: string | undefined): ListPosition {
  if (token === undefined) return { status: 0, position: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; p?: unknown };
    const { s: status, p: position } = parsed;
    if (
      Number.isInteger(status) &&
      Number.isInteger(position) &&
      (status as number) >= 0 &&
      (position as number) >= 0
    ) {
      return { status: status as number, position: position as number };
    }
  } catch {
    // falls through to the error below
  }
  throw new BatchClientError(`nextToken is not a token returned by this service; received "${token}"`);
}
