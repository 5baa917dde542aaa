/** ListObjects and ListObjectsV2: pages of keys and common prefixes in UTF-8 order, from the bucket's key index. */
import type { ServerResponse } from 'node:http';
import { S3Errors } from './errors';
import { encodeKeyForUrl, ownerXml, sendXml } from './responses';
import type { Bucket, ObjectMeta } from './storage';
import { el } from './xml';

export async function listObjects(res: ServerResponse, bucket: Bucket, q: URLSearchParams): Promise<void> {
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

/** A continuation token: the last key or common prefix of the page, so the next page resumes after it. */
function encodeToken(last: { after: string; isPrefix: boolean }): string {
  return Buffer.from(`${last.isPrefix ? 'p' : 'k'}:${last.after}`, 'utf8').toString('base64');
}

function decodeToken(token: string): { after: string; isPrefix: boolean } | undefined {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!/^[kp]:/s.test(text) || Buffer.from(text, 'utf8').toString('base64') !== token) return undefined;
  return { after: text.slice(2), isPrefix: text.startsWith('p') };
}
