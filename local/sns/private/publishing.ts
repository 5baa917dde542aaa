/** Publish and PublishBatch: each message is validated, wrapped in its notification envelope and appended to its topic's file. */
import { createHash } from 'node:crypto';
import type { SnsNotification } from '../notification';
import { SnsErrors, SnsServiceError } from './errors';
import { el, required } from './query-protocol';
import type { Topic, TopicStore } from './topic-store';

/** What each published message is stamped with: its time and its id. */
export interface MessageStamps {
  readonly now: () => Date;
  readonly newMessageId: () => string;
}

const MAX_MESSAGE_BYTES = 256 * 1024;

export async function publish(store: TopicStore, stamps: MessageStamps, p: URLSearchParams): Promise<string> {
  const arn = p.get('TopicArn') ?? p.get('TargetArn');
  if (p.get('PhoneNumber') !== null)
    throw SnsErrors.invalidParameter('PhoneNumber Reason: SMS is not supported locally');
  if (arn === null) throw SnsErrors.invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
  const topic = store.topicOf(arn);
  const notification = buildNotification(store, stamps, topic, p);
  await store.appenderOf(topic).append(JSON.stringify(notification));
  return (
    el('MessageId', notification.MessageId) +
    (notification.SequenceNumber ? el('SequenceNumber', notification.SequenceNumber) : '')
  );
}

export async function publishBatch(store: TopicStore, stamps: MessageStamps, p: URLSearchParams): Promise<string> {
  const topic = store.topicOf(required(p, 'TopicArn'));
  const members: URLSearchParams[] = [];
  for (let i = 1; p.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
    const prefix = `PublishBatchRequestEntries.member.${i}.`;
    const entry = new URLSearchParams();
    for (const [k, v] of p) if (k.startsWith(prefix)) entry.set(k.slice(prefix.length), v);
    members.push(entry);
  }
  if (members.length === 0) throw SnsErrors.emptyBatchRequest();
  if (members.length > 10) throw SnsErrors.tooManyEntriesInBatchRequest();
  const ids = members.map((m) => m.get('Id')!);
  if (new Set(ids).size !== ids.length) throw SnsErrors.batchEntryIdsNotDistinct();
  const successful: string[] = [];
  const failed: string[] = [];
  const lines: string[] = [];
  for (const entry of members) {
    const id = entry.get('Id')!;
    try {
      const n = buildNotification(store, stamps, topic, entry);
      lines.push(JSON.stringify(n));
      successful.push(
        `<member>${el('Id', id)}${el('MessageId', n.MessageId)}${n.SequenceNumber ? el('SequenceNumber', n.SequenceNumber) : ''}</member>`,
      );
    } catch (err) {
      if (!(err instanceof SnsServiceError)) throw err;
      failed.push(
        `<member>${el('Id', id)}${el('Code', err.code)}${el('Message', err.message)}${el('SenderFault', 'true')}</member>`,
      );
    }
  }
  const appender = store.appenderOf(topic);
  await Promise.all(lines.map((l) => appender.append(l)));
  return `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`;
}

/** Validates one message's parameters and builds its notification envelope. */
function buildNotification(
  store: TopicStore,
  stamps: MessageStamps,
  topic: Topic,
  p: URLSearchParams,
): SnsNotification {
  const get = (name: string) => p.get(name);
  let message = get('Message');
  if (message === null || message === '') throw SnsErrors.invalidParameter('Empty message');
  const subject = get('Subject');
  const attributes = messageAttributes(p);
  const size = Buffer.byteLength(message) + attributesSize(attributes);
  if (size > MAX_MESSAGE_BYTES) throw SnsErrors.invalidParameter('Message too long');
  if (subject !== null) {
    // https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: ASCII, no line
    // breaks or control characters, starts with a letter, number or punctuation, < 100 chars.
    if (subject === '' || subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
      throw SnsErrors.invalidParameter('Subject');
    }
  }
  const structure = get('MessageStructure');
  if (structure !== null) {
    if (structure !== 'json') throw SnsErrors.invalidParameter('MessageStructure');
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw SnsErrors.invalidParameter('Message Structure - JSON message body failed to parse');
    }
    const entry = (parsed as Record<string, unknown> | null)?.default;
    if (typeof entry !== 'string')
      throw SnsErrors.invalidParameter('Message Structure - No default entry in JSON message body');
    message = entry;
  }
  const fifo = topic.attributes.FifoTopic === 'true';
  const groupId = get('MessageGroupId');
  let dedupId = get('MessageDeduplicationId');
  if (fifo) {
    if (groupId === null) throw SnsErrors.invalidParameter('The MessageGroupId parameter is required for FIFO topics');
    if (dedupId === null) {
      if (topic.attributes.ContentBasedDeduplication !== 'true') {
        throw SnsErrors.invalidParameter(
          'The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      dedupId = createHash('sha256').update(message).digest('hex');
    }
  } else if (dedupId !== null) {
    throw SnsErrors.invalidParameter(
      'MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
    );
  }
  return {
    Type: 'Notification',
    MessageId: stamps.newMessageId(),
    TopicArn: store.arn(topic.name),
    ...(subject !== null ? { Subject: subject } : {}),
    Message: message,
    Timestamp: stamps.now().toISOString(),
    ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
    ...(fifo
      ? {
          MessageGroupId: groupId!,
          MessageDeduplicationId: dedupId!,
          SequenceNumber: String(++topic.sequence).padStart(20, '0'),
        }
      : groupId !== null
        ? { MessageGroupId: groupId }
        : {}),
  };
}

/**
 * `MessageAttributes.entry.N.{Name, Value.DataType, Value.StringValue, Value.BinaryValue}`
 * as notification attributes (`{ Type, Value }`; binary values stay base64).
 */
function messageAttributes(p: URLSearchParams): Record<string, { Type: string; Value: string }> {
  const out: Record<string, { Type: string; Value: string }> = {};
  for (let i = 1; p.has(`MessageAttributes.entry.${i}.Name`); i++) {
    const base = `MessageAttributes.entry.${i}`;
    const name = p.get(`${base}.Name`)!;
    const type = p.get(`${base}.Value.DataType`);
    if (type === null || !/^(String|Number|Binary|String\.Array)(\.[A-Za-z0-9_.-]+)?$/.test(type)) {
      throw SnsErrors.invalidParameterValue(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const binary = type.startsWith('Binary');
    const value = p.get(`${base}.Value.${binary ? 'BinaryValue' : 'StringValue'}`);
    if (value === null || value === '') {
      throw SnsErrors.invalidParameterValue(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
      );
    }
    if (type.startsWith('Number') && !Number.isFinite(Number(value))) {
      throw SnsErrors.invalidParameterValue(`Could not cast message attribute '${name}' value to number.`);
    }
    out[name] = { Type: type, Value: value };
  }
  return out;
}

function attributesSize(attributes: Record<string, { Type: string; Value: string }>): number {
  let n = 0;
  for (const [name, a] of Object.entries(attributes))
    n += Buffer.byteLength(name) + a.Type.length + Buffer.byteLength(a.Value);
  return n;
}
