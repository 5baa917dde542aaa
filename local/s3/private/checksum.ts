import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/** The additional checksum algorithms S3 accepts (`x-amz-checksum-<algorithm>`). */
const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** An incremental checksum whose result is base64, as S3 headers carry it. */
interface Checksum {
  update(chunk: Buffer): void;
  digestBase64(): string;
}

export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === upper);
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'CRC32':
      return new Crc32();
    case 'CRC32C':
      return new Crc32c();
    case 'CRC64NVME':
      return new Crc64Nvme();
    case 'SHA1':
      return new HashChecksum(createHash('sha1'));
    case 'SHA256':
      return new HashChecksum(createHash('sha256'));
  }
}

class HashChecksum implements Checksum {
  constructor(private readonly hash: Hash) {}
  update(chunk: Buffer): void {
    this.hash.update(chunk);
  }
  digestBase64(): string {
    return this.hash.digest('base64');
  }
}

function uint32Base64(value: number): string {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value >>> 0);
  return out.toString('base64');
}

class Crc32 implements Checksum {
  private value = 0;
  update(chunk: Buffer): void {
    this.value = crc32(chunk, this.value);
  }
  digestBase64(): string {
    return uint32Base64(this.value);
  }
}

// Castagnoli polynomial, reflected.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

class Crc32c implements Checksum {
  private value = 0xffffffff;
  update(chunk: Buffer): void {
    let c = this.value;
    for (let i = 0; i < chunk.length; i++) c = CRC32C_TABLE[(c ^ chunk[i]!) & 0xff]! ^ (c >>> 8);
    this.value = c;
  }
  digestBase64(): string {
    return uint32Base64(this.value ^ 0xffffffff);
  }
}

// CRC-64/NVME (reflected polynomial 0x9a6c9329ac4bc9b5) kept as two 32-bit halves so
// the inner loop stays on small integers instead of BigInt.
const CRC64_TABLE_HI = new Uint32Array(256);
const CRC64_TABLE_LO = new Uint32Array(256);
(() => {
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    CRC64_TABLE_HI[i] = Number(c >> 32n);
    CRC64_TABLE_LO[i] = Number(c & 0xffffffffn);
  }
})();

class Crc64Nvme implements Checksum {
  private hi = 0xffffffff;
  private lo = 0xffffffff;
  update(chunk: Buffer): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < chunk.length; i++) {
      const idx = (lo ^ chunk[i]!) & 0xff;
      lo = (((lo >>> 8) | ((hi & 0xff) << 24)) ^ CRC64_TABLE_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_TABLE_HI[idx]!) >>> 0;
    }
    this.hi = hi;
    this.lo = lo;
  }
  digestBase64(): string {
    const out = Buffer.alloc(8);
    out.writeUInt32BE((this.hi ^ 0xffffffff) >>> 0, 0);
    out.writeUInt32BE((this.lo ^ 0xffffffff) >>> 0, 4);
    return out.toString('base64');
  }
}
