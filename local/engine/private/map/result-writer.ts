import { StatesError, StatesErrors } from '../../errors';
import type { ObjectStore } from '../../object-store';
import type { Json, JsonObject } from '../../types';
import type { StateNode, WriterConfig } from '../state-graph';
import { SUCCEEDED } from './child-status';
import type { MapRun } from './map-run';

/** Where a ResultWriter writes: `ResultWriter.Parameters` (JSONata: `Arguments`) rendered. */
export interface WriterTarget {
  bucket: string;
  prefix: string;
}

/** How results are shaped (docs: input-output-resultwriter.html, WriterConfig). */
export interface ResultFormat {
  transformation: NonNullable<WriterConfig['Transformation']>;
  outputType: NonNullable<WriterConfig['OutputType']>;
}

/** Without WriterConfig, an export to Amazon S3 writes the entries unchanged as JSON arrays. */
export const EXPORT_DEFAULT: ResultFormat = { transformation: 'NONE', outputType: 'JSON' };

/**
 * A successful child's contribution under FLATTEN: the members of an array output (compact JSON
 * text, so `[` is its first character), or the output itself when it is not an array. An empty
 * array contributes nothing ('').
 */
export function flattenOutput(outputText: string): string {
  return outputText.startsWith('[') ? outputText.slice(1, -1) : outputText;
}

/** Bytes read from the log, and at most buffered for a pending file, per chunk handed to the store. */
const CHUNK_BYTES = 1024 * 1024;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const CLOSE_BRACKET = 0x5d;

/** Reads the export target from the rendered `ResultWriter.Parameters` (JSONata: `Arguments`). */
export function readWriterTarget(node: StateNode, rendered: Json, field: 'Parameters' | 'Arguments'): WriterTarget {
  const parameters = rendered as JsonObject | null;
  const bucket = parameters?.Bucket;
  const prefix = parameters?.Prefix ?? '';
  if (typeof bucket !== 'string' || bucket === '') {
    throw new StatesError(
      StatesErrors.ResultWriterFailed,
      `ResultWriter.${field}.Bucket of state '${node.name}' must be a non-empty string (received ${JSON.stringify(bucket)})`,
    );
  }
  if (typeof prefix !== 'string') {
    throw new StatesError(
      StatesErrors.ResultWriterFailed,
      `ResultWriter.${field}.Prefix of state '${node.name}' must be a string (received ${JSON.stringify(prefix)})`,
    );
  }
  return { bucket, prefix };
}

/**
 * Writes `<Prefix>/<mapRunId>/manifest.json` and one file per status with entries
 * (docs: input-output-resultwriter.html) and returns `{MapRunArn, ResultWriterDetails}`.
 * Entries are copied from the Map Run's log in child order, a slice at a time, so a result
 * file is never held whole in memory (unless the store cannot take a stream).
 */
export async function writeResults(
  run: MapRun,
  target: WriterTarget,
  pending: Iterator<Json> | undefined,
  format: ResultFormat = EXPORT_DEFAULT,
): Promise<Json> {
  if (run.logError)
    throw new StatesError(
      StatesErrors.Runtime,
      `the children's results were not all recorded: ${run.logError.message}`,
    );
  const store = run.env.objectStore;
  const base = `${target.prefix === '' || target.prefix.endsWith('/') ? target.prefix : `${target.prefix}/`}${run.uuid}/`;
  const files: Record<'FAILED' | 'PENDING' | 'SUCCEEDED', { Key: string; Size: number }[]> = {
    FAILED: [],
    PENDING: [],
    SUCCEEDED: [],
  };
  const write = async (status: 'FAILED' | 'PENDING' | 'SUCCEEDED', chunks: Iterable<Buffer>): Promise<void> => {
    const key = `${base}${status}_0.json`;
    const size = await putChunks(store, target.bucket, key, chunks);
    files[status].push({ Key: key, Size: size });
  };
  const { succeeded, failed, timedOut, aborted } = run.executions;
  const lines = format.outputType === 'JSONL';
  if (succeeded > 0)
    await write(
      'SUCCEEDED',
      format.transformation === 'NONE'
        ? logChunks(run, (status) => status === SUCCEEDED, lines)
        : outputChunks(run, format.transformation === 'FLATTEN', lines),
    );
  // Failed children keep their execution result unchanged whatever the Transformation.
  if (failed + timedOut + aborted > 0)
    await write(
      'FAILED',
      logChunks(run, (status) => status !== SUCCEEDED, lines),
    );
  const first = pending?.next();
  if (first && !first.done) await write('PENDING', pendingChunks(first.value, pending!, lines));
  const manifestKey = `${base}manifest.json`;
  const manifest = { DestinationBucket: target.bucket, MapRunArn: run.mapRunArn, ResultFiles: files };
  await store.putObject(target.bucket, manifestKey, JSON.stringify(manifest));
  run.resultsWritten = 1;
  return { MapRunArn: run.mapRunArn, ResultWriterDetails: { Bucket: target.bucket, Key: manifestKey } };
}

