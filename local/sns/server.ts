import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { LineAppender } from '../private/line-appender';
import { type PortInUseError, serveOnLoopback } from '../private/loopback';
import { SnsErrors, SnsServiceError } from './errors';

/** Options of {@link startSnsServer}. */
export interface SnsServerOptions {
  /** Directory for `topics.json` and one `<topicName>.jsonl` per topic; created if missing. */
  readonly dir: string;
  /** TCP port on 127.0.0.1; @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Region in topic ARNs; @default 'us-east-1' */
  readonly region?: string;
  /** Account id in topic ARNs; @default '000000000000' */
  readonly accountId?: string;
  /** Clock for message timestamps; @default () => new Date() */
  readonly now?: () => Date;
  /** Message id source; @default crypto.randomUUID */
  readonly newMessageId?: () => string;
}

/** A running local SNS endpoint. */
export interface SnsServer {
  /** Endpoint for `new SNSClient({ endpoint })`, e.g. `http://127.0.0.1:45124`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests and waits for pending message appends. */
  close(): Promise<void>;
}

/**
 * One published message as a line of `<topicName>.jsonl`: the JSON envelope SNS
 * delivers to SQS and HTTP subscribers (without signature fields).
 */
export interface SnsNotification {
  Type: 'Notification';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
  SequenceNumber?: string;
}

interface Topic {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  sequence: number;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const MAX_MESSAGE_BYTES = 256 * 1024;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_TOPIC_NAME = /^[A-Za-z0-9_-]{1,251}\.fifo$/;
const SETTABLE_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'FifoTopic',
  'ContentBasedDeduplication',
  'ArchivePolicy',
  'FifoThroughputScope',
  'DataProtectionPolicy',
]);

/**
 * Starts a minimal SNS endpoint (AWS query protocol, which `@aws-sdk/client-sns` uses)
 * on 127.0.0.1. Topics persist in `dir/topics.json`; each Publish appends one JSON line
 * to `dir/<topicName>.jsonl`. Signatures are not verified; there are no subscriptions.
 * Rejects with {@link PortInUseError} when `port` is taken.
 *
 * @example
 * const sns = await startSnsServer({ dir: '.fanout/sns', accountId: '123456789012' });
 * const client = new SNSClient({ endpoint: sns.url, region: 'us-east-1',
 *   credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
 */
export async function startSnsServer(options: SnsServerOptions): Promise<SnsServer> {
  await mkdir(options.dir, { recursive: true });
  const api = new SnsApi(
    options.dir,
    options.region ?? 'us-east-1',
    options.accountId ?? '000000000000',
    options.now ?? (() => new Date()),
    options.newMessageId ?? randomUUID,
  );
  await api.load();
  const server = createServer((req, res) => void api.handle(req, res));
  return serveOnLoopback(server, { port: options.port ?? 0, caller: 'startSnsServer', afterClose: () => api.close() });
}

class SnsApi {
  private readonly topics = new Map<string, Topic>();
  private readonly appenders = new Map<string, LineAppender>();
  private saving: Promise<void> = Promise.resolve();
  private nextSave: Promise<void> | undefined;
  private requestCounter = 0;

  constructor(
    private readonly dir: string,
    private readonly region: string,
    private readonly accountId: string,
    private readonly now: () => Date,
    private readonly newMessageId: () => string,
  ) {}

