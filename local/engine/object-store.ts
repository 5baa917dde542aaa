import { createHash } from 'node:crypto';
import { StatesError } from './errors';

/** One object as ListObjectsV2 reports it. */
export interface ObjectSummary {
  key: string;
  size: number;
  /** Epoch milliseconds. */
  lastModified: number;
  /** With the surrounding double quotes, as S3 returns it. */
  etag: string;
  storageClass?: string | undefined;
}

/**
 * The slice of S3 the engine needs for ItemReader and ResultWriter. Missing buckets or keys
 * are thrown as `StatesError` named like the S3 error (`S3.NoSuchKey`, `S3.NoSuchBucket`).
 */
export interface ObjectStore {
  getObject(bucket: string, key: string): Promise<Buffer>;
  listObjectsV2(
    bucket: string,
    prefix: string,
    continuationToken?: string,
  ): Promise<{ keys: ObjectSummary[]; nextToken?: string | undefined }>;
  putObject(bucket: string, key: string, body: Buffer | string): Promise<void>;
  /**
   * Writes an object from a sequence of chunks without holding it whole (ResultWriter files can
   * be hundreds of megabytes). A store without it receives the chunks joined through `putObject`.
   */
  putObjectStream?(
    bucket: string,
    key: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<void>;
}

/** Objects S3 returns per ListObjectsV2 page. */
const LIST_PAGE_SIZE = 1000;

/** An in-memory ObjectStore (tests, benchmarks); buckets spring into existence on first put. */
export class MemoryObjectStore implements ObjectStore {
  private readonly buckets = new Map<string, Map<string, { body: Buffer; lastModified: number; etag: string }>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Creates an empty bucket, so reads of missing keys say NoSuchKey rather than NoSuchBucket. */
  createBucket(bucket: string): void {
    if (!this.buckets.has(bucket)) this.buckets.set(bucket, new Map());
  }

  async getObject(bucket: string, key: string): Promise<Buffer> {
    const object = this.bucket(bucket).get(key);
    if (!object)
      throw new StatesError('S3.NoSuchKey', `The specified key does not exist. (Bucket: ${bucket}, Key: ${key})`);
    return object.body;
  }

  async listObjectsV2(
    bucket: string,
    prefix: string,
    continuationToken?: string,
  ): Promise<{ keys: ObjectSummary[]; nextToken?: string | undefined }> {
    // S3 lists keys in UTF-8 binary order; continuation resumes after the last key returned.
    const keys = [...this.bucket(bucket).keys()].filter((key) => key.startsWith(prefix)).sort(compareBinary);
    const after = continuationToken ? Buffer.from(continuationToken, 'base64url').toString('utf8') : undefined;
    const start = after === undefined ? 0 : keys.findIndex((key) => compareBinary(key, after) > 0);
    const page = start < 0 ? [] : keys.slice(start, start + LIST_PAGE_SIZE);
    const last = page[page.length - 1];
    const more = start >= 0 && start + LIST_PAGE_SIZE < keys.length;
    return {
      keys: page.map((key) => {
        const object = this.bucket(bucket).get(key)!;
        return {
          key,
          size: object.body.length,
          lastModified: object.lastModified,
          etag: object.etag,
          storageClass: 'STANDARD',
        };
      }),
      nextToken: more && last !== undefined ? Buffer.from(last, 'utf8').toString('base64url') : undefined,
    };
  }

  async putObject(bucket: string, key: string, body: Buffer | string): Promise<void> {
    this.createBucket(bucket);
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    this.buckets.get(bucket)!.set(key, { body: bytes, lastModified: this.now(), etag });
  }

  async putObjectStream(
    bucket: string,
    key: string,
    chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  ): Promise<void> {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    await this.putObject(bucket, key, Buffer.concat(parts));
  }

  /** Test helper: the object's body as UTF-8 text, or undefined. */
  readText(bucket: string, key: string): string | undefined {
    return this.buckets.get(bucket)?.get(key)?.body.toString('utf8');
  }

  /** Test helper: every key in a bucket, sorted. */
  listKeys(bucket: string): string[] {
    return [...(this.buckets.get(bucket)?.keys() ?? [])].sort(compareBinary);
  }

  private bucket(bucket: string): Map<string, { body: Buffer; lastModified: number; etag: string }> {
    const found = this.buckets.get(bucket);
    if (!found) throw new StatesError('S3.NoSuchBucket', `The specified bucket does not exist. (Bucket: ${bucket})`);
    return found;
  }
}

function compareBinary(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
