/**
 * Checks AWS Signature Version 4 the way an AWS endpoint does, for the local cloud's
 * endpoints (docs/threat-model.md). Source: "Create a signed AWS API request" and
 * "Elements of an AWS API request signature" in the IAM user guide
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html), and the S3
 * variants in "Authenticating Requests (AWS Signature Version 4)"
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html).
 *
 * Plain JavaScript, so that dynalite's child process (local/dynamodb-server.mjs) uses it too.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isPresignedV2, verifyPresignedV2 } from './s3-sigv2.mjs';

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** A signed request is accepted up to 15 minutes either side of its X-Amz-Date, as AWS does. */
const CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may live: 7 days. */
const MAX_PRESIGNED_SECONDS = 7 * 24 * 60 * 60;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * A fresh key pair for one local cloud. The access key id looks like an AWS one (20
 * upper-case letters and digits) but starts with `LOCAL`, so it is never mistaken for a
 * real key; the secret has 240 random bits.
 * @returns {{ accessKeyId: string, secretAccessKey: string }}
 */
export function generateLocalCredentials() {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const id = [...randomBytes(15)].map((byte) => alphabet[byte % 32]).join('');
  return { accessKeyId: `LOCAL${id}`, secretAccessKey: randomBytes(30).toString('base64') };
}

