import { randomUUID } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChecksumAlgorithm } from './checksum';
import { S3Errors } from './errors';
import { Journal } from './journal';
import { KeyIndex } from './key-index';

/** What the endpoint knows about one object; one JSON line of a bucket's index. */
export interface ObjectMeta {
  key: string;
  size: number;
  /** Quoted, as S3 returns it: `"<md5 hex>"` or `"<md5 hex>-<parts>"`. */
  etag: string;
  /** Milliseconds since the epoch, whole seconds (S3's resolution). */
  lastModified: number;
  contentType: string;
  /** Data file, relative to the bucket directory. */
  file: string;
  /** Stored representation headers (content-encoding, cache-control, ...). */
  headers?: Record<string, string>;
  /** User metadata, `x-amz-meta-` names without the prefix. */
  metadata?: Record<string, string>;
  checksum?: { algorithm: ChecksumAlgorithm; value: string; type: 'FULL_OBJECT' | 'COMPOSITE' };
}

type JournalEntry = { put: ObjectMeta } | { del: string };

/** Bucket names as S3 general purpose buckets allow them. */
function isValidBucketName(name: string): boolean {
  return (
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) &&
    !name.includes('..') &&
    !/^\d+\.\d+\.\d+\.\d+$/.test(name) &&
    !name.startsWith('xn--') &&
    !name.startsWith('sthree-') &&
    !name.endsWith('-s3alias') &&
    !name.endsWith('--ol-s3')
  );
}

/**
 * One bucket on disk:
 *   <dir>/<bucket>/bucket.json      creation date
 *   <dir>/<bucket>/index.jsonl      journal of puts and deletes, replayed on first use
 *   <dir>/<bucket>/objects/ab/<id>  object bodies, named by a random id, never by key
 *   <dir>/<bucket>/uploads/<id>/    multipart uploads in progress
 * Keys never become paths, so any key (with `..`, `/`, unicode) is safe.
 */
