/**
 * What a request to a local endpoint asks IAM for: the actions and the resources they act on,
 * from the service authorization reference (https://docs.aws.amazon.com/service-authorization/latest/reference/):
 * "Actions, resources, and condition keys for Amazon DynamoDB / Amazon S3 / Amazon SNS /
 * AWS Batch / AWS Step Functions".
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../../iam';

export interface RequiredPermission {
  readonly action: string;
  readonly resource: string;
  readonly context?: RequestContext;
}

export interface AccountScope {
  readonly region: string;
  readonly account: string;
}

function json(body: Buffer | undefined): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body?.toString('utf8') || '{}');
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** DynamoDB (JSON 1.0): the operation from X-Amz-Target, each table (and index) it names. */
export function dynamodbPermissions(
  request: IncomingMessage,
  body: Buffer | undefined,
  scope: AccountScope,
): RequiredPermission[] {
  const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  const action = `dynamodb:${operation}`;
  const input = json(body);
  const table = (name: string) =>
    name.startsWith('arn:') ? name : `arn:aws:dynamodb:${scope.region}:${scope.account}:table/${name}`;
  if (typeof input.TableName === 'string') {
    const arn = table(input.TableName);
    return [{ action, resource: typeof input.IndexName === 'string' ? `${arn}/index/${input.IndexName}` : arn }];
  }
  if (input.RequestItems && typeof input.RequestItems === 'object') {
    return Object.keys(input.RequestItems).map((name) => ({ action, resource: table(name) }));
  }
  if (Array.isArray(input.TransactItems)) {
    return (input.TransactItems as Array<Record<string, { TableName?: string }>>).flatMap((item) =>
      Object.entries(item).map(([kind, call]) => ({
        action: `dynamodb:${kind === 'ConditionCheck' ? 'ConditionCheckItem' : `${kind}Item`}`,
        resource: table(call.TableName ?? ''),
      })),
    );
  }
  return [{ action, resource: '*' }];
}

/** S3 (REST-XML): the operation from the method, path and sub-resource; the bucket or object it acts on. */
export function s3Permissions(request: IncomingMessage): RequiredPermission[] {
  const url = new URL(request.url ?? '/', 'http://local');
  const host = String(request.headers.host ?? '').replace(/:\d+$/, '');
  const virtualBucket = host.endsWith('.localhost') ? host.slice(0, -'.localhost'.length) : undefined;
  const segments = url.pathname.split('/').slice(1);
  const bucket = virtualBucket ?? decodeURIComponent(segments.shift() ?? '');
  const key = (virtualBucket ? url.pathname.slice(1) : segments.join('/')).split('/').map(decodeURIComponent).join('/');
  const method = request.method ?? 'GET';
  const q = url.searchParams;
  if (!bucket) return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
  const bucketArn = `arn:aws:s3:::${bucket}`;
  if (!key) {
    const listContext = { 's3:prefix': q.get('prefix') ?? '', 's3:delimiter': q.get('delimiter') ?? '' };
    if (method === 'PUT') return [{ action: 's3:CreateBucket', resource: bucketArn }];
    if (method === 'DELETE') return [{ action: 's3:DeleteBucket', resource: bucketArn }];
    // DeleteObjects names its keys in the body, which stays in the stream: every key of the bucket.
    if (method === 'POST' && q.has('delete')) return [{ action: 's3:DeleteObject', resource: `${bucketArn}/*` }];
    if (q.has('location')) return [{ action: 's3:GetBucketLocation', resource: bucketArn }];
    if (q.has('versioning')) return [{ action: 's3:GetBucketVersioning', resource: bucketArn }];
    if (q.has('uploads')) return [{ action: 's3:ListBucketMultipartUploads', resource: bucketArn }];
    return [{ action: 's3:ListBucket', resource: bucketArn, context: listContext }];
  }
  const objectArn = `${bucketArn}/${key}`;
  if (method === 'GET' || method === 'HEAD') {
    return [{ action: q.has('uploadId') ? 's3:ListMultipartUploadParts' : 's3:GetObject', resource: objectArn }];
  }
  if (method === 'DELETE') {
    return [{ action: q.has('uploadId') ? 's3:AbortMultipartUpload' : 's3:DeleteObject', resource: objectArn }];
  }
  const copySource = request.headers['x-amz-copy-source'];
  const source =
    typeof copySource === 'string'
      ? [
          {
            action: 's3:GetObject',
            resource: `arn:aws:s3:::${decodeURIComponent(copySource.replace(/^\//, '').split('?')[0] ?? '')}`,
          },
        ]
      : [];
  return [...source, { action: 's3:PutObject', resource: objectArn }];
}

