import { Duration, FeatureFlags, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';
import { ledgerTableDefinition } from '../../run';
import type { FanoutOrchestratorProps } from '../fanout-orchestrator-props';
import { asIBucket } from './cdk-interfaces';

/** Where runs keep their state: the DynamoDB ledger, the data bucket and the notices topic. */

/** Prefix of every object a run writes (manifests, retry manifests, ResultWriter output): `runs/<runId>/...`. */
export const RUN_OBJECTS_PREFIX = 'runs/';

/** Prefix the jobs themselves may read and write, for their outputs (`results/...`; docs/job-image.md). */
export const JOB_OUTPUTS_PREFIX = 'results/';

/** The ledger exactly as `ledgerTableDefinition` describes it, which the local cloud creates too. */
export function createLedger(
  scope: Construct,
  tableName: string,
  ttlAttribute: string,
  removalPolicy: RemovalPolicy,
): dynamodb.Table {
  const definition = ledgerTableDefinition(tableName);
  const attributeType = (name: string): dynamodb.AttributeType => {
    const type: string | undefined = definition.AttributeDefinitions.find(
      (attribute) => attribute.AttributeName === name,
    )?.AttributeType;
    return type === 'N'
      ? dynamodb.AttributeType.NUMBER
      : type === 'B'
        ? dynamodb.AttributeType.BINARY
        : dynamodb.AttributeType.STRING;
  };
  const keyOf = (schema: readonly { AttributeName: string; KeyType: string }[], keyType: 'HASH' | 'RANGE') => {
    const name = schema.find((key) => key.KeyType === keyType)?.AttributeName;
    return name === undefined ? undefined : { name, type: attributeType(name) };
  };
  const partitionKey = keyOf(definition.KeySchema, 'HASH') as dynamodb.Attribute;
  const sortKey = keyOf(definition.KeySchema, 'RANGE');
  const table = new dynamodb.Table(scope, 'Ledger', {
    tableName,
    partitionKey,
    ...(sortKey ? { sortKey } : {}),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    timeToLiveAttribute: ttlAttribute,
    removalPolicy,
  });
  for (const index of definition.GlobalSecondaryIndexes) {
    const indexSortKey = keyOf(index.KeySchema, 'RANGE');
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName,
      partitionKey: keyOf(index.KeySchema, 'HASH') as dynamodb.Attribute,
      ...(indexSortKey ? { sortKey: indexSortKey } : {}),
      projectionType: dynamodb.ProjectionType.ALL,
    });
  }
  return table;
}

/** The data bucket (manifests and Map results under `runs/`), logging its access to a bucket of its own. */
export function createDataBucket(
  scope: Construct,
  props: Pick<FanoutOrchestratorProps, 'bucketName' | 'dataExpiration'>,
  removalPolicy: RemovalPolicy,
): s3.Bucket {
  // S3 delivers access logs under a bucket policy when the app enables that feature flag (the
  // fanout app does), else through the log-delivery ACL, which needs ACLs enabled.
  const logsByPolicy = FeatureFlags.of(scope).isEnabled(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY) === true;
  const accessLogs = new s3.Bucket(scope, 'AccessLogs', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: logsByPolicy
      ? s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
      : s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
    removalPolicy,
  });
  return new s3.Bucket(scope, 'Data', {
    ...(props.bucketName ? { bucketName: props.bucketName } : {}),
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    // SSE-S3: Step Functions' ItemReader and ResultWriter and the handlers need no key grants.
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: asIBucket(accessLogs),
    serverAccessLogsPrefix: 'data/',
    lifecycleRules: [
      { id: 'expire-run-objects', prefix: RUN_OBJECTS_PREFIX, expiration: props.dataExpiration ?? Duration.days(90) },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
    removalPolicy,
  });
}

/** The notices topic, encrypted with a key of its own that CloudWatch alarms may publish with. */
export function createNoticesTopic(scope: Construct, topicName: string, emails: readonly string[]): sns.Topic {
  const noticesKey = new kms.Key(scope, 'NoticesKey', {
    description: 'Encrypts the fanout notices topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.DESTROY,
    pendingWindow: Duration.days(7),
  });
  // CloudWatch alarms publish to an encrypted topic only if the key lets them
  // (docs: sns/latest/dg/sns-key-management.html, "AWS service event sources").
  noticesKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  const topic = new sns.Topic(scope, 'Notices', {
    topicName,
    displayName: 'fanout run summaries',
    masterKey: noticesKey,
    enforceSSL: true,
  });
  for (const email of emails) topic.addSubscription(new subscriptions.EmailSubscription(email));
  return topic;
}
