/**
 * The engine's ObjectStore over S3 (ItemReader, ResultWriter on the local cloud). Apart from
 * object-store.ts so that the engine alone, running a definition that reads and writes no S3
 * object, never loads the S3 client.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { StatesError } from './errors';
import type { ObjectStore } from './object-store';

/** Part size of the multipart uploads `putObjectStream` makes (S3's minimum is 5 MiB). */
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;

/**
 * An ObjectStore over a real (or local) S3 endpoint.
 * @example s3ObjectStore(new S3Client({ endpoint: 'http://127.0.0.1:4569', forcePathStyle: true }))
 */
export function s3ObjectStore(client: S3Client): ObjectStore {
  const rethrow = (error: unknown): never => {
    const name = (error as { name?: string }).name ?? 'Unknown';
    throw new StatesError(`S3.${name}`, (error as Error).message ?? String(error));
  };
  return {
    async getObject(bucket, key) {
      try {
        const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = await response.Body?.transformToByteArray();
        return Buffer.from(bytes ?? new Uint8Array());
      } catch (error) {
        return rethrow(error);
      }
    },
    async listObjectsV2(bucket, prefix, continuationToken) {
      try {
        const response = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix || undefined,
            ContinuationToken: continuationToken,
          }),
        );
        return {
          keys: (response.Contents ?? []).map((object) => ({
            key: object.Key ?? '',
            size: object.Size ?? 0,
            lastModified: object.LastModified?.getTime() ?? 0,
            etag: object.ETag ?? '""',
            storageClass: object.StorageClass,
          })),
          nextToken: response.IsTruncated ? response.NextContinuationToken : undefined,
        };
      } catch (error) {
        return rethrow(error);
      }
    },
    async putObject(bucket, key, body) {
      try {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
        );
      } catch (error) {
        rethrow(error);
      }
    },
    async putObjectStream(bucket, key, chunks) {
      // One PutObject when everything fits in a part, else a multipart upload holding one part at a time.
      let part: Uint8Array[] = [];
      let partBytes = 0;
      let uploadId: string | undefined;
      const parts: { ETag: string; PartNumber: number }[] = [];
      const uploadPart = async (): Promise<void> => {
        const body = Buffer.concat(part);
        part = [];
        partBytes = 0;
        uploadId ??= (
          await client.send(
            new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/json' }),
          )
        ).UploadId;
        const PartNumber = parts.length + 1;
        const response = await client.send(
          new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body }),
        );
        parts.push({ ETag: response.ETag ?? '', PartNumber });
      };
      try {
        for await (const chunk of chunks) {
          part.push(chunk);
          partBytes += chunk.length;
          if (partBytes >= UPLOAD_PART_BYTES) await uploadPart();
        }
        if (uploadId === undefined) {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: Buffer.concat(part),
              ContentType: 'application/json',
            }),
          );
          return;
        }
        if (partBytes > 0) await uploadPart();
        await client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      } catch (error) {
        if (uploadId !== undefined)
          await client
            .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
            .catch(() => undefined);
        if (error instanceof StatesError) throw error;
        rethrow(error);
      }
    },
  };
}