  async load(): Promise<void> {
    let saved: Topic[] = [];
    try {
      saved = JSON.parse(await readFile(join(this.dir, 'topics.json'), 'utf8')) as Topic[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    for (const t of saved) this.topics.set(t.name, t);
  }

  async close(): Promise<void> {
    await this.saving;
    await Promise.all([...this.appenders.values()].map((a) => a.close()));
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = requestIdFrom(++this.requestCounter);
    res.setHeader('x-amzn-RequestId', requestId);
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      // Query parameters in the URL are valid for the query protocol as well (GET requests).
      for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
      const action = params.get('Action');
      if (!action) throw SnsErrors.missingAction();
      const result = await this.dispatch(action, params);
      const body =
        `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}">` +
        (result === undefined ? '' : `<${action}Result>${result}</${action}Result>`) +
        `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
      send(res, 200, body);
    } catch (err) {
      const error = err instanceof SnsServiceError ? err : SnsErrors.internal();
      if (!(err instanceof SnsServiceError)) console.error('local SNS: internal error', err);
      const body =
        `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error>${el('Type', error.type)}` +
        `${el('Code', error.code)}${el('Message', error.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
      send(res, error.httpStatus, body);
    }
  }

  private dispatch(action: string, p: URLSearchParams): Promise<string | undefined> | string | undefined {
    switch (action) {
      case 'CreateTopic':
        return this.createTopic(p);
      case 'DeleteTopic':
        return this.deleteTopic(p);
      case 'ListTopics':
        return this.listTopics(p);
      case 'GetTopicAttributes':
        return this.getTopicAttributes(p);
      case 'SetTopicAttributes':
        return this.setTopicAttributes(p);
      case 'Publish':
        return this.publish(p);
      case 'PublishBatch':
        return this.publishBatch(p);
      case 'ListSubscriptionsByTopic':
        this.topicOf(required(p, 'TopicArn'));
        return '<Subscriptions/>';
      default:
        throw SnsErrors.invalidAction(action);
    }
  }

  // ---- topics --------------------------------------------------------------------

  private arn(name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
  }

  private topicOf(arn: string): Topic {
    const prefix = `arn:aws:sns:${this.region}:${this.accountId}:`;
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(arn))
      throw SnsErrors.invalidParameter('TopicArn');
    const topic = arn.startsWith(prefix) ? this.topics.get(arn.slice(prefix.length)) : undefined;
    if (!topic) throw SnsErrors.topicNotFound();
    return topic;
  }

  private async createTopic(p: URLSearchParams): Promise<string> {
    const name = required(p, 'Name');
    const attributes = entries(p, 'Attributes.entry', 'key', 'value');
    const tags = entries(p, 'Tags.member', 'Key', 'Value');
    for (const key of Object.keys(attributes)) {
      if (!SETTABLE_ATTRIBUTES.has(key)) throw SnsErrors.invalidParameter(`AttributeName ${key}`);
    }
    const fifo = attributes.FifoTopic === 'true';
    if (fifo ? !FIFO_TOPIC_NAME.test(name) : !TOPIC_NAME.test(name)) {
      throw SnsErrors.invalidParameter(
        fifo
          ? 'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.'
          : 'Topic Name',
      );
    }
    const existing = this.topics.get(name);
    if (existing) {
      // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: same name and
      // attributes returns the existing ARN; different attributes are an error.
      const differs = Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v);
      if (differs)
        throw SnsErrors.invalidParameter('Attributes Reason: Topic already exists with different attributes');
      return el('TopicArn', this.arn(name));
    }
    this.topics.set(name, { name, attributes, tags, sequence: 0 });
    await this.save();
    await writeFile(join(this.dir, `${name}.jsonl`), '', { flag: 'a' });
    return el('TopicArn', this.arn(name));
  }

  private async deleteTopic(p: URLSearchParams): Promise<undefined> {
    const arn = required(p, 'TopicArn');
    try {
      const topic = this.topicOf(arn);
      this.topics.delete(topic.name);
      await this.appenders.get(topic.name)?.close();
      this.appenders.delete(topic.name);
      await this.save();
      await rm(join(this.dir, `${topic.name}.jsonl`), { force: true });
    } catch (err) {
      // Deleting a topic that does not exist succeeds, as in SNS.
      if (!(err instanceof SnsServiceError && err.code === 'NotFound')) throw err;
    }
    return undefined;
  }

  private listTopics(p: URLSearchParams): string {
    const pageSize = 100;
    const names = [...this.topics.keys()];
    const token = p.get('NextToken');
    let start = 0;
    if (token !== null) {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw SnsErrors.invalidParameter('NextToken');
    }
    const page = names.slice(start, start + pageSize);
    const members = page.map((n) => `<member>${el('TopicArn', this.arn(n))}</member>`).join('');
    const next =
      start + pageSize < names.length ? el('NextToken', Buffer.from(String(start + pageSize)).toString('base64')) : '';
    return `<Topics>${members}</Topics>${next}`;
  }

  private getTopicAttributes(p: URLSearchParams): string {
    const topic = this.topicOf(required(p, 'TopicArn'));
    const arn = this.arn(topic.name);
    const attributes: Record<string, string> = {
      TopicArn: arn,
      Owner: this.accountId,
      DisplayName: '',
      SubscriptionsConfirmed: '0',
      SubscriptionsPending: '0',
      SubscriptionsDeleted: '0',
      Policy: JSON.stringify(defaultPolicy(arn, this.accountId)),
      EffectiveDeliveryPolicy: JSON.stringify(DEFAULT_DELIVERY_POLICY),
      ...topic.attributes,
    };
    const xml = Object.entries(attributes)
      .map(([k, v]) => `<entry>${el('key', k)}${el('value', v)}</entry>`)
      .join('');
    return `<Attributes>${xml}</Attributes>`;
  }

  private async setTopicAttributes(p: URLSearchParams): Promise<undefined> {
    const topic = this.topicOf(required(p, 'TopicArn'));
    const name = required(p, 'AttributeName');
    if (!SETTABLE_ATTRIBUTES.has(name) || name === 'FifoTopic') {
      throw SnsErrors.invalidParameter(`AttributeName`);
    }
    topic.attributes[name] = p.get('AttributeValue') ?? '';
    await this.save();
    return undefined;
  }

  /**
   * Rewrites topics.json atomically. Saves run one at a time; requests arriving while
   * one runs share the next save, which writes the state as of its start.
   */
  private save(): Promise<void> {
    if (this.nextSave) return this.nextSave;
    const path = join(this.dir, 'topics.json');
    const next = this.saving.then(async () => {
      this.nextSave = undefined;
      await writeFile(`${path}.tmp`, `${JSON.stringify([...this.topics.values()], null, 2)}\n`);
      await rename(`${path}.tmp`, path);
    });
    this.nextSave = next;
    this.saving = next.catch(() => undefined);
    return next;
  }

  // ---- publishing ----------------------------------------------------------------

  private async publish(p: URLSearchParams): Promise<string> {
    const arn = p.get('TopicArn') ?? p.get('TargetArn');
    if (p.get('PhoneNumber') !== null)
      throw SnsErrors.invalidParameter('PhoneNumber Reason: SMS is not supported locally');
    if (arn === null) throw SnsErrors.invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    const topic = this.topicOf(arn);
    const notification = this.notification(topic, p);
    await this.appenderOf(topic).append(JSON.stringify(notification));
    return (
      el('MessageId', notification.MessageId) +
      (notification.SequenceNumber ? el('SequenceNumber', notification.SequenceNumber) : '')
    );
  }

  private async publishBatch(p: URLSearchParams): Promise<string> {
    const topic = this.topicOf(required(p, 'TopicArn'));
    const members: URLSearchParams[] = [];
    for (let i = 1; p.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
      const prefix = `PublishBatchRequestEntries.member.${i}.`;
      const entry = new URLSearchParams();
      for (const [k, v] of p) if (k.startsWith(prefix)) entry.set(k.slice(prefix.length), v);
      members.push(entry);
    }
    if (members.length === 0) {
      throw new SnsServiceError('EmptyBatchRequest', "The batch request doesn't contain any entries.", 400);
    }
    if (members.length > 10) {
      throw new SnsServiceError(
        'TooManyEntriesInBatchRequest',
        'The batch request contains more entries than permissible.',
        400,
      );
    }
    const ids = members.map((m) => m.get('Id')!);
    if (new Set(ids).size !== ids.length) {
      throw new SnsServiceError(
        'BatchEntryIdsNotDistinct',
        'Two or more batch entries in the request have the same Id.',
        400,
      );
    }
    const successful: string[] = [];
    const failed: string[] = [];
    const lines: string[] = [];
    for (const entry of members) {
      const id = entry.get('Id')!;
      try {
        const n = this.notification(topic, entry);
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
    const appender = this.appenderOf(topic);
    await Promise.all(lines.map((l) => appender.append(l)));
    return `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`;
  }

  /** Validates one message's parameters and builds its notification envelope. */
  private notification(topic: Topic, p: URLSearchParams): SnsNotification {
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
      if (groupId === null)
        throw SnsErrors.invalidParameter('The MessageGroupId parameter is required for FIFO topics');
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
      MessageId: this.newMessageId(),
      TopicArn: this.arn(topic.name),
      ...(subject !== null ? { Subject: subject } : {}),
      Message: message,
      Timestamp: this.now().toISOString(),
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

  private appenderOf(topic: Topic): LineAppender {
    let appender = this.appenders.get(topic.name);
    if (!appender) {
      appender = new LineAppender(join(this.dir, `${topic.name}.jsonl`));
      this.appenders.set(topic.name, appender);
    }
    return appender;
  }
}

// ---- helpers -----------------------------------------------------------------------

const DEFAULT_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 20,
      maxDelayTarget: 20,
      numRetries: 3,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'linear',
    },
    disableSubscriptionOverrides: false,
    defaultRequestPolicy: { headerContentType: 'text/plain; charset=UTF-8' },
  },
};

function defaultPolicy(arn: string, accountId: string) {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  };
}

function required(p: URLSearchParams, name: string): string {
  const v = p.get(name);
  if (v === null) throw SnsErrors.invalidParameter(`${name} Reason: no value for required parameter`);
  return v;
}

/** Reads a query-protocol map (`<prefix>.N.<keyName>` / `<prefix>.N.<valueName>`). */
function entries(p: URLSearchParams, prefix: string, keyName: string, valueName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; p.has(`${prefix}.${i}.${keyName}`); i++) {
    out[p.get(`${prefix}.${i}.${keyName}`)!] = p.get(`${prefix}.${i}.${valueName}`) ?? '';
  }
  return out;
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

function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r\n\t]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function el(tag: string, text: string): string {
  return `<${tag}>${escapeXml(text)}</${tag}>`;
}

function send(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** A request id shaped like SNS's (a UUID), derived from a counter: unique without randomness. */
function requestIdFrom(n: number): string {
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
