#!/usr/bin/env node
import { parseArgs } from 'node:util';
// One job of the S3 folder copy: copies every object under s3://BUCKET/FROM to
// s3://BUCKET/TO, keeping the part of the key after FROM. Idempotent: copying
// again overwrites with the same bytes, so a retry is always safe.
import { CopyObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

const { values } = parseArgs({
  options: { bucket: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
});
const { bucket, from, to } = values;
if (!bucket || !from || !to || !from.endsWith('/') || !to.endsWith('/')) {
  console.error(`usage: copy-prefix --bucket B --from PREFIX/ --to PREFIX/ (got ${JSON.stringify(values)})`);
  process.exit(2);
}

// A custom endpoint (the local cloud, or any S3-compatible store) is addressed path-style.
const s3 = new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL) });
let copied = 0;
let token;
do {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: from, ContinuationToken: token }));
  for (const object of page.Contents ?? []) {
    const target = to + object.Key.slice(from.length);
    await s3.send(
      new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${encodeURIComponent(object.Key)}` }),
    );
    copied++;
  }
  token = page.NextContinuationToken;
} while (token);
console.log(JSON.stringify({ from, to, copied }));