/** SHA-256 of `data` in lower-case hex, as SigV4 hashes payloads and canonical requests. */
export function sha256Hex(data) {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * RFC 3986 percent-encoding with only the unreserved characters left alone, as SigV4
 * encodes URI paths and query strings.
 * @param {string} text
 */
function uriEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Decodes a percent-encoded component; a malformed escape is kept as it was sent. */
function uriDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The canonical URI. S3 signs the path as sent; every other service normalizes it (no
 * empty, `.` or `..` segments) and encodes it once more, since the path on the wire is
 * already encoded.
 */
function canonicalPath(rawPath, service) {
  if (service === 's3') return rawPath === '' ? '/' : rawPath;
  const segments = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && rawPath.endsWith('/') ? '/' : '';
  return uriEncode(`/${segments.join('/')}${trailing}`).replace(/%2F/g, '/');
}

/** The canonical query string: each name and value encoded, sorted by name then value. */
function canonicalQuery(pairs) {
  return pairs
    .map(([name, value]) => [uriEncode(name), uriEncode(value)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

function queryPairs(rawQuery) {
  const pairs = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = equals === -1 ? part : part.slice(0, equals);
    const value = equals === -1 ? '' : part.slice(equals + 1);
    pairs.push([uriDecode(name), uriDecode(value)]);
  }
  return pairs;
}

/** A header's canonical value: every value it was sent with, trimmed, inner runs of spaces collapsed, joined by commas. */
function canonicalHeaderValue(request, name) {
  const values = request.headersDistinct?.[name] ?? [];
  return values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',');
}

function hmac(key, data) {
  return createHmac('sha256', key).update(data).digest();
}

function parseAmzDate(text) {
  const match = AMZ_DATE.exec(text ?? '');
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match;
  const time = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isNaN(time) ? undefined : time;
}

/**
 * The signature's parts, from the Authorization header or, for a presigned URL, the query.
 * @returns {{ parts: { credential: string, signedHeaders: string, signature: string, amzDate: string | undefined, expires: number | undefined, presigned: boolean }, pairs: Array<[string, string]> } | { refusal: Refusal }}
 */
function signatureParts(request, rawQuery) {
  const pairs = queryPairs(rawQuery);
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    if (!authorization.startsWith(`${ALGORITHM} `)) {
      return malformed(`Authorization header must use ${ALGORITHM} (received "${authorization.split(' ')[0]}")`);
    }
    const fields = {};
    for (const field of authorization.slice(ALGORITHM.length + 1).split(',')) {
      const equals = field.indexOf('=');
      if (equals > 0) fields[field.slice(0, equals).trim()] = field.slice(equals + 1).trim();
    }
    for (const name of ['Credential', 'SignedHeaders', 'Signature']) {
      if (!fields[name]) return malformed(`Authorization header requires '${name}' parameter.`);
    }
    const amzDate = request.headers['x-amz-date'];
    return {
      pairs,
      parts: {
        credential: fields.Credential,
        signedHeaders: fields.SignedHeaders,
        signature: fields.Signature,
        amzDate: typeof amzDate === 'string' ? amzDate : undefined,
        expires: undefined,
        presigned: false,
      },
    };
  }
  const query = new Map(pairs);
  if (!query.has('X-Amz-Algorithm')) return { refusal: { kind: 'missing', detail: 'the request is not signed' } };
  if (query.get('X-Amz-Algorithm') !== ALGORITHM) {
    return malformed(`X-Amz-Algorithm must be ${ALGORITHM} (received "${query.get('X-Amz-Algorithm')}")`);
  }
  for (const name of ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-Expires']) {
    if (!query.get(name)) return malformed(`a presigned request requires the ${name} parameter`);
  }
  const expires = Number(query.get('X-Amz-Expires'));
  if (!Number.isInteger(expires) || expires < 1 || expires > MAX_PRESIGNED_SECONDS) {
    return malformed(`X-Amz-Expires must be a whole number of seconds from 1 to ${MAX_PRESIGNED_SECONDS}`);
  }
  return {
    pairs: pairs.filter(([name]) => name !== 'X-Amz-Signature'),
    parts: {
      credential: query.get('X-Amz-Credential'),
      signedHeaders: query.get('X-Amz-SignedHeaders'),
      signature: query.get('X-Amz-Signature'),
      amzDate: query.get('X-Amz-Date'),
      expires,
      presigned: true,
    },
  };
}

/**
 * @typedef {{ kind: 'missing' | 'malformed' | 'unknown-key' | 'mismatch' | 'expired' | 'link-expired', detail: string, canonicalRequest?: string, stringToSign?: string }} Refusal
 */

/** @returns {{ refusal: Refusal }} */
function malformed(detail) {
  return { refusal: { kind: 'malformed', detail } };
}

/**
 * Verifies a request's SigV4 signature against the one key pair this endpoint accepts.
 *
 * @param {import('node:http').IncomingMessage} request
 * @param {{
 *   credentials?: { accessKeyId: string, secretAccessKey: string },
 *   secretFor?: (accessKeyId: string) => string | undefined,
 *   service: string,
 *   payloadHash: string | undefined,
 *   now: number,
 * }} check the key pairs accepted: `credentials`, or every key `secretFor` knows the secret of;
 *   `service` is the signing name (`dynamodb`, `states`, `batch`, `sns`, `s3`);
 *   `payloadHash` is the SHA-256 of the body as received, or undefined when the body is
 *   left in the stream (S3, which signs `x-amz-content-sha256` instead).
 * @returns {Refusal | undefined} why the request is refused, or undefined when it is signed with the key pair
 */
export function verifySignature(request, { credentials, secretFor: lookup, service, payloadHash, now }) {
  const secretFor =
    lookup ?? ((accessKeyId) => (accessKeyId === credentials?.accessKeyId ? credentials.secretAccessKey : undefined));
  const url = request.url ?? '/';
  const question = url.indexOf('?');
  const rawPath = question === -1 ? url : url.slice(0, question);
  const rawQuery = question === -1 ? '' : url.slice(question + 1);
  if (service === 's3' && request.headers.authorization === undefined) {
    const pairs = queryPairs(rawQuery);
    if (isPresignedV2(pairs)) return verifyPresignedV2(request, { rawPath, pairs, secretFor, now });
  }
  const found = signatureParts(request, rawQuery);
  if ('refusal' in found) return found.refusal;
  const { parts, pairs } = found;

  const scope = parts.credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    return {
      kind: 'malformed',
      detail: `Credential must have the form <key id>/<date>/<region>/<service>/aws4_request (received "${parts.credential}")`,
    };
  }
  const [accessKeyId, scopeDate, region, scopeService] = scope;
  const secretAccessKey = secretFor(accessKeyId);
  if (secretAccessKey === undefined) {
    return { kind: 'unknown-key', detail: `access key id "${accessKeyId}" is not this local cloud's` };
  }
  const signedAt = parseAmzDate(parts.amzDate);
  if (signedAt === undefined) {
    return { kind: 'malformed', detail: 'the request needs an X-Amz-Date in the form YYYYMMDDTHHMMSSZ' };
  }
  if (!parts.amzDate.startsWith(scopeDate)) {
    return {
      kind: 'malformed',
      detail: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${parts.amzDate.slice(0, 8)}'`,
    };
  }
  if (scopeService !== service) {
    return { kind: 'malformed', detail: `Credential should be scoped to correct service: '${service}'.` };
  }
  const signedHeaders = parts.signedHeaders.split(';');
  if (!signedHeaders.includes('host')) {
    return { kind: 'malformed', detail: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization." };
  }
  if (parts.presigned) {
    if (now > signedAt + parts.expires * 1000) return { kind: 'link-expired', detail: 'Request has expired' };
    if (signedAt - now > CLOCK_SKEW_MS) return { kind: 'link-expired', detail: 'Request is not yet valid' };
  } else if (Math.abs(now - signedAt) > CLOCK_SKEW_MS) {
    return {
      kind: 'expired',
      detail: `Signature expired: ${parts.amzDate} is more than 15 minutes away from the current time ${new Date(now).toISOString()}`,
    };
  }

  const headerHash = request.headers['x-amz-content-sha256'];
  let signedPayload;
  if (typeof headerHash === 'string') {
    // A hash the client claims must be the body's, where the body has been read.
    if (payloadHash !== undefined && /^[0-9a-f]{64}$/.test(headerHash) && headerHash !== payloadHash) {
      return { kind: 'mismatch', detail: 'the x-amz-content-sha256 header does not match the body' };
    }
    signedPayload = headerHash;
  } else if (payloadHash !== undefined) {
    signedPayload = payloadHash;
  } else if (parts.presigned) {
    signedPayload = 'UNSIGNED-PAYLOAD';
  } else {
    return { kind: 'malformed', detail: 'Missing required header for this request: x-amz-content-sha256' };
  }

  const canonicalRequest = [
    request.method ?? 'GET',
    canonicalPath(rawPath, service),
    canonicalQuery(pairs),
    signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request, name)}\n`).join(''),
    parts.signedHeaders,
    signedPayload,
  ].join('\n');
  const credentialScope = `${scopeDate}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, parts.amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, scopeDate);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = hmac(key, stringToSign);
  const received = Buffer.from(/^[0-9a-f]{64}$/.test(parts.signature) ? parts.signature : '', 'hex');
  if (received.length === expected.length && timingSafeEqual(received, expected)) return undefined;
  return {
    kind: 'mismatch',
    detail: 'the signature does not match the request signed with this local cloud’s secret key',
    canonicalRequest,
    stringToSign,
  };
}

/**
 * The access key id a request says it is signed with (Authorization header, or a presigned
 * URL's query), or undefined. Meaningful once {@link verifySignature} accepted the request.
 * @param {import('node:http').IncomingMessage} request
 * @returns {string | undefined}
 */
export function signingKeyId(request) {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) return /Credential=([^/,\s]+)/.exec(authorization)?.[1];
  const url = request.url ?? '/';
  const query = new Map(queryPairs(url.includes('?') ? url.slice(url.indexOf('?') + 1) : ''));
  return query.get('X-Amz-Credential')?.split('/')[0] ?? query.get('AWSAccessKeyId');
}
