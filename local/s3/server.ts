import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type PortInUseError, serveOnLoopback } from '../private/loopback';
import { S3Errors, S3ServiceError } from './errors';
import { readSmallBody, receiveBody } from './private/body';
import { checksumHeaderName } from './private/checksum';
import { type Bucket, type ObjectMeta, Storage, unlinkQuietly } from './private/storage';
import { el, xmlDocument, xmlElements, xmlText } from './private/xml';

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /** Directory holding one folder per bucket; created if missing. */
  readonly dir: string;
  /** TCP port on 127.0.0.1; @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Region reported by HeadBucket and GetBucketLocation; @default 'us-east-1' */
  readonly region?: string;
  /** Clock for Last-Modified and bucket creation dates; @default () => new Date() */
  readonly now?: () => Date;
}

/** A running local S3 endpoint. */
export interface S3Server {
  /** Endpoint for SDK clients and `aws --endpoint-url`, e.g. `http://127.0.0.1:45123`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, waits for index writes and closes open connections. */
  close(): Promise<void>;
}

const OWNER = { id: '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a', name: 'local' };
const MAX_KEY_BYTES = 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;
/** Query parameters that name a sub-resource this endpoint does not implement. */
const UNSUPPORTED_SUBRESOURCES = [
  'accelerate',
  'acl',
  'analytics',
  'attributes',
  'cors',
  'encryption',
  'intelligent-tiering',
  'inventory',
  'legal-hold',
  'lifecycle',
  'logging',
  'metadataTable',
  'metrics',
  'notification',
  'object-lock',
  'ownershipControls',
  'policy',
  'policyStatus',
  'publicAccessBlock',
  'replication',
  'requestPayment',
  'restore',
  'retention',
  'select',
  'tagging',
  'torrent',
  'versions',
  'website',
];

