/** The single-object operations: PutObject, GetObject, HeadObject, DeleteObject, and DeleteObjects. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { readSmallBody, receiveBody } from './body';
import { checksumHeaderName } from './checksum';
import { checkReadConditions, checkWriteConditions } from './conditions';
import { S3Errors } from './errors';
import { describedRepresentation } from './representation';
import { sendXml } from './responses';
import { type Bucket, type ObjectMeta, unlinkQuietly, wholeSeconds } from './storage';
import { el, xmlElements, xmlText } from './xml';

const RESPONSE_OVERRIDES: readonly (readonly [string, string])[] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

export async function putObject(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  now: () => Date,
): Promise<void> {
  await bucket.keys();
  const file = await bucket.newDataFile();
  try {
    const body = await receiveBody(req, file.abs);
    const meta: ObjectMeta = {
      key,
      size: body.size,
      etag: `"${body.md5.toString('hex')}"`,
      lastModified: wholeSeconds(now()).getTime(),
      ...describedRepresentation(req),
      file: file.rel,
      ...(body.checksum ? { checksum: { ...body.checksum, type: 'FULL_OBJECT' as const } } : {}),
    };
    await bucket.commit(meta, (current) => checkWriteConditions(req, key, current));
    res.setHeader('ETag', meta.etag);
    if (meta.checksum) {
      res.setHeader(checksumHeaderName(meta.checksum.algorithm), meta.checksum.value);
      res.setHeader('x-amz-checksum-type', meta.checksum.type);
    }
    res.setHeader('Content-Length', 0);
    res.end();
  } catch (err) {
    await unlinkQuietly(file.abs);
    throw err;
  }
}

/** GetObject (`withBody`) and HeadObject: conditions, one range, response overrides. */
export async function getObject(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  q: URLSearchParams,
  withBody: boolean,
): Promise<void> {
  let status = 200;
  let range: { start: number; end: number } | undefined;
  const plan = (meta: ObjectMeta) => {
    const notModified = checkReadConditions(req, meta);
    if (notModified) return 'not-modified' as const;
    range = parseRange(req.headers.range, meta.size);
    status = range ? 206 : 200;
    return range;
  };
  if (!withBody) {
    const meta = (await bucket.keys()).get(key);
    if (!meta) throw S3Errors.noSuchKey(key);
    const planned = plan(meta);
    writeObjectHeaders(req, res, meta, q, planned === 'not-modified' ? 304 : status, range);
    res.end();
    return;
  }
  const opened = await bucket.openBody(key, plan);
  if (!opened.stream) {
    writeObjectHeaders(req, res, opened.meta, q, 304, undefined);
    res.end();
    return;
  }
  writeObjectHeaders(req, res, opened.meta, q, status, range);
  await pipeline(opened.stream, res);
}

function writeObjectHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  meta: ObjectMeta,
  q: URLSearchParams,
  status: number,
  range: { start: number; end: number } | undefined,
): void {
  res.statusCode = status;
  res.setHeader('ETag', meta.etag);
  res.setHeader('Last-Modified', new Date(meta.lastModified).toUTCString());
  if (status === 304) return;
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', meta.contentType);
  for (const [name, v] of Object.entries(meta.headers ?? {})) res.setHeader(name, v);
  for (const [name, v] of Object.entries(meta.metadata ?? {})) res.setHeader(`x-amz-meta-${name}`, v);
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const v = q.get(param);
    if (v !== null) res.setHeader(name, v);
  }
  if (range) {
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${meta.size}`);
    res.setHeader('Content-Length', range.end - range.start + 1);
  } else {
    res.setHeader('Content-Length', meta.size);
    if (meta.checksum && String(req.headers['x-amz-checksum-mode']).toUpperCase() === 'ENABLED') {
      res.setHeader(checksumHeaderName(meta.checksum.algorithm), meta.checksum.value);
      res.setHeader('x-amz-checksum-type', meta.checksum.type);
    }
  }
}

export async function deleteObject(res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
  // Deleting a missing key succeeds, as in S3.
  await bucket.remove(key);
  res.statusCode = 204;
  res.end();
}

export async function deleteObjects(req: IncomingMessage, res: ServerResponse, bucket: Bucket): Promise<void> {
  const hasIntegrity =
    req.headers['content-md5'] !== undefined ||
    req.headers['x-amz-sdk-checksum-algorithm'] !== undefined ||
    req.headers['x-amz-trailer'] !== undefined ||
    Object.keys(req.headers).some((h) => h.startsWith('x-amz-checksum-'));
  const xml = await readSmallBody(req);
  // https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: an integrity header is required.
  if (!hasIntegrity) throw S3Errors.invalidRequest('Missing required header for this request: Content-MD5');
  const deleteBody = xmlElements(xml, 'Delete')[0];
  if (deleteBody === undefined) throw S3Errors.malformedXml();
  const quiet = xmlText(deleteBody, 'Quiet') === 'true';
  const objects = xmlElements(deleteBody, 'Object');
  if (objects.length === 0 || objects.length > 1000) throw S3Errors.malformedXml();
  const parts: string[] = [];
  for (const object of objects) {
    const key = xmlText(object, 'Key');
    if (key === undefined) throw S3Errors.malformedXml();
    const versionId = xmlText(object, 'VersionId');
    if (versionId !== undefined && versionId !== 'null') {
      parts.push(
        `<Error>${el('Key', key)}${el('VersionId', versionId)}${el('Code', 'NoSuchVersion')}${el('Message', 'The specified version does not exist.')}</Error>`,
      );
      continue;
    }
    await bucket.remove(key);
    if (!quiet) parts.push(`<Deleted>${el('Key', key)}</Deleted>`);
  }
  sendXml(res, 'DeleteResult', parts.join(''));
}

/**
 * `Range: bytes=a-b | a- | -n` (one range; S3 ignores others and syntax it does not
 * understand). A satisfiable range is clamped to the object; an unsatisfiable one is
 * InvalidRange (416).
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw S3Errors.invalidRange(header, size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (end < start) return undefined;
  if (start >= size) throw S3Errors.invalidRange(header, size);
  return { start, end: Math.min(end, size - 1) };
}
