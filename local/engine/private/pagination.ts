import { ServiceError } from '../errors';
import type { ExecutionDescription, ExecutionStatus, Page, PageRequest } from '../types';
import type { MapRun } from './map/map-run';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** Offset pagination with an opaque token bound to the listing it came from. */
export function paginate<T>(listing: string, count: number, item: (index: number) => T, request: PageRequest): Page<T> {
  const size = pageSize(request.maxResults);
  const offset = request.nextToken === undefined ? 0 : readToken(request.nextToken, listing);
  const end = Math.min(count, offset + size);
  const items: T[] = [];
  for (let index = offset; index < end; index++) items.push(item(index));
  const page: Page<T> = { items };
  if (end < count) page.nextToken = makeToken(listing, end);
  return page;
}

function pageSize(maxResults: number | undefined): number {
  const size = maxResults === undefined || maxResults === 0 ? DEFAULT_PAGE : maxResults;
  if (!Number.isInteger(size) || size < 0 || size > MAX_PAGE) {
    throw new ServiceError(
      'ValidationException',
      `maxResults must be an integer from 0 to ${MAX_PAGE} (received ${String(maxResults)})`,
    );
  }
  return size;
}

/** The position a token carries; the token must come from the same listing. */
function readToken(token: string, listing: string): number {
  let parsed: { l?: unknown; o?: unknown } = {};
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { l?: unknown; o?: unknown };
  } catch {
    parsed = {};
  }
  if (parsed.l !== listing || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0)
    throw new ServiceError('InvalidToken', `Invalid Token: '${token}'`);
  return parsed.o;
}

function makeToken(listing: string, position: number): string {
  return Buffer.from(JSON.stringify({ l: listing, o: position }), 'utf8').toString('base64url');
}

/**
 * ListExecutions(mapRunArn): newest child first. The token holds the index to resume below, so
 * a page costs the children it returns (plus those a status filter skips), never a pass over all.
 */
export function listChildren(
  run: MapRun,
  filter: { status?: ExecutionStatus | undefined; redriven?: boolean | undefined },
  request: PageRequest,
): Page<ExecutionDescription> {
  const matches = (index: number): boolean =>
    (!filter.status || run.statusOf(index) === filter.status) &&
    (filter.redriven === undefined || run.childRedriveCount(index) > 0 === filter.redriven);
  const filtered = filter.status !== undefined || filter.redriven !== undefined;
  const listing = `mapRun:${run.mapRunArn}`;
  const size = pageSize(request.maxResults);
  let index =
    request.nextToken === undefined
      ? run.childCount - 1
      : Math.min(readToken(request.nextToken, listing), run.childCount - 1);
  const items: ExecutionDescription[] = [];
  for (; index >= 0 && items.length < size; index--) {
    if (matches(index)) items.push(run.describeChild(index));
  }
  if (filtered) while (index >= 0 && !matches(index)) index--;
  const page: Page<ExecutionDescription> = { items };
  if (index >= 0) page.nextToken = makeToken(listing, index);
  return page;
}
