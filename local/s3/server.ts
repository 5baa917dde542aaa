import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PortInUseError } from '../errors';
import { serveOnLoopback } from '../private/loopback';
import { admitRequest, type EndpointAccess } from '../private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from '../private/sigv4.mjs';
import {
  createBucket,
  deleteBucket,
  getBucketLocation,
  getBucketVersioning,
  headBucket,
  listBuckets,
} from './private/buckets';
import { copyObject } from './private/copy';
import { S3Errors } from './private/errors';
import { listObjects } from './private/listing';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, uploadPart } from './private/multipart';
import { deleteObject, deleteObjects, getObject, putObject } from './private/objects';
import { sendError } from './private/responses';
import { Storage } from './private/storage';

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
  /** The only key pair requests may be signed with. @default a fresh pair */
  readonly credentials?: LocalCredentials;
  /** More callers and what each may do (a rehearsal's roles). @default the key pair alone, allowed everything */
  readonly access?: EndpointAccess;
}

/** A running local S3 endpoint. */
export interface S3Server {
  /** Endpoint for SDK clients and `aws --endpoint-url`, e.g. `http://127.0.0.1:45123`. */
  readonly url: string;
  readonly port: number;
  /** The key pair clients must sign with (or presign URLs with). */
  readonly credentials: LocalCredentials;
  /** Stops accepting requests, waits for index writes and closes open connections. */
  close(): Promise<void>;
}

const MAX_KEY_BYTES = 1024;
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
 * `<bucket>.localhost` virtual hosts. Only requests signed (SigV4, headers or presigned URL)
 * with the endpoint's key pair are served. Rejects with
 * {@link PortInUseError} when `port` is taken.
 *
 * @example
 * const s3 = await startS3Server({ dir: '.fanout/s3' });
 * const client = new S3Client({ endpoint: s3.url, forcePathStyle: true, region: 'us-east-1',
 *   credentials: s3.credentials });
 * await s3.close();
 */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const storage = new Storage(options.dir);
  await storage.open();
  const router = new S3Router(storage, options.region ?? 'us-east-1', options.now ?? (() => new Date()));
  const credentials = options.credentials ?? generateLocalCredentials();
  const server = createServer((req, res) => {
    void admitRequest(req, res, { service: 's3', credentials, ...options.access }).then(
      (admitted) => admitted && router.handle(req, res),
      () => res.destroy(),
    );
  });
  server.keepAliveTimeout = 30_000;
  const endpoint = await serveOnLoopback(server, {
    port: options.port ?? 0,
    caller: 'startS3Server',
    afterClose: () => storage.close(),
  });
  return { ...endpoint, credentials };
}

interface Target {
  bucket?: string;
  key?: string;
  query: URLSearchParams;
}

/** Sends each request to its operation by method, bucket, key and sub-resource. */
class S3Router {
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
      sendError(req, res, err, requestId);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const method = req.method ?? 'GET';
    const q = t.query;
    const sub = UNSUPPORTED_SUBRESOURCES.find((s) => q.has(s));
    if (t.bucket === undefined) {
      if (method === 'GET') return listBuckets(res, this.storage, this.region);
      throw S3Errors.methodNotAllowed(method, 'SERVICE');
    }
    if (sub) throw S3Errors.notImplemented(`?${sub}`);
    const bucketName = t.bucket;
    if (t.key === undefined) {
      switch (method) {
        case 'PUT':
          return createBucket(req, res, this.storage, bucketName, this.now);
        case 'HEAD':
          return headBucket(res, this.storage, bucketName, this.region);
        case 'DELETE':
          return deleteBucket(res, this.storage, bucketName);
        case 'GET':
          if (q.has('location')) return getBucketLocation(res, this.storage, bucketName, this.region);
          if (q.has('versioning')) return getBucketVersioning(res, this.storage, bucketName);
          if (q.has('uploads')) throw S3Errors.notImplemented('?uploads');
          return listObjects(res, this.storage.get(bucketName), q);
        case 'POST':
          if (q.has('delete')) return deleteObjects(req, res, this.storage.get(bucketName));
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
          return uploadPart(req, res, bucket, key, q);
        }
        if (req.headers['x-amz-copy-source']) return copyObject(req, res, this.storage, bucket, key, this.now);
        return putObject(req, res, bucket, key, this.now);
      case 'GET':
        if (q.has('uploadId')) throw S3Errors.notImplemented('?uploadId (ListParts)');
        return getObject(req, res, bucket, key, q, true);
      case 'HEAD':
        return getObject(req, res, bucket, key, q, false);
      case 'DELETE':
        if (q.has('uploadId')) return abortMultipartUpload(res, bucket, key, q.get('uploadId')!);
        return deleteObject(res, bucket, key);
      case 'POST':
        if (q.has('uploads')) return createMultipartUpload(req, res, bucket, key, this.now);
        if (q.has('uploadId')) return completeMultipartUpload(req, res, bucket, key, q.get('uploadId')!, this.now);
        break;
    }
    throw S3Errors.methodNotAllowed(method, 'OBJECT');
  }
}

function parseTarget(req: IncomingMessage): Target {
  const raw = req.url ?? '/';
  const qAt = raw.indexOf('?');
  const path = qAt < 0 ? raw : raw.slice(0, qAt);
  const query = new URLSearchParams(qAt < 0 ? '' : raw.slice(qAt + 1));
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw S3Errors.invalidUri(raw);
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
