/**
 * Multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload and
 * AbortMultipartUpload. An upload in progress is a folder `uploads/<id>/` in its bucket
 * holding `upload.json` and one `part-<n>-<md5>` file per part.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readSmallBody, receiveBody } from './body';
import { checksumHeaderName } from './checksum';
import { checkWriteConditions } from './conditions';
import { S3Errors } from './errors';
import { describedRepresentation } from './representation';
import { encodeKeyForUrl, sendXml } from './responses';
import { type Bucket, type ObjectMeta, unlinkQuietly, wholeSeconds } from './storage';
import { el, xmlElements, xmlText } from './xml';

const MIN_PART_BYTES = 5 * 1024 * 1024;

/** An upload in progress, as its `upload.json` stores it. */
interface MultipartUpload {
  key: string;
  contentType: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  initiated: string;
}

/** The folder of an upload; an id this endpoint cannot have issued is NoSuchUpload, and never becomes a path. */
function uploadDir(bucket: Bucket, uploadId: string): string {
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw S3Errors.noSuchUpload(uploadId);
  return join(bucket.dir, 'uploads', uploadId);
}

/** The upload's recorded state; NoSuchUpload when it is gone or belongs to another key. */
async function readUpload(bucket: Bucket, key: string, uploadId: string): Promise<MultipartUpload> {
  const dir = uploadDir(bucket, uploadId);
  let upload: MultipartUpload;
  try {
    upload = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as MultipartUpload;
  } catch {
    throw S3Errors.noSuchUpload(uploadId);
  }
  if (upload.key !== key) throw S3Errors.noSuchUpload(uploadId);
  return upload;
}

export async function createMultipartUpload(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  now: () => Date,
): Promise<void> {
  await readSmallBody(req);
  const uploadId = randomUUID().replaceAll('-', '');
  const dir = uploadDir(bucket, uploadId);
  await mkdir(dir, { recursive: true });
  const described = describedRepresentation(req);
  const upload: MultipartUpload = {
    key,
    contentType: described.contentType,
    headers: described.headers ?? {},
    metadata: described.metadata ?? {},
    initiated: now().toISOString(),
  };
  await writeFile(join(dir, 'upload.json'), JSON.stringify(upload));
  sendXml(
    res,
    'InitiateMultipartUploadResult',
    `${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', uploadId)}`,
  );
}

export async function uploadPart(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  q: URLSearchParams,
): Promise<void> {
  const uploadId = q.get('uploadId')!;
  const partRaw = q.get('partNumber') ?? '';
  if (!/^\d+$/.test(partRaw) || Number(partRaw) < 1 || Number(partRaw) > 10000) {
    throw S3Errors.invalidArgument(
      'Part number must be an integer between 1 and 10000, inclusive',
      'partNumber',
      partRaw,
    );
  }
  await readUpload(bucket, key, uploadId);
  const dir = uploadDir(bucket, uploadId);
  const tmp = join(dir, `upload-${partRaw}-${randomUUID()}.tmp`);
  try {
    const body = await receiveBody(req, tmp);
    const md5 = body.md5.toString('hex');
    // The part's etag is part of its file name, so data and etag are replaced together.
    for (const old of await readdir(dir)) if (old.startsWith(`part-${partRaw}-`)) await unlinkQuietly(join(dir, old));
    await rename(tmp, join(dir, `part-${partRaw}-${md5}`));
    res.setHeader('ETag', `"${md5}"`);
    if (body.checksum) res.setHeader(checksumHeaderName(body.checksum.algorithm), body.checksum.value);
    res.setHeader('Content-Length', 0);
    res.end();
  } finally {
    await unlinkQuietly(tmp);
  }
}

export async function completeMultipartUpload(
  req: IncomingMessage,
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  uploadId: string,
  now: () => Date,
): Promise<void> {
  const upload = await readUpload(bucket, key, uploadId);
  const dir = uploadDir(bucket, uploadId);
  const xml = await readSmallBody(req);
  const root = xmlElements(xml, 'CompleteMultipartUpload')[0];
  if (root === undefined) throw S3Errors.malformedXml();
  const requested = xmlElements(root, 'Part').map((p) => ({
    number: Number(xmlText(p, 'PartNumber')),
    etag: (xmlText(p, 'ETag') ?? '').replaceAll('"', '').toLowerCase(),
  }));
  if (requested.length === 0) throw S3Errors.malformedXml();
  for (let i = 1; i < requested.length; i++) {
    if (requested[i]!.number <= requested[i - 1]!.number) throw S3Errors.invalidPartOrder();
  }
  const files = await readdir(dir);
  const parts = await Promise.all(
    requested.map(async (p) => {
      const name = `part-${p.number}-${p.etag}`;
      if (!files.includes(name)) throw S3Errors.invalidPart();
      return { ...p, path: join(dir, name), size: (await stat(join(dir, name))).size };
    }),
  );
  if (parts.slice(0, -1).some((p) => p.size < MIN_PART_BYTES)) throw S3Errors.entityTooSmall();
  await bucket.keys();
  const file = await bucket.newDataFile();
  try {
    const out = createWriteStream(file.abs);
    for (const part of parts) await pipeline(createReadStream(part.path), out, { end: false });
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    const md5s = Buffer.concat(parts.map((p) => Buffer.from(p.etag, 'hex')));
    const meta: ObjectMeta = {
      key,
      size: parts.reduce((n, p) => n + p.size, 0),
      etag: `"${createHash('md5').update(md5s).digest('hex')}-${parts.length}"`,
      lastModified: wholeSeconds(now()).getTime(),
      contentType: upload.contentType,
      ...(Object.keys(upload.headers).length ? { headers: upload.headers } : {}),
      ...(Object.keys(upload.metadata).length ? { metadata: upload.metadata } : {}),
      file: file.rel,
    };
    await bucket.commit(meta, (current) => checkWriteConditions(req, key, current));
    await rm(dir, { recursive: true, force: true });
    sendXml(
      res,
      'CompleteMultipartUploadResult',
      `${el('Location', `/${bucket.name}/${encodeKeyForUrl(key)}`)}${el('Bucket', bucket.name)}${el('Key', key)}${el('ETag', meta.etag)}`,
    );
  } catch (err) {
    await unlinkQuietly(file.abs);
    throw err;
  }
}

export async function abortMultipartUpload(
  res: ServerResponse,
  bucket: Bucket,
  key: string,
  uploadId: string,
): Promise<void> {
  await readUpload(bucket, key, uploadId);
  await rm(uploadDir(bucket, uploadId), { recursive: true, force: true });
  res.statusCode = 204;
  res.end();
}
