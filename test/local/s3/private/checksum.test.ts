import { describe, expect, it } from 'vitest';
import { type ChecksumAlgorithm, createChecksum } from '../../../../local/s3/private/checksum';

// Check values of "123456789" from the CRC catalogue (CRC-32/ISO-HDLC, CRC-32/ISCSI, CRC-64/NVME).
describe('createChecksum', () => {
  it.each<[ChecksumAlgorithm, string]>([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
  ])('computes %s of "123456789" across split chunks', (algorithm, hex) => {
    const checksum = createChecksum(algorithm);
    checksum.update(Buffer.from('1234'));
    checksum.update(Buffer.from('56789'));
    expect(checksum.digestBase64()).toBe(Buffer.from(hex, 'hex').toString('base64'));
  });
});