export class Bucket {
  private index: KeyIndex<ObjectMeta> | undefined;
  private loading: Promise<KeyIndex<ObjectMeta>> | undefined;
  private journal: Journal | undefined;
  private readonly madeDirs = new Set<string>();

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly creationDate: Date,
  ) {}

  /** The bucket's key index, replaying the journal on first use. */
  keys(): Promise<KeyIndex<ObjectMeta>> {
    if (this.index) return Promise.resolve(this.index);
    this.loading ??= this.load();
    return this.loading;
  }

  /** A fresh data file path for a new body; unreferenced until `commit`. */
  async newDataFile(): Promise<{ rel: string; abs: string }> {
    const id = randomUUID().replaceAll('-', '');
    const sub = join('objects', id.slice(0, 2));
    if (!this.madeDirs.has(sub)) {
      await mkdir(join(this.dir, sub), { recursive: true });
      this.madeDirs.add(sub);
    }
    const rel = join(sub, id);
    return { rel, abs: join(this.dir, rel) };
  }

  abs(rel: string): string {
    return join(this.dir, rel);
  }

  /**
   * Makes `meta` the current version of its key. `check` runs against the current
   * version synchronously with the swap, so conditional writes cannot race.
   */
  async commit(meta: ObjectMeta, check: (current: ObjectMeta | undefined) => void): Promise<void> {
    const index = await this.keys();
    const previous = index.get(meta.key);
    check(previous);
    index.set(meta.key, meta);
    await this.journal!.append({ put: meta } satisfies JournalEntry);
    if (previous && previous.file !== meta.file) await unlinkQuietly(this.abs(previous.file));
  }

  /** Removes a key; false when it did not exist. */
  async remove(key: string): Promise<boolean> {
    const index = await this.keys();
    const previous = index.get(key);
    if (!previous) return false;
    index.delete(key);
    await this.journal!.append({ del: key } satisfies JournalEntry);
    await unlinkQuietly(this.abs(previous.file));
    return true;
  }

  /**
   * Opens the body of `key` for reading. `plan` sees the version being opened and
   * returns the byte range to read, or 'not-modified' to open nothing. A concurrent
   * overwrite that removes the file between lookup and open is followed once.
   */
  async openBody(
    key: string,
    plan: (meta: ObjectMeta) => { start: number; end: number } | 'not-modified' | undefined,
  ): Promise<{ meta: ObjectMeta; stream?: ReadStream }> {
    for (let attempt = 0; ; attempt++) {
      const meta = (await this.keys()).get(key);
      if (!meta) throw S3Errors.noSuchKey(key);
      const range = plan(meta);
      if (range === 'not-modified') return { meta };
      try {
        const stream = createReadStream(this.abs(meta.file), range);
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', reject);
        });
        return { meta, stream };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 0) throw err;
      }
    }
  }

  async close(): Promise<void> {
    if (this.loading) await this.loading.catch(() => undefined);
    await this.journal?.close();
  }

  private async load(): Promise<KeyIndex<ObjectMeta>> {
    const index = new KeyIndex<ObjectMeta>();
    const path = join(this.dir, 'index.jsonl');
    let lines = 0;
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    // Only the last line can be torn (a crash mid-append) and its request never got an
    // answer, so it is dropped, also from the file before new lines follow it.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length !== text.length) await writeFile(path, complete);
    for (const line of complete.split('\n')) {
      if (line === '') continue;
      const entry = JSON.parse(line) as JournalEntry;
      lines++;
      if ('put' in entry) index.set(entry.put.key, entry.put);
      else index.delete(entry.del);
    }
    this.journal = new Journal(path, (n) => {
      if (n < 1000 || n < 2 * index.size) return undefined;
      const out: string[] = [];
      for (const meta of index.values()) out.push(`${JSON.stringify({ put: meta } satisfies JournalEntry)}\n`);
      return out;
    });
    this.journal.lines = lines;
    await this.journal.compactIfWorthIt();
    this.index = index;
    return index;
  }
}

/** All buckets under one root directory. */
export class Storage {
  private readonly buckets = new Map<string, Bucket>();

  constructor(readonly root: string) {}

  /** Finds the buckets already on disk (their indexes load lazily). */
  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    for (const entry of await readdir(this.root, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isValidBucketName(entry.name)) continue;
      const dir = join(this.root, entry.name);
      try {
        const info = JSON.parse(await readFile(join(dir, 'bucket.json'), 'utf8')) as { creationDate: string };
        this.buckets.set(entry.name, new Bucket(entry.name, dir, new Date(info.creationDate)));
      } catch {
        // Not a bucket of ours (no readable bucket.json): leave it alone.
      }
    }
  }

  list(): Bucket[] {
    return [...this.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw S3Errors.noSuchBucket(name);
    return bucket;
  }

  async create(name: string, now: Date): Promise<Bucket> {
    if (!isValidBucketName(name)) throw S3Errors.invalidBucketName(name);
    if (this.buckets.has(name)) throw S3Errors.bucketAlreadyOwnedByYou(name);
    const dir = join(this.root, name);
    const bucket = new Bucket(name, dir, now);
    this.buckets.set(name, bucket);
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'bucket.json'), `${JSON.stringify({ name, creationDate: now.toISOString() })}\n`);
    } catch (err) {
      this.buckets.delete(name);
      throw err;
    }
    return bucket;
  }

  async delete(name: string): Promise<void> {
    const bucket = this.get(name);
    const index = await bucket.keys();
    if (index.size > 0) throw S3Errors.bucketNotEmpty(name);
    this.buckets.delete(name);
    await bucket.close();
    await rm(bucket.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.buckets.values()].map((b) => b.close()));
  }
}

export async function unlinkQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** `d` truncated to whole seconds, the resolution of S3's object and bucket dates. */
export function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}
