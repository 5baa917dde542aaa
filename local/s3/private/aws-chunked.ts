import { Transform, type TransformCallback } from 'node:stream';
import { S3Errors } from './errors';

/**
 * Decodes an `aws-chunked` request body (SigV4 streaming uploads and the unsigned
 * trailer variant the SDKs use for flexible checksums):
 *
 *   <hex-size>[;chunk-signature=...]\r\n<data>\r\n ... 0[;chunk-signature=...]\r\n
 *   [<trailer-name>:<value>\r\n ...]\r\n
 *
 * Chunk signatures are not verified. Trailing headers (e.g. `x-amz-checksum-crc32`)
 * are collected in `trailers` once the stream has ended.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers = new Map<string, string>();
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private line = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.consume(chunk);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    // A missing blank line after the last trailer is tolerated; anything earlier is a cut body.
    if (this.state === 'trailer' && this.line.length > 0) this.addTrailer(this.line.toString('latin1'));
    if (this.state !== 'done' && this.state !== 'trailer') {
      done(S3Errors.incompleteBody());
      return;
    }
    done();
  }

  private consume(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - pos);
        this.push(chunk.subarray(pos, pos + take));
        pos += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      if (this.state === 'done') return;
      const nl = chunk.indexOf(0x0a, pos);
      if (nl < 0) {
        this.line = Buffer.concat([this.line, chunk.subarray(pos)]);
        if (this.line.length > 64 * 1024) throw S3Errors.invalidRequest('aws-chunked: chunk header line too long');
        return;
      }
      let line = Buffer.concat([this.line, chunk.subarray(pos, nl)]).toString('latin1');
      this.line = Buffer.alloc(0);
      pos = nl + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    switch (this.state) {
      case 'data-end':
        if (line !== '') throw S3Errors.invalidRequest('aws-chunked: chunk data is longer than its declared size');
        this.state = 'size';
        return;
      case 'size': {
        const hex = line.split(';', 1)[0]!.trim();
        if (!/^[0-9a-fA-F]+$/.test(hex)) {
          throw S3Errors.invalidRequest(`aws-chunked: invalid chunk size line ${JSON.stringify(line.slice(0, 80))}`);
        }
        this.remaining = parseInt(hex, 16);
        this.state = this.remaining === 0 ? 'trailer' : 'data';
        return;
      }
      case 'trailer':
        if (line === '') this.state = 'done';
        else this.addTrailer(line);
        return;
      default:
        return;
    }
  }

  private addTrailer(line: string): void {
    const colon = line.indexOf(':');
    if (colon > 0) this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
}
