/** Conditional requests: the If-* headers of reads and writes and the x-amz-copy-source-if-* headers of copies. */
import type { IncomingMessage } from 'node:http';
import { S3Errors } from './errors';
import type { ObjectMeta } from './storage';

function etagList(value: string): string[] {
  return value.split(',').map((v) => v.trim().replace(/^W\//, '').replaceAll('"', ''));
}

function etagMatches(header: string, meta: ObjectMeta): boolean {
  const etag = meta.etag.replaceAll('"', '');
  return etagList(header).some((v) => v === '*' || v === etag);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Conditional GET/HEAD per https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html:
 * If-Match false -> 412 unless... If-Match true wins over If-Unmodified-Since false;
 * If-None-Match false wins over If-Modified-Since true. Returns true for 304.
 */
export function checkReadConditions(req: IncomingMessage, meta: ObjectMeta): boolean {
  const ifMatch = headerValue(req, 'if-match');
  const ifUnmodified = headerValue(req, 'if-unmodified-since');
  const ifNoneMatch = headerValue(req, 'if-none-match');
  const ifModified = headerValue(req, 'if-modified-since');
  if (ifMatch !== undefined) {
    if (!etagMatches(ifMatch, meta)) throw S3Errors.preconditionFailed('If-Match');
  } else if (ifUnmodified !== undefined) {
    const t = Date.parse(ifUnmodified);
    if (!Number.isNaN(t) && meta.lastModified > t) throw S3Errors.preconditionFailed('If-Unmodified-Since');
  }
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, meta);
  if (ifModified !== undefined) {
    const t = Date.parse(ifModified);
    return !Number.isNaN(t) && meta.lastModified <= t;
  }
  return false;
}

/** Conditional writes: `If-None-Match: *` (create only) and `If-Match: <etag>` (replace that version). */
export function checkWriteConditions(req: IncomingMessage, key: string, current: ObjectMeta | undefined): void {
  const ifNoneMatch = headerValue(req, 'if-none-match');
  const ifMatch = headerValue(req, 'if-match');
  if (ifNoneMatch !== undefined && current) throw S3Errors.preconditionFailed('If-None-Match');
  if (ifMatch !== undefined) {
    if (!current) throw S3Errors.noSuchKey(key);
    if (!etagMatches(ifMatch, current)) throw S3Errors.preconditionFailed('If-Match');
  }
}

export function checkCopySourceConditions(req: IncomingMessage, meta: ObjectMeta): void {
  const ifMatch = headerValue(req, 'x-amz-copy-source-if-match');
  const ifNoneMatch = headerValue(req, 'x-amz-copy-source-if-none-match');
  const ifUnmodified = headerValue(req, 'x-amz-copy-source-if-unmodified-since');
  const ifModified = headerValue(req, 'x-amz-copy-source-if-modified-since');
  if (ifMatch !== undefined && !etagMatches(ifMatch, meta))
    throw S3Errors.preconditionFailed('x-amz-copy-source-If-Match');
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, meta)) {
    throw S3Errors.preconditionFailed('x-amz-copy-source-If-None-Match');
  }
  if (ifMatch === undefined && ifUnmodified !== undefined && meta.lastModified > Date.parse(ifUnmodified)) {
    throw S3Errors.preconditionFailed('x-amz-copy-source-If-Unmodified-Since');
  }
  if (ifNoneMatch === undefined && ifModified !== undefined && meta.lastModified <= Date.parse(ifModified)) {
    throw S3Errors.preconditionFailed('x-amz-copy-source-If-Modified-Since');
  }
}
