/**
 * The topic operations: CreateTopic, DeleteTopic, ListTopics, GetTopicAttributes,
 * SetTopicAttributes and ListSubscriptionsByTopic (always empty: there are no subscriptions).
 */
import { SnsErrors, SnsServiceError } from './errors';
import { el, entries, required } from './query-protocol';
import type { TopicStore } from './topic-store';

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

export async function createTopic(store: TopicStore, p: URLSearchParams): Promise<string> {
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
  const existing = store.get(name);
  if (existing) {
    // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: same name and
    // attributes returns the existing ARN; different attributes are an error.
    const differs = Object.entries(attributes).some(([k, v]) => existing.attributes[k] !== v);
    if (differs) throw SnsErrors.invalidParameter('Attributes Reason: Topic already exists with different attributes');
    return el('TopicArn', store.arn(name));
  }
  await store.add({ name, attributes, tags, sequence: 0 });
  return el('TopicArn', store.arn(name));
}

export async function deleteTopic(store: TopicStore, p: URLSearchParams): Promise<undefined> {
  const arn = required(p, 'TopicArn');
  try {
    await store.remove(store.topicOf(arn));
  } catch (err) {
    // Deleting a topic that does not exist succeeds, as in SNS.
    if (!(err instanceof SnsServiceError && err.code === 'NotFound')) throw err;
  }
  return undefined;
}

export function listTopics(store: TopicStore, p: URLSearchParams): string {
  const pageSize = 100;
  const names = store.names();
  const token = p.get('NextToken');
  let start = 0;
  if (token !== null) {
    start = Number(Buffer.from(token, 'base64').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw SnsErrors.invalidParameter('NextToken');
  }
  const page = names.slice(start, start + pageSize);
  const members = page.map((n) => `<member>${el('TopicArn', store.arn(n))}</member>`).join('');
  const next =
    start + pageSize < names.length ? el('NextToken', Buffer.from(String(start + pageSize)).toString('base64')) : '';
  return `<Topics>${members}</Topics>${next}`;
}

export function getTopicAttributes(store: TopicStore, p: URLSearchParams): string {
  const topic = store.topicOf(required(p, 'TopicArn'));
  const arn = store.arn(topic.name);
  const attributes: Record<string, string> = {
    TopicArn: arn,
    Owner: store.accountId,
    DisplayName: '',
    SubscriptionsConfirmed: '0',
    SubscriptionsPending: '0',
    SubscriptionsDeleted: '0',
    Policy: JSON.stringify(defaultPolicy(arn, store.accountId)),
    EffectiveDeliveryPolicy: JSON.stringify(DEFAULT_DELIVERY_POLICY),
    ...topic.attributes,
  };
  const xml = Object.entries(attributes)
    .map(([k, v]) => `<entry>${el('key', k)}${el('value', v)}</entry>`)
    .join('');
  return `<Attributes>${xml}</Attributes>`;
}

export async function setTopicAttributes(store: TopicStore, p: URLSearchParams): Promise<undefined> {
  const topic = store.topicOf(required(p, 'TopicArn'));
  const name = required(p, 'AttributeName');
  if (!SETTABLE_ATTRIBUTES.has(name) || name === 'FifoTopic') {
    throw SnsErrors.invalidParameter(`AttributeName`);
  }
  topic.attributes[name] = p.get('AttributeValue') ?? '';
  await store.save();
  return undefined;
}

export function listSubscriptionsByTopic(store: TopicStore, p: URLSearchParams): string {
  store.topicOf(required(p, 'TopicArn'));
  return '<Subscriptions/>';
}

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
