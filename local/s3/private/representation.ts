import type { IncomingMessage } from 'node:http';
import type { ObjectMeta } from './storage';

const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];

/** Content-Type, representation headers and user metadata of a PUT, as S3 stores them. */
export function describedRepresentation(
  req: IncomingMessage,
): Pick<ObjectMeta, 'contentType' | 'headers' | 'metadata'> {
  const headers: Record<string, string> = {};
  const metadata: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let v = req.headers[name];
    if (typeof v !== 'string') continue;
    if (name === 'content-encoding') {
      // aws-chunked describes the transfer, not the object.
      v = v
        .split(',')
        .map((e) => e.trim())
        .filter((e) => e !== '' && e !== 'aws-chunked')
        .join(',');
      if (v === '') continue;
    }
    headers[name] = v;
  }
  for (const [name, v] of Object.entries(req.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof v === 'string') metadata[name.slice('x-amz-meta-'.length)] = v;
  }
  return {
    // S3's default when a PUT names no type.
    contentType: typeof req.headers['content-type'] === 'string' ? req.headers['content-type'] : 'binary/octet-stream',
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
  };
}
