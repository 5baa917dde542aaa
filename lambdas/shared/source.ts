import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { describeValue, FanoutInputError } from './errors';
import { decodeUtf8, type ItemCollector, type ItemSource, notUtf8Error, Utf8Check } from './input';

/**
 * Reads the items of an S3 `source` into a collector: a `.json` array, a `.jsonl` manifest
 * (one item per line, blank lines skipped), or a prefix whose objects each hold one item,
 * in key order (ListObjectsV2 returns keys in UTF-8 binary order).
 */

type S3Source = Extract<ItemSource, { kind: 's3' }>;

const PREFIX_READ_CONCURRENCY = 16;

function unreadable(uri: string, error: unknown): FanoutInputError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new FanoutInputError([{ path: 'source', message: `cannot read ${uri}: ${name}: ${message}` }], {
    cause: error,
  });
}

async function getObjectStream(s3: S3Client, bucket: string, key: string): Promise<Readable> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const body = response.Body;
  if (body instanceof Readable) return body;
  if (body && typeof (body as { transformToString?: unknown }).transformToString === 'function') {
    return Readable.from([await (body as { transformToString: () => Promise<string> }).transformToString()]);
  }
  return Readable.from([]);
}

/** An object's text; bytes that are not UTF-8 are refused with their offset, never replaced. */
async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await getObjectStream(s3, bucket, key))
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return decodeUtf8(Buffer.concat(chunks), `source s3://${bucket}/${key}`);
}

const LINE_BREAK = /\r\n|\n|\r/;

/**
 * The lines of a streamed object, split as readline splits them (CR LF, LF or CR), its bytes
 * checked as UTF-8 on the way: a bad sequence is refused with its byte offset in the object.
 */
async function* utf8Lines(stream: Readable, where: string): AsyncGenerator<string> {
  const check = new Utf8Check();
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    const bad = check.push(bytes);
    if (bad !== undefined) throw notUtf8Error(where, bad);
    let text = carry + decoder.write(bytes);
    // A CR at the end of a chunk may be the first half of a CR LF.
    const endsInCr = text.endsWith('\r');
    if (endsInCr) text = text.slice(0, -1);
    const lines = text.split(LINE_BREAK);
    carry = (lines.pop() ?? '') + (endsInCr ? '\r' : '');
    yield* lines;
  }
  const bad = check.end();
  if (bad !== undefined) throw notUtf8Error(where, bad);
  const lines = (carry + decoder.end()).split(LINE_BREAK);
  if (lines.at(-1) === '') lines.pop();
  yield* lines;
}

function parseJson(
  text: string,
  where: string,
  collector: ItemCollector,
): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    collector.report({
      path: where,
      message: `is not valid JSON: ${(error as Error).message}`,
      received: describeValue(text),
    });
    return { ok: false };
  }
}

/**
 * Adds every item of the source to the collector. Unreadable objects are a FanoutInputError
 * on `source`; malformed entries are reported to the collector with their line or key.
 */
export async function readSourceItems(s3: S3Client, source: S3Source, collector: ItemCollector): Promise<void> {
  try {
    if (source.format === 'json') {
      const parsed = parseJson(await readText(s3, source.bucket, source.key), `source ${source.uri}`, collector);
      if (!parsed.ok) return;
      if (!Array.isArray(parsed.value)) {
        throw FanoutInputError.of('source', `${source.uri} must hold a JSON array of items`, parsed.value);
      }
      for (const [index, entry] of parsed.value.entries()) collector.add(entry, `source[${index}]`);
      return;
    }
    if (source.format === 'jsonl') {
      const lines = utf8Lines(await getObjectStream(s3, source.bucket, source.key), `source ${source.uri}`);
      let lineNumber = 0;
      for await (const line of lines) {
        lineNumber += 1;
        if (line.trim() === '') continue;
        const where = `source line ${lineNumber}`;
        const parsed = parseJson(line, where, collector);
        if (parsed.ok) collector.add(parsed.value, where);
      }
      return;
    }
    await readPrefix(s3, source, collector);
  } catch (error) {
    if (error instanceof FanoutInputError) throw error;
    throw unreadable(source.uri, error);
  }
}

async function readPrefix(s3: S3Client, source: S3Source, collector: ItemCollector): Promise<void> {
  let continuationToken: string | undefined;
  let seen = 0;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: source.bucket,
        Prefix: source.key,
        ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
      }),
    );
    // Keys ending in "/" are folder markers made by consoles, not items.
    const keys = (page.Contents ?? [])
      .map((object) => object.Key ?? '')
      .filter((key) => key !== '' && !key.endsWith('/'));
    seen += keys.length;
    // Read a bounded window in parallel but add in key order, so item positions are stable.
    for (let start = 0; start < keys.length; start += PREFIX_READ_CONCURRENCY) {
      const window = keys.slice(start, start + PREFIX_READ_CONCURRENCY);
      const texts = await Promise.all(window.map((key) => readText(s3, source.bucket, key)));
      texts.forEach((text, index) => {
        const where = `source s3://${source.bucket}/${window[index]}`;
        const parsed = parseJson(text, where, collector);
        if (parsed.ok) collector.add(parsed.value, where);
      });
    }
    continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (continuationToken);
  if (seen === 0) throw FanoutInputError.of('source', `no objects under the prefix ${source.uri}`);
}
