import { describe, expect, it } from 'vitest';
import { runS3CopyExample } from '../../examples/s3-copy/run';
import { tempDir } from './helpers';

describe('the S3 folder copy example', () => {
  it('copies every object of every prefix, one job per prefix, on the local S3', async () => {
    const result = await runS3CopyExample({ dir: tempDir(), prefixes: 4, objects: 3 });
    expect(result).toMatchObject({ status: 'SUCCEEDED', prefixes: 4, objectsSeeded: 12, objectsVerified: 12 });
  });
});
