/** The service and bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation, GetBucketVersioning. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readSmallBody } from './body';
import { ownerXml, sendXml } from './responses';
import { type Storage, wholeSeconds } from './storage';
import { el } from './xml';

export function listBuckets(res: ServerResponse, storage: Storage, region: string): void {
  const buckets = storage
    .list()
    .map(
      (b) =>
        `<Bucket>${el('Name', b.name)}${el('CreationDate', b.creationDate.toISOString())}${el('BucketRegion', region)}</Bucket>`,
    )
    .join('');
  sendXml(res, 'ListAllMyBucketsResult', `${ownerXml()}<Buckets>${buckets}</Buckets>`);
}

export async function createBucket(
  req: IncomingMessage,
  res: ServerResponse,
  storage: Storage,
  name: string,
  now: () => Date,
): Promise<void> {
  // The body, if any, is a CreateBucketConfiguration whose location constraint a single-region endpoint ignores.
  await readSmallBody(req);
  await storage.create(name, wholeSeconds(now()));
  res.setHeader('Location', `/${name}`);
  res.setHeader('Content-Length', 0);
  res.end();
}

export function headBucket(res: ServerResponse, storage: Storage, name: string, region: string): void {
  storage.get(name);
  res.setHeader('x-amz-bucket-region', region);
  res.setHeader('Content-Length', 0);
  res.end();
}

export async function deleteBucket(res: ServerResponse, storage: Storage, name: string): Promise<void> {
  await storage.delete(name);
  res.statusCode = 204;
  res.end();
}

export function getBucketLocation(res: ServerResponse, storage: Storage, name: string, region: string): void {
  storage.get(name);
  // us-east-1 is reported as an empty constraint, as S3 does.
  const body = region === 'us-east-1' ? '' : region;
  sendXml(res, 'LocationConstraint', body.replace(/[<&]/g, ''));
}

export function getBucketVersioning(res: ServerResponse, storage: Storage, name: string): void {
  storage.get(name);
  sendXml(res, 'VersioningConfiguration', '');
}