/** Streams chunks to the store and returns the object's size. */
async function putChunks(store: ObjectStore, bucket: string, key: string, chunks: Iterable<Buffer>): Promise<number> {
  let size = 0;
  function* counted(): Generator<Buffer> {
    for (const chunk of chunks) {
      size += chunk.length;
      yield chunk;
    }
  }
  if (store.putObjectStream) {
    await store.putObjectStream(bucket, key, counted());
  } else {
    await store.putObject(bucket, key, Buffer.concat([...counted()]));
  }
  return size;
}

/**
 * `[entry,entry,...]` for the children whose status matches, in child order. Entries are
 * newline-terminated in the log; runs of adjacent entries are read in one slice and their
 * newlines turned into commas (a newline byte never occurs inside compact JSON text), the last
 * one into the closing bracket. As JSON Lines, the slices are the file as they are.
 */
function* logChunks(run: MapRun, matches: (status: number) => boolean, lines: boolean): Generator<Buffer> {
  if (lines) {
    let start = -1;
    let end = -1;
    for (let index = 0; index < run.childCount; index++) {
      if (!matches(run.statusCode(index))) continue;
      const { offset, length } = run.logPosition(index);
      if (offset === end && end - start + length <= CHUNK_BYTES) {
        end += length;
        continue;
      }
      if (start >= 0) yield run.log.readBytes(start, end - start);
      start = offset;
      end = offset + length;
    }
    if (start >= 0) yield run.log.readBytes(start, end - start);
    return;
  }
  yield Buffer.from('[');
  let start = -1;
  let end = -1;
  let held: Buffer | undefined;
  const slice = (): Buffer => {
    const bytes = run.log.readBytes(start, end - start);
    for (let at = bytes.indexOf(NEWLINE); at >= 0; at = bytes.indexOf(NEWLINE, at + 1)) bytes[at] = COMMA;
    return bytes;
  };
  for (let index = 0; index < run.childCount; index++) {
    if (!matches(run.statusCode(index))) continue;
    const { offset, length } = run.logPosition(index);
    if (offset === end && end - start + length <= CHUNK_BYTES) {
      end += length;
      continue;
    }
    if (start >= 0) {
      if (held) yield held;
      held = slice();
    }
    start = offset;
    end = offset + length;
  }
  if (start >= 0) {
    if (held) yield held;
    held = slice();
  }
  if (held) {
    held[held.length - 1] = CLOSE_BRACKET;
    yield held;
  }
}

/**
 * The successful children's outputs in child order (COMPACT), or their members when an output is
 * an array (FLATTEN), as a JSON array or one value per line, in bounded slices. Each output is
 * read back from the child's entry in the log.
 */
function* outputChunks(run: MapRun, flatten: boolean, lines: boolean): Generator<Buffer> {
  const values = (function* (): Generator<string> {
    for (let index = 0; index < run.childCount; index++) {
      if (run.statusCode(index) !== SUCCEEDED) continue;
      const output = (JSON.parse(run.log.read(run.logPosition(index))) as { Output: string }).Output;
      if (!flatten) yield output;
      else if (output.startsWith('[')) {
        // One line per member as JSON Lines: the members are re-serialised one by one.
        if (lines) for (const member of JSON.parse(output) as Json[]) yield JSON.stringify(member);
        else if (output !== '[]') yield flattenOutput(output);
      } else yield output;
    }
  })();
  yield* joined(values, lines);
}

/** `[entry,...]` of PENDING entries, `{Input, InputDetails, Status}`, in bounded slices. */
function* pendingChunks(first: Json, rest: Iterator<Json>, lines: boolean): Generator<Buffer> {
  const entry = (input: Json): string =>
    JSON.stringify({ Input: JSON.stringify(input), InputDetails: { Included: true }, Status: 'PENDING' });
  const entries = (function* (): Generator<string> {
    yield entry(first);
    for (let next = rest.next(); !next.done; next = rest.next()) yield entry(next.value);
  })();
  yield* joined(entries, lines);
}

/** JSON texts as `[a,b,...]` or as newline-terminated lines, in slices of about CHUNK_BYTES. */
function* joined(texts: Iterable<string>, lines: boolean): Generator<Buffer> {
  let text = lines ? '' : '[';
  let first = true;
  for (const value of texts) {
    if (lines) text += `${value}\n`;
    else {
      text += first ? value : `,${value}`;
      first = false;
    }
    if (text.length >= CHUNK_BYTES) {
      yield Buffer.from(text, 'utf8');
      text = '';
    }
  }
  if (!lines) text += ']';
  if (text !== '') yield Buffer.from(text, 'utf8');
}
