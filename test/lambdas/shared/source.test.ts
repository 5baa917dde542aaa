import { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { FanoutInputError } from '../../../lambdas/shared/errors';
import { ItemCollector, itemSourceOf, parseExecutionInput } from '../../../lambdas/shared/input';
import { readSourceItems } from '../../../lambdas/shared/source';

const s3Mock = mockClient(S3Client);

/** An object body delivered in the given chunks, as S3 streams it. */
function body(...chunks: Array<string | number[]>) {
  return Readable.from(chunks.map((chunk) => Buffer.from(chunk as string))) as never;
}

async function readItems(uri: string) {
  const source = itemSourceOf(parseExecutionInput({ source: uri }));
  if (source.kind !== 's3') throw new TypeError(`not an S3 source: ${uri}`);
  const collector = new ItemCollector({
    runId: 'run',
    round: 1,
    jobQueue: 'fanout-high',
    jobDefinition: 'fanout-job:1',
    command: ['true'],
    environment: {},
    jobTimeout: {},
    idempotent: true,
  });
  await readSourceItems(new S3Client({ region: 'us-east-1' }), source, collector);
  return collector.finish('source');
}

async function refusal(uri: string): Promise<FanoutInputError> {
  const error = await readItems(uri).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FanoutInputError);
  return error as FanoutInputError;
}

afterEach(() => {
  s3Mock.reset();
});

describe('readSourceItems', () => {
  it('splits .jsonl lines as readline does, across chunks and CR LF pairs cut by a chunk', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"n":1}\r', '\n{"n":', '2}\r{"n":3}\n\n{"n":"é', '"}') });
    const items = await readItems('s3://inputs/items.jsonl');
    expect(items.map((item) => item.kwargsJson)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":"é"}']);
  });

  it('names the line of a bad .jsonl entry, counting lines across chunks', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"n":1}\r', '\n\n{"n":\n') });
    expect((await refusal('s3://inputs/items.jsonl')).message).toContain('source line 3: is not valid JSON');
  });

  it('refuses a .jsonl object that is not UTF-8 with the byte offset in the object', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"n":1}\n{"n":"', [0xc3], [0x28, 0x22, 0x7d]) });
    const error = await refusal('s3://inputs/items.jsonl');
    expect(error.issues).toEqual([
      { path: 'source s3://inputs/items.jsonl', message: expect.stringContaining('at byte offset 14 are not UTF-8') },
    ]);
  });

  it('refuses a .json object that is not UTF-8 with the byte offset and the bytes', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('[{"n":"', [0xff], '"}]') });
    const error = await refusal('s3://inputs/items.json');
    expect(error.issues).toEqual([
      {
        path: 'source s3://inputs/items.json',
        message: expect.stringContaining('at byte offset 7 are not UTF-8'),
        received: '"0xFF 0x22 0x7D 0x5D"',
      },
    ]);
  });

  it('refuses an object of a prefix that is not UTF-8, naming the object', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'p/a.json' }, { Key: 'p/b.json' }] });
    s3Mock.on(GetObjectCommand, { Key: 'p/a.json' }).resolves({ Body: body('{"n":1}') });
    s3Mock.on(GetObjectCommand, { Key: 'p/b.json' }).resolves({ Body: body('{"n":"', [0xed, 0xa0, 0x80], '"}') });
    const error = await refusal('s3://inputs/p/');
    expect(error.issues[0]?.path).toBe('source s3://inputs/p/b.json');
    expect(error.issues[0]?.message).toContain('byte offset 6');
  });

  it('refuses an entry nested deeper than 32 levels, naming its line and kwarg', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body(`{"n":1}\n{"x":${'['.repeat(5000)}${']'.repeat(5000)}}\n`) });
    const error = await refusal('s3://inputs/items.jsonl');
    expect(error.issues.map((issue) => issue.path)).toEqual(['source line 2.x']);
    expect(error.message).toContain('must nest arrays and objects at most 32 levels deep');
  });
});
