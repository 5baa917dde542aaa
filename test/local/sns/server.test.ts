import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  paginateListTopics,
  SetTopicAttributesCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortInUseError, type SnsNotification, type SnsServer, startSnsServer } from '../../../local/sns';

const NOW = new Date('2026-01-02T03:04:05.678Z');

let dir: string;
let server: SnsServer;
let sns: SNSClient;
let ids: number;

async function start(): Promise<void> {
  server = await startSnsServer({
    dir,
    region: 'eu-west-1',
    accountId: '123456789012',
    now: () => NOW,
    newMessageId: () => `msg-${++ids}`,
  });
  sns = new SNSClient({
    endpoint: server.url,
    region: 'eu-west-1',
    credentials: server.credentials,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'local-sns-'));
  ids = 0;
  await start();
});

afterEach(async () => {
  sns.destroy();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function lines(topic: string): Promise<SnsNotification[]> {
  const text = await readFile(join(dir, `${topic}.jsonl`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SnsNotification);
}

describe('topics', () => {
  it('creates a topic and returns its ARN, the same ARN when created again', async () => {
    const first = await sns.send(new CreateTopicCommand({ Name: 'notices' }));
    expect(first.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:notices');
    const again = await sns.send(new CreateTopicCommand({ Name: 'notices' }));
    expect(again.TopicArn).toBe(first.TopicArn);
    expect((await sns.send(new ListTopicsCommand({}))).Topics).toEqual([{ TopicArn: first.TopicArn }]);
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html (names: letters, digits, - and _, up to 256)
  it('rejects a topic name with characters SNS does not allow', async () => {
    await expect(sns.send(new CreateTopicCommand({ Name: 'bad name!' }))).rejects.toThrow(InvalidParameterException);
  });

  it('rejects creating an existing topic with different attributes', async () => {
    await sns.send(new CreateTopicCommand({ Name: 't', Attributes: { DisplayName: 'one' } }));
    await expect(sns.send(new CreateTopicCommand({ Name: 't', Attributes: { DisplayName: 'two' } }))).rejects.toThrow(
      'Topic already exists with different attributes',
    );
  });

  it('pages ListTopics 100 at a time', async () => {
    await Promise.all(Array.from({ length: 150 }, (_, i) => sns.send(new CreateTopicCommand({ Name: `t${i}` }))));
    const pages: number[] = [];
    for await (const page of paginateListTopics({ client: sns }, {})) pages.push(page.Topics?.length ?? 0);
    expect(pages).toEqual([100, 50]);
  });

  it('returns topic attributes including owner, ARN and those set', async () => {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'attrs', Attributes: { DisplayName: 'Fanout' } }),
    );
    await sns.send(
      new SetTopicAttributesCommand({ TopicArn, AttributeName: 'DisplayName', AttributeValue: 'Renamed' }),
    );
    const out = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
    expect(out.Attributes).toMatchObject({
      TopicArn,
      Owner: '123456789012',
      DisplayName: 'Renamed',
      SubscriptionsConfirmed: '0',
    });
    expect(JSON.parse(out.Attributes!.Policy!)).toMatchObject({ Version: '2008-10-17' });
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html (NotFound, 404)
  it('raises NotFound for an unknown topic', async () => {
    const TopicArn = 'arn:aws:sns:eu-west-1:123456789012:missing';
    const err = await sns.send(new GetTopicAttributesCommand({ TopicArn })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundException);
    expect((err as NotFoundException).message).toBe('Topic does not exist');
    expect((err as NotFoundException).$metadata.httpStatusCode).toBe(404);
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'x' }))).rejects.toThrow(NotFoundException);
  });

  it('deletes a topic and its message file', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'gone' }));
    await sns.send(new DeleteTopicCommand({ TopicArn }));
    expect((await sns.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
    await expect(readFile(join(dir, 'gone.jsonl'))).rejects.toThrow('ENOENT');
  });

  it('keeps topics across a restart on the same directory', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'durable' }));
    await sns.send(new PublishCommand({ TopicArn, Message: 'before' }));
    sns.destroy();
    await server.close();
    await start();
    await sns.send(new PublishCommand({ TopicArn, Message: 'after' }));
    expect((await lines('durable')).map((l) => l.Message)).toEqual(['before', 'after']);
  });
});

