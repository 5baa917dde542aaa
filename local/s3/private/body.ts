import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsChunkedDecoder } from './aws-chunked';
import { type ChecksumAlgorithm, checksumHeaderName, createChecksum, parseChecksumAlgorithm } from './checksum';
import { S3Errors } from './errors';

/** The largest XML request body accepted. */
const SMALL_BODY_LIMIT = 2 * 1024 * 1024;

/** What was received and verified of a request body written to disk. */
interface ReceivedBody {
  size: number;
  md5: Buffer;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** True when the body is `aws-chunked` (SigV4 streaming or unsigned trailer uploads). */
function isAwsChunked(req: IncomingMessage): boolean {
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  const encoding = header(req, 'content-encoding') ?? '';
  return sha.startsWith('STREAMING-') || encoding.split(',').some((e) => e.trim() === 'aws-chunked');
}

/** The checksum algorithm the request carries a value for, in a header or announced as a trailer. */
function requestedChecksum(
  req: IncomingMessage,
): { algorithm: ChecksumAlgorithm; value?: string | undefined } | undefined {
  const trailer = header(req, 'x-amz-trailer');
  if (trailer) {
    const algorithm = parseChecksumAlgorithm(trailer.trim().replace(/^x-amz-checksum-/i, ''));
    if (!algorithm)
      throw S3Errors.invalidRequest(`The value specified in the x-amz-trailer header is not supported: ${trailer}`);
    return { algorithm };
  }
  const declared = header(req, 'x-amz-sdk-checksum-algorithm');
  for (const name of Object.keys(req.headers)) {
    if (!name.startsWith('x-amz-checksum-') || name === 'x-amz-checksum-type' || name === 'x-amz-checksum-algorithm')
      continue;
    const algorithm = parseChecksumAlgorithm(name.slice('x-amz-checksum-'.length));
    if (!algorithm) continue;
    if (declared && parseChecksumAlgorithm(declared) !== algorithm) {
      throw S3Errors.invalidRequest(
        `Value for x-amz-sdk-checksum-algorithm header is invalid: expected ${algorithm}, received ${declared}`,
      );
    }
    return { algorithm, value: header(req, name) };
  }
  return undefined;
}

/**
 * Streams a request body to `path`, decoding aws-chunked framing and verifying
 * Content-MD5, x-amz-content-sha256 (when it is a digest), x-amz-checksum-* (header or
 * trailer) and the declared length, each with the error S3 returns.
 */
export async function receiveBody(req: IncomingMessage, path: string): Promise<ReceivedBody> {
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) throw S3Errors.invalidDigest();
  const contentSha = header(req, 'x-amz-content-sha256');
  const verifySha = contentSha !== undefined && /^[0-9a-f]{64}$/i.test(contentSha);
  const requested = requestedChecksum(req);

  const md5 = createHash('md5');
  const sha256 = verifySha ? createHash('sha256') : undefined;
  const checksum = requested ? createChecksum(requested.algorithm) : undefined;
  let size = 0;

  const chunked = isAwsChunked(req);
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  const source: Readable = decoder ? req.pipe(decoder) : req;
  if (decoder) req.once('error', (e) => decoder.destroy(e));
  await pipeline(
    source,
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        md5.update(chunk);
        sha256?.update(chunk);
        checksum?.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(path),
  );

  const declaredLength = chunked ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length');
  if (declaredLength !== undefined && Number(declaredLength) !== size) throw S3Errors.incompleteBody();
  const md5Digest = md5.digest();
  if (contentMd5 !== undefined && md5Digest.toString('base64') !== contentMd5) throw S3Errors.badDigest();
  if (sha256) {
    const computed = sha256.digest('hex');
    if (computed !== contentSha!.toLowerCase()) throw S3Errors.sha256Mismatch(contentSha!, computed);
  }
  let verified: ReceivedBody['checksum'];
  if (requested && checksum) {
    const expected = requested.value ?? decoder?.trailers.get(checksumHeaderName(requested.algorithm));
    if (expected === undefined) {
      throw S3Errors.invalidRequest(`The ${requested.algorithm} checksum announced in x-amz-trailer was not sent`);
    }
    const actual = checksum.digestBase64();
    if (actual !== expected) throw S3Errors.badChecksum(requested.algorithm);
    verified = { algorithm: requested.algorithm, value: actual };
  }
  return { size, md5: md5Digest, ...(verified ? { checksum: verified } : {}) };
}

/** Reads a small request body (an XML document) into a string, refusing more than {@link SMALL_BODY_LIMIT} bytes. */
export async function readSmallBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  const source: AsyncIterable<Buffer> = isAwsChunked(req) ? req.pipe(new AwsChunkedDecoder()) : req;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > SMALL_BODY_LIMIT) throw S3Errors.malformedXml();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
