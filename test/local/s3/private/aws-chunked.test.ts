import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AwsChunkedDecoder } from '../../../../local/s3/private/aws-chunked';

async function decode(parts: string[]): Promise<{ body: string; trailers: Map<string, string> }> {
  const decoder = new AwsChunkedDecoder();
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(parts.map((p) => Buffer.from(p))).pipe(decoder)) out.push(chunk as Buffer);
  return { body: Buffer.concat(out).toString(), trailers: decoder.trailers };
}

describe('AwsChunkedDecoder', () => {
  it('decodes signed chunks split at arbitrary points', async () => {
    const sig = `chunk-signature=${'ab'.repeat(32)}`;
    const wire = `5;${sig}\r\nhello\r\n6;${sig}\r\n world\r\n0;${sig}\r\n\r\n`;
    const parts = wire.match(/[\s\S]{1,7}/g)!;
    expect((await decode(parts)).body).toBe('hello world');
  });

  it('collects trailing checksum headers', async () => {
    const { body, trailers } = await decode(['3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n']);
    expect(body).toBe('abc');
    expect(trailers.get('x-amz-checksum-crc32')).toBe('NSRBwg==');
  });

  it('rejects a body cut inside a chunk with IncompleteBody', async () => {
    await expect(decode(['a\r\nabc'])).rejects.toMatchObject({ code: 'IncompleteBody' });
  });

  it('rejects a malformed chunk size line', async () => {
    await expect(decode(['zz\r\nabc\r\n'])).rejects.toMatchObject({ code: 'InvalidRequest' });
  });
});