/**
 * Starts an S3-compatible endpoint on 127.0.0.1 that stores buckets and objects under
 * `dir` and survives restarts. Path-style addressing (`/<bucket>/<key>`), plus
 * `<bucket>.localhost` virtual hosts. Signatures are not verified. Rejects with
 * {@link PortInUseError} when `port` is taken.
 *
 * @example
 * const s3 = await startS3Server({ dir: '.fanout/s3' });
 * const client = new S3Client({ endpoint: s3.url, forcePathStyle: true, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 * await s3.close();
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const storage = new Storage(options.dir);
  await storage.open();
  const api = new S3Api(storage, options.region ?? 'us-east-1', options.now ?? (() => new Date()));
  const server = createServer((req, res) => void api.handle(req, res));
  server.keepAliveTimeout = 30_000;
  return serveOnLoopback(server, {
    port: options.port ?? 0,
    caller: 'startS3Server',
    afterClose: () => storage.close(),
  });
}

interface Target {
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

interface MultipartUpload {
  key: string;
  contentType: string;
  headers: Record<string, string>;
  metadata: Record<string, string>;
  initiated: string;
}

class S3Api {
  private requestCounter = 0;

  constructor(
    private readonly storage: Storage,
    private readonly region: string,
    private readonly now: () => Date,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = (++this.requestCounter).toString(16).toUpperCase().padStart(16, '0');
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', Buffer.from(requestId).toString('base64'));
    res.setHeader('Server', 'AmazonS3');
    try {
      await this.route(req, res, parseTarget(req));
    } catch (err) {
      // A client that hung up mid-response is not a server fault and gets no answer.
      if (res.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      this.sendError(req, res, err, requestId);
    }
  }

  private sendError(req: IncomingMessage, res: ServerResponse, err: unknown, requestId: string): void {
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

  private async route(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const method = req.method ?? 'GET';
    const q = t.query;
    const sub = UNSUPPORTED_SUBRESOURCES.find((s) => q.has(s));
    if (t.bucket === undefined) {
      if (method === 'GET') return this.listBuckets(res);
      throw S3Errors.methodNotAllowed(method, 'SERVICE');
    }
    if (sub) throw S3Errors.notImplemented(`?${sub}`);
    const bucketName = t.bucket;
    if (t.key === undefined) {
      switch (method) {
        case 'PUT':
          return this.createBucket(req, res, bucketName);
        case 'HEAD':
          return this.headBucket(res, bucketName);
        case 'DELETE':
          return this.deleteBucket(res, bucketName);
        case 'GET':
          if (q.has('location')) return this.getBucketLocation(res, bucketName);
          if (q.has('versioning')) return this.getBucketVersioning(res, bucketName);
          if (q.has('uploads')) throw S3Errors.notImplemented('?uploads');
          return this.listObjects(res, bucketName, q);
        case 'POST':
          if (q.has('delete')) return this.deleteObjects(req, res, bucketName);
          break;
      }
      throw S3Errors.methodNotAllowed(method, 'BUCKET');
    }
    const key = t.key;
    const keyBytes = Buffer.byteLength(key);
    if (keyBytes > MAX_KEY_BYTES) throw S3Errors.keyTooLong(keyBytes);
    const versionId = q.get('versionId');
    if (versionId !== null && versionId !== 'null') {
      throw S3Errors.invalidArgument('Invalid version id specified', 'versionId', versionId);
    }
    const bucket = this.storage.get(bucketName);
    switch (method) {
      case 'PUT':
        if (q.has('uploadId')) {
          if (req.headers['x-amz-copy-source']) throw S3Errors.notImplemented('x-amz-copy-source (UploadPartCopy)');
          return this.uploadPart(req, res, bucket, key, q);
        }
        if (req.headers['x-amz-copy-source']) return this.copyObject(req, res, bucket, key);
        return this.putObject(req, res, bucket, key);
      case 'GET':
        if (q.has('uploadId')) throw S3Errors.notImplemented('?uploadId (ListParts)');
        return this.getObject(req, res, bucket, key, q, true);
      case 'HEAD':
        return this.getObject(req, res, bucket, key, q, false);
      case 'DELETE':
        if (q.has('uploadId')) return this.abortMultipartUpload(res, bucket, key, q.get('uploadId')!);
        return this.deleteObject(res, bucket, key);
      case 'POST':
        if (q.has('uploads')) return this.createMultipartUpload(req, res, bucket, key);
        if (q.has('uploadId')) return this.completeMultipartUpload(req, res, bucket, key, q.get('uploadId')!);
        break;
    }
    throw S3Errors.methodNotAllowed(method, 'OBJECT');
  }

  // ---- service and buckets -------------------------------------------------------

  private listBuckets(res: ServerResponse): void {
    const buckets = this.storage
      .list()
      .map(
        (b) =>
          `<Bucket>${el('Name', b.name)}${el('CreationDate', b.creationDate.toISOString())}${el('BucketRegion', this.region)}</Bucket>`,
      )
      .join('');
    sendXml(res, 'ListAllMyBucketsResult', `${ownerXml()}<Buckets>${buckets}</Buckets>`);
  }

  private async createBucket(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    // The body, if any, is a CreateBucketConfiguration whose location constraint a single-region endpoint ignores.
    await readSmallBody(req);
    await this.storage.create(name, wholeSeconds(this.now()));
    res.setHeader('Location', `/${name}`);
    res.setHeader('Content-Length', 0);
    res.end();
  }

  private headBucket(res: ServerResponse, name: string): void {
    this.storage.get(name);
    res.setHeader('x-amz-bucket-region', this.region);
    res.setHeader('Content-Length', 0);
    res.end();
  }

  private async deleteBucket(res: ServerResponse, name: string): Promise<void> {
    await this.storage.delete(name);
    res.statusCode = 204;
    res.end();
  }

  private getBucketLocation(res: ServerResponse, name: string): void {
    this.storage.get(name);
    // us-east-1 is reported as an empty constraint, as S3 does.
    const body = this.region === 'us-east-1' ? '' : this.region;
    sendXml(res, 'LocationConstraint', body.replace(/[<&]/g, ''));
  }

  private getBucketVersioning(res: ServerResponse, name: string): void {
    this.storage.get(name);
    sendXml(res, 'VersioningConfiguration', '');
  }

  // ---- listing -------------------------------------------------------------------

  private async listObjects(res: ServerResponse, bucketName: string, q: URLSearchParams): Promise<void> {
    const bucket = this.storage.get(bucketName);
    const v2 = q.get('list-type') === '2';
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const encodingType = q.get('encoding-type');
    if (encodingType !== null && encodingType !== 'url') {
      throw S3Errors.invalidArgument('Invalid Encoding Method specified in Request', 'encoding-type', encodingType);
    }
    const maxKeysRaw = q.get('max-keys');
    let maxKeys = 1000;
    if (maxKeysRaw !== null) {
      if (!/^\d+$/.test(maxKeysRaw) || Number(maxKeysRaw) > 2147483647) {
        throw S3Errors.invalidArgument(
          'Provided max-keys not an integer or within integer range',
          'max-keys',
          maxKeysRaw,
        );
      }
      maxKeys = Math.min(1000, Number(maxKeysRaw));
    }
    const continuationToken = v2 ? q.get('continuation-token') : null;
    const startAfter = (v2 ? q.get('start-after') : q.get('marker')) ?? '';
    let resume: { after: string; isPrefix: boolean } | undefined;
    if (continuationToken !== null) {
      resume = decodeToken(continuationToken);
      if (!resume) {
        throw S3Errors.invalidArgument(
          'The continuation token provided is incorrect',
          'continuation-token',
          continuationToken,
        );
      }
    }

    const index = await bucket.keys();
    const { keys, value } = index.ordered();
    let i = index.lowerBound(prefix);
    if (startAfter !== '') i = Math.max(i, index.lowerBound(startAfter, true));
    if (resume) {
      i = Math.max(i, index.lowerBound(resume.after, true));
      if (resume.isPrefix) i = index.endOfPrefix(resume.after, i);
    }
    const contents: ObjectMeta[] = [];
    const prefixes: string[] = [];
    let truncated = false;
    let last: { after: string; isPrefix: boolean } | undefined;
    while (i < keys.length) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      const meta = value(key);
      if (!meta) {
        i++;
        continue;
      }
      const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
      if (contents.length + prefixes.length >= maxKeys) {
        truncated = maxKeys > 0;
        break;
      }
      if (cut >= 0) {
        const common = key.slice(0, cut + delimiter.length);
        prefixes.push(common);
        last = { after: common, isPrefix: true };
        i = index.endOfPrefix(common, i);
      } else {
        contents.push(meta);
        last = { after: key, isPrefix: false };
        i++;
      }
    }

    const enc = (s: string) => (encodingType === 'url' ? encodeKeyForUrl(s) : s);
    const fetchOwner = v2 ? q.get('fetch-owner') === 'true' : true;
    const contentsXml = contents
      .map(
        (m) =>
          `<Contents>${el('Key', enc(m.key))}${el('LastModified', new Date(m.lastModified).toISOString())}` +
          `${el('ETag', m.etag)}` +
          (m.checksum ? `${el('ChecksumAlgorithm', m.checksum.algorithm)}${el('ChecksumType', m.checksum.type)}` : '') +
          `${el('Size', m.size)}${fetchOwner ? ownerXml() : ''}${el('StorageClass', 'STANDARD')}</Contents>`,
      )
      .join('');
    const prefixesXml = prefixes.map((p) => `<CommonPrefixes>${el('Prefix', enc(p))}</CommonPrefixes>`).join('');
    let head = `${el('Name', bucket.name)}${el('Prefix', enc(prefix))}`;
    if (v2) {
      if (continuationToken !== null) head += el('ContinuationToken', continuationToken);
      if (truncated && last) head += el('NextContinuationToken', encodeToken(last));
      head += el('KeyCount', contents.length + prefixes.length);
      if (startAfter !== '') head += el('StartAfter', enc(startAfter));
    } else {
      head += el('Marker', enc(startAfter));
      // S3 returns NextMarker only with a delimiter; without one clients continue from the last key.
      if (truncated && last && delimiter !== '') head += el('NextMarker', enc(last.after));
    }
    head += el('MaxKeys', maxKeys);
    if (delimiter !== '') head += el('Delimiter', enc(delimiter));
    if (encodingType) head += el('EncodingType', encodingType);
    head += el('IsTruncated', truncated);
    sendXml(res, 'ListBucketResult', head + contentsXml + prefixesXml);
  }

  // ---- objects -------------------------------------------------------------------

  private async putObject(req: IncomingMessage, res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
    await bucket.keys();
    const file = await bucket.newDataFile();
    try {
      const body = await receiveBody(req, file.abs);
      const meta: ObjectMeta = {
        key,
        size: body.size,
        etag: `"${body.md5.toString('hex')}"`,
        lastModified: wholeSeconds(this.now()).getTime(),
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

  private async getObject(
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
      this.writeObjectHeaders(req, res, meta, q, planned === 'not-modified' ? 304 : status, range);
      res.end();
      return;
    }
    const opened = await bucket.openBody(key, plan);
    if (!opened.stream) {
      this.writeObjectHeaders(req, res, opened.meta, q, 304, undefined);
      res.end();
      return;
    }
    this.writeObjectHeaders(req, res, opened.meta, q, status, range);
    await pipeline(opened.stream, res);
  }

  private writeObjectHeaders(
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

  private async deleteObject(res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
    // Deleting a missing key succeeds, as in S3.
    await bucket.remove(key);
    res.statusCode = 204;
    res.end();
  }

  private async deleteObjects(req: IncomingMessage, res: ServerResponse, bucketName: string): Promise<void> {
    const bucket = this.storage.get(bucketName);
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

  private async copyObject(req: IncomingMessage, res: ServerResponse, bucket: Bucket, key: string): Promise<void> {
    const source = parseCopySource(String(req.headers['x-amz-copy-source']));
    const sourceBucket = this.storage.get(source.bucket);
    const directive = String(req.headers['x-amz-metadata-directive'] ?? 'COPY').toUpperCase();
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw S3Errors.invalidArgument('Unknown metadata directive.', 'x-amz-metadata-directive', directive);
    }
    if (sourceBucket === bucket && source.key === key && directive === 'COPY') {
      throw S3Errors.invalidRequest(
        "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
      );
    }
    await bucket.keys();
    const file = await bucket.newDataFile();
    try {
      let sourceMeta: ObjectMeta | undefined;
      for (let attempt = 0; ; attempt++) {
        sourceMeta = (await sourceBucket.keys()).get(source.key);
        if (!sourceMeta) throw S3Errors.noSuchKey(source.key);
        checkCopySourceConditions(req, sourceMeta);
        try {
          await copyFile(sourceBucket.abs(sourceMeta.file), file.abs);
          break;
        } catch (err) {
          // The source was overwritten between lookup and copy: copy the newer version.
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
        }
      }
      const described =
        directive === 'REPLACE'
          ? describedRepresentation(req)
          : {
              contentType: sourceMeta.contentType,
              ...(sourceMeta.headers ? { headers: sourceMeta.headers } : {}),
              ...(sourceMeta.metadata ? { metadata: sourceMeta.metadata } : {}),
            };
      const meta: ObjectMeta = {
        key,
        size: sourceMeta.size,
        etag: sourceMeta.etag,
        lastModified: wholeSeconds(this.now()).getTime(),
        ...described,
        file: file.rel,
        ...(sourceMeta.checksum ? { checksum: sourceMeta.checksum } : {}),
      };
      await bucket.commit(meta, (current) => checkWriteConditions(req, key, current));
      const checksumXml = meta.checksum
        ? el(`Checksum${meta.checksum.algorithm}`, meta.checksum.value) + el('ChecksumType', meta.checksum.type)
        : '';
      sendXml(
        res,
        'CopyObjectResult',
        `${el('ETag', meta.etag)}${el('LastModified', new Date(meta.lastModified).toISOString())}${checksumXml}`,
      );
    } catch (err) {
      await unlinkQuietly(file.abs);
      throw err;
    }
  }

  // ---- multipart uploads ---------------------------------------------------------

  private uploadDir(bucket: Bucket, uploadId: string): string {
    if (!/^[0-9a-f]{32}$/.test(uploadId)) throw S3Errors.noSuchUpload(uploadId);
    return join(bucket.dir, 'uploads', uploadId);
  }

  private async readUpload(bucket: Bucket, key: string, uploadId: string): Promise<MultipartUpload> {
    const dir = this.uploadDir(bucket, uploadId);
    let upload: MultipartUpload;
    try {
      upload = JSON.parse(await readFile(join(dir, 'upload.json'), 'utf8')) as MultipartUpload;
    } catch {
      throw S3Errors.noSuchUpload(uploadId);
    }
    if (upload.key !== key) throw S3Errors.noSuchUpload(uploadId);
    return upload;
  }

  private async createMultipartUpload(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: Bucket,
    key: string,
  ): Promise<void> {
    await readSmallBody(req);
    const uploadId = randomUUID().replaceAll('-', '');
    const dir = this.uploadDir(bucket, uploadId);
    await mkdir(dir, { recursive: true });
    const described = describedRepresentation(req);
    const upload: MultipartUpload = {
      key,
      contentType: described.contentType,
      headers: described.headers ?? {},
      metadata: described.metadata ?? {},
      initiated: this.now().toISOString(),
    };
    await writeFile(join(dir, 'upload.json'), JSON.stringify(upload));
    sendXml(
      res,
      'InitiateMultipartUploadResult',
      `${el('Bucket', bucket.name)}${el('Key', key)}${el('UploadId', uploadId)}`,
    );
  }

  private async uploadPart(
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
    await this.readUpload(bucket, key, uploadId);
    const dir = this.uploadDir(bucket, uploadId);
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

  private async completeMultipartUpload(
    req: IncomingMessage,
    res: ServerResponse,
    bucket: Bucket,
    key: string,
    uploadId: string,
  ): Promise<void> {
    const upload = await this.readUpload(bucket, key, uploadId);
    const dir = this.uploadDir(bucket, uploadId);
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
        lastModified: wholeSeconds(this.now()).getTime(),
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

  private async abortMultipartUpload(
    res: ServerResponse,
    bucket: Bucket,
    key: string,
    uploadId: string,
  ): Promise<void> {
    await this.readUpload(bucket, key, uploadId);
    await rm(this.uploadDir(bucket, uploadId), { recursive: true, force: true });
    res.statusCode = 204;
    res.end();
  }
}

// ---- helpers -----------------------------------------------------------------------

const RESPONSE_OVERRIDES: readonly (readonly [string, string])[] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'Content-Language'],
  ['response-expires', 'Expires'],
  ['response-cache-control', 'Cache-Control'],
  ['response-content-disposition', 'Content-Disposition'],
  ['response-content-encoding', 'Content-Encoding'],
];

const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'];

function parseTarget(req: IncomingMessage): Target {
  const raw = req.url ?? '/';
  const qAt = raw.indexOf('?');
  const path = qAt < 0 ? raw : raw.slice(0, qAt);
  const query = new URLSearchParams(qAt < 0 ? '' : raw.slice(qAt + 1));
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new S3ServiceError('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: raw });
    }
  };
  const host = String(req.headers.host ?? '').replace(/:\d+$/, '');
  const virtual = /^(.+)\.localhost$/.exec(host);
  if (virtual) {
    const key = path.length > 1 ? decode(path.slice(1)) : undefined;
    return { bucket: virtual[1]!, ...(key !== undefined ? { key } : {}), query };
  }
  if (path === '/' || path === '') return { query };
  const slash = path.indexOf('/', 1);
  const bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const rest = slash < 0 ? '' : path.slice(slash + 1);
  return rest === '' ? { bucket, query } : { bucket, key: decode(rest), query };
}

function sendXml(res: ServerResponse, root: string, inner: string): void {
  const body = xmlDocument(root, inner);
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function ownerXml(): string {
  return `<Owner>${el('ID', OWNER.id)}${el('DisplayName', OWNER.name)}</Owner>`;
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/** Content-Type, representation headers and user metadata of a PUT, as S3 stores them. */
function describedRepresentation(req: IncomingMessage): Pick<ObjectMeta, 'contentType' | 'headers' | 'metadata'> {
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
function checkReadConditions(req: IncomingMessage, meta: ObjectMeta): boolean {
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
function checkWriteConditions(req: IncomingMessage, key: string, current: ObjectMeta | undefined): void {
  const ifNoneMatch = headerValue(req, 'if-none-match');
  const ifMatch = headerValue(req, 'if-match');
  if (ifNoneMatch !== undefined && current) throw S3Errors.preconditionFailed('If-None-Match');
  if (ifMatch !== undefined) {
    if (!current) throw S3Errors.noSuchKey(key);
    if (!etagMatches(ifMatch, current)) throw S3Errors.preconditionFailed('If-Match');
  }
}

function checkCopySourceConditions(req: IncomingMessage, meta: ObjectMeta): void {
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

function parseCopySource(value: string): { bucket: string; key: string } {
  const [path = '', query = ''] = value.split('?', 2);
  const versionId = new URLSearchParams(query).get('versionId');
  if (versionId !== null && versionId !== 'null') {
    throw S3Errors.invalidArgument('Invalid version id specified', 'x-amz-copy-source', value);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path).replace(/^\//, '');
  } catch {
    throw S3Errors.invalidArgument('Invalid copy source encoding', 'x-amz-copy-source', value);
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) {
    throw S3Errors.invalidArgument(
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
      'x-amz-copy-source',
      value,
    );
  }
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
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

/** Listing encoding-type=url: percent-encode like S3 does (keeps `/` and unreserved characters). */
function encodeKeyForUrl(key: string): string {
  return encodeURIComponent(key)
    .replace(/%2F/g, '/')
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function encodeToken(last: { after: string; isPrefix: boolean }): string {
  return Buffer.from(`${last.isPrefix ? 'p' : 'k'}:${last.after}`, 'utf8').toString('base64');
}

function decodeToken(token: string): { after: string; isPrefix: boolean } | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!/^[kp]:/s.test(text) || Buffer.from(text, 'utf8').toString('base64') !== token) return undefined;
  return { after: text.slice(2), isPrefix: text.startsWith('p') };
}
