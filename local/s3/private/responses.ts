import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Errors, S3ServiceError } from './errors';
import { el, xmlDocument } from './xml';

const OWNER = { id: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', name: 'local' };

/** Answers with an S3 XML document. */
export function sendXml(res: ServerResponse, root: string, inner: string): void {
  const body = xmlDocument(root, inner);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Answers with S3's `<Error>` document; anything but an {@link S3ServiceError} is logged
 * and becomes InternalError. A response already under way can only be cut.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string): void {
  const error = err instanceof S3ServiceError ? err : S3Errors.internal();
  if (!(err instanceof S3ServiceError)) console.error('local S3: internal error', err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = error.httpStatus;
  // HEAD responses carry no body; SDKs map the bare status (404 -> NotFound).
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const details = Object.entries(error.details)
    .map(([k, v]) => el(k, v))
    .join('');
  const body =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error>${el('Code', error.code)}${el('Message', error.message)}` +
    `${details}${el('RequestId', requestId)}${el('HostId', Buffer.from(requestId).toString('base64'))}</Error>`;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** The `<Owner>` element of listings: every bucket and object belongs to one local owner. */
export function ownerXml(): string {
  return `<Owner>${el('ID', OWNER.id)}${el('DisplayName', OWNER.name)}</Owner>`;
}

/** Listing encoding-type=url: percent-encode like S3 does (keeps `/` and unreserved characters). */
export function encodeKeyForUrl(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