/** SNS (query protocol): the Action parameter, on the topic it names. */
export function snsPermissions(
  request: IncomingMessage,
  body: Buffer | undefined,
  scope: AccountScope,
): RequiredPermission[] {
  const params = new URLSearchParams(body?.toString('utf8') ?? '');
  for (const [name, value] of new URL(request.url ?? '/', 'http://local').searchParams)
    if (!params.has(name)) params.set(name, value);
  const action = `sns:${params.get('Action') ?? ''}`;
  const topic =
    params.get('TopicArn') ??
    params.get('TargetArn') ??
    (params.get('Name') ? `arn:aws:sns:${scope.region}:${scope.account}:${params.get('Name')}` : undefined) ??
    params.get('ResourceArn');
  return [{ action, resource: topic ?? '*' }];
}

/** Batch's operations by route (`POST /v1/<operation in lower case>`). */
const BATCH_OPERATIONS = [
  'SubmitJob',
  'DescribeJobs',
  'ListJobs',
  'TerminateJob',
  'CancelJob',
  'DescribeJobQueues',
  'DescribeJobDefinitions',
  'DescribeComputeEnvironments',
  'DescribeSchedulingPolicies',
  'ListSchedulingPolicies',
  'CreateComputeEnvironment',
  'UpdateComputeEnvironment',
  'DeleteComputeEnvironment',
  'CreateJobQueue',
  'UpdateJobQueue',
  'DeleteJobQueue',
  'CreateSchedulingPolicy',
  'UpdateSchedulingPolicy',
  'DeleteSchedulingPolicy',
  'RegisterJobDefinition',
  'DeregisterJobDefinition',
  'TagResource',
  'UntagResource',
  'ListTagsForResource',
];
const BATCH_BY_ROUTE = new Map(BATCH_OPERATIONS.map((name) => [`/v1/${name.toLowerCase()}`, name]));

/** Batch (REST-JSON): SubmitJob on its job queue and job definition, Terminate/CancelJob on the job, the rest on `*`. */
export function batchPermissions(
  request: IncomingMessage,
  body: Buffer | undefined,
  scope: AccountScope,
): RequiredPermission[] {
  const route = (request.url ?? '/').split('?')[0]?.toLowerCase() ?? '';
  const operation = BATCH_BY_ROUTE.get(route) ?? route.replace('/v1/', '');
  const action = `batch:${operation}`;
  const input = json(body);
  const arn = (kind: string, name: string) =>
    name.startsWith('arn:') ? name : `arn:aws:batch:${scope.region}:${scope.account}:${kind}/${name}`;
  if (operation === 'SubmitJob') {
    const definition = String(input.jobDefinition ?? '');
    // A definition named without its revision runs its latest: revision 1 in a rehearsal.
    const withRevision = definition.startsWith('arn:') || /:\d+$/.test(definition) ? definition : `${definition}:1`;
    return [
      { action, resource: arn('job-queue', String(input.jobQueue ?? '')) },
      { action, resource: arn('job-definition', withRevision) },
    ];
  }
  if (operation === 'TerminateJob' || operation === 'CancelJob') {
    return [{ action, resource: arn('job', String(input.jobId ?? '')) }];
  }
  return [{ action, resource: '*' }];
}

/** Step Functions (JSON 1.0): the operation from X-Amz-Target, on the state machine or execution it names. */
export function statesPermissions(request: IncomingMessage, body: Buffer | undefined): RequiredPermission[] {
  const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
  const input = json(body);
  const resource = input.executionArn ?? input.stateMachineArn ?? input.mapRunArn ?? '*';
  return [{ action: `states:${operation}`, resource: String(resource) }];
}