describe('Publish', () => {
  let TopicArn: string;
  beforeEach(async () => {
    TopicArn = (await sns.send(new CreateTopicCommand({ Name: 'notices' }))).TopicArn!;
  });

  it('appends the message as a notification line and returns its MessageId', async () => {
    const out = await sns.send(
      new PublishCommand({
        TopicArn,
        Subject: 'Run finished',
        Message: 'run r1: 10 succeeded\nline two',
        MessageAttributes: {
          runId: { DataType: 'String', StringValue: 'r1' },
          failed: { DataType: 'Number', StringValue: '0' },
          blob: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
        },
      }),
    );
    expect(out.MessageId).toBe('msg-1');
    expect(await lines('notices')).toEqual([
      {
        Type: 'Notification',
        MessageId: 'msg-1',
        TopicArn,
        Subject: 'Run finished',
        Message: 'run r1: 10 succeeded\nline two',
        Timestamp: '2026-01-02T03:04:05.678Z',
        MessageAttributes: {
          runId: { Type: 'String', Value: 'r1' },
          failed: { Type: 'Number', Value: '0' },
          blob: { Type: 'Binary', Value: Buffer.from([1, 2, 3]).toString('base64') },
        },
      },
    ]);
  });

  it('keeps every concurrently published message, one line each', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => sns.send(new PublishCommand({ TopicArn, Message: `m${i}` }))),
    );
    const got = (await lines('notices')).map((l) => l.Message).sort();
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`).sort());
  });

  it('rejects an empty message', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn, Message: '' }))).rejects.toThrow(
      'Invalid parameter: Empty message',
    );
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: ASCII, no line breaks, < 100 characters)
  it('rejects a subject with a line break or of 100 characters', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'm', Subject: 'a\nb' }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'm', Subject: 's'.repeat(100) }))).rejects.toThrow(
      'Invalid parameter: Subject',
    );
  });

  // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (messages up to 256 KB)
  it('rejects a message over 256 KiB', async () => {
    await expect(sns.send(new PublishCommand({ TopicArn, Message: 'x'.repeat(256 * 1024 + 1) }))).rejects.toThrow(
      'Invalid parameter: Message too long',
    );
  });

  it('stores the default entry of a json-structured message', async () => {
    await sns.send(
      new PublishCommand({
        TopicArn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'plain', email: 'e' }),
      }),
    );
    expect((await lines('notices'))[0]?.Message).toBe('plain');
  });

  it('publishes a batch and reports each entry', async () => {
    const out = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'first' },
          { Id: 'b', Message: '' },
        ],
      }),
    );
    expect(out.Successful?.map((s) => s.Id)).toEqual(['a']);
    expect(out.Failed?.map((f) => [f.Id, f.Code])).toEqual([['b', 'InvalidParameter']]);
    expect((await lines('notices')).map((l) => l.Message)).toEqual(['first']);
  });

  it('requires a MessageGroupId on a FIFO topic and numbers messages', async () => {
    const fifo = await sns.send(
      new CreateTopicCommand({
        Name: 'ordered.fifo',
        Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    await expect(sns.send(new PublishCommand({ TopicArn: fifo.TopicArn, Message: 'm' }))).rejects.toThrow(
      'MessageGroupId parameter is required for FIFO topics',
    );
    const out = await sns.send(new PublishCommand({ TopicArn: fifo.TopicArn, Message: 'm', MessageGroupId: 'g' }));
    expect(out.SequenceNumber).toBe('00000000000000000001');
  });
});

describe('startSnsServer', () => {
  it('rejects a port already in use with PortInUseError naming the port', async () => {
    const second = startSnsServer({ dir, port: server.port });
    await expect(second).rejects.toThrow(PortInUseError);
    await expect(second).rejects.toThrow(`startSnsServer: port ${server.port} on 127.0.0.1 is already in use`);
  });
});
