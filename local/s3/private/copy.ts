/** CopyObject: the copy source header, its conditions and the COPY/REPLACE metadata directive. */
import { copyFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkCopySourceConditions, checkWriteConditions } from './conditions';
import { S3Errors } from './errors';
import { describedRepresentation } from './representation';
import { sendXml } from './responses';
import { type Bucket, type ObjectMeta, type Storage, unlinkQuietly, wholeSeconds } from './storage';
import { el } from './xml';

export async function copyObject(
  req: IncomingMessage,
  res: ServerResponse,
  storage: Storage,
  bucket: Bucket,
  key: string,
  now: () => Date,
): Promise<void> {
  const source = parseCopySource(String(req.headers['x-amz-copy-source']));
  const sourceBucket = storage.get(source.bucket);
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
      lastModified: wholeSeconds(now()).getTime(),
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
