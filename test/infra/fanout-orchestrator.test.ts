import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FAILED_ITEMS_INDEX, ledgerTableDefinition } from '../../lambdas/shared';
import { onlyResource, orchestratorStack, roleActions, roleStatements } from './helpers';

// Synthesizing a stack takes seconds on a shared machine; nothing here measures time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** `arn:<partition>:<service>:<region>:<account>:<resource>` as CDK renders it for an environment-agnostic stack. */
const arn = (service: string, resource: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`]],
});

describe('FanoutOrchestrator with its defaults', () => {
  // One synthesized stack for every read-only assertion below.
  let template: Template;
  let mapRole: string;
  beforeAll(() => {
    template = orchestratorStack().template();
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-map' });
    mapRole = machine.RoleArn['Fn::GetAtt'][0];
  });

  it('lets the map state machine run Batch jobs with .sync, including TerminateJob', () => {
    // docs: step-functions/latest/dg/batch-iam.html (Run a Job .sync)
    const statements = roleStatements(template, mapRole);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'batch:SubmitJob',
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/Queuefanouthigh/), 'JobQueueArn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/Queuefanoutlow/), 'JobQueueArn'] },
          arn('batch', 'job-definition/fanout-job:*'),
        ],
      }),
    );
    expect(statements).toContainEqual({ Action: 'batch:DescribeJobs', Effect: 'Allow', Resource: '*' });
    expect(statements).toContainEqual({ Action: 'batch:TerminateJob', Effect: 'Allow', Resource: arn('batch', 'job/*') });
    expect(statements).toContainEqual({
      Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      Effect: 'Allow',
      Resource: arn('events', 'rule/StepFunctionsGetEventsForBatchJobsRule'),
    });
  });

  it("gives the Distributed Map its own StartExecution, Describe/StopExecution and redrive of the FanOut Map Run's children", () => {
    // docs: step-functions/latest/dg/iam-policies-eg-dist-map.html
    const statements = roleStatements(template, mapRole);
    expect(statements).toContainEqual({ Action: 'states:StartExecution', Effect: 'Allow', Resource: arn('states', 'stateMachine:fanout-map') });
    expect(statements).toContainEqual({
      Action: ['states:DescribeExecution', 'states:StopExecution'],
      Effect: 'Allow',
      Resource: arn('states', 'execution:fanout-map:*'),
    });
    expect(statements).toContainEqual({ Action: 'states:RedriveExecution', Effect: 'Allow', Resource: arn('states', 'execution:fanout-map/FanOut:*') });
  });

  it('lets the map state machine invoke its four functions, update the ledger and read and write run objects only', () => {
    const statements = roleStatements(template, mapRole);
    const invoke = statements.find((statement) => statement.Action === 'lambda:InvokeFunction');
    expect(invoke?.Resource.map((resource: any) => resource['Fn::GetAtt'][0]).sort()).toEqual([
      expect.stringMatching(/^FanoutNotifyFunction/),
      expect.stringMatching(/^FanoutPrepareFunction/),
      expect.stringMatching(/^FanoutRetryFunction/),
      expect.stringMatching(/^FanoutSummarizeFunction/),
    ]);
    expect(statements).toContainEqual({ Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] } });
    // ItemReader (GetObject) and ResultWriter (docs: step-functions/latest/dg/input-output-resultwriter.html)
    expect(statements).toContainEqual({
      Action: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] }, '/runs/*']] },
    });
    expect(roleActions(template, mapRole).filter((action) => action.startsWith('sns:') || action.startsWith('dynamodb:Delete'))).toEqual([]);
  });

  it('deploys the map state machine from its file: STANDARD, every placeholder substituted, logging ALL and X-Ray', () => {
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-map' });
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.DefinitionS3Location).toBeDefined();
    expect(Object.keys(machine.DefinitionSubstitutions).sort()).toEqual(
      ['DataBucket', 'LedgerTableName', 'NotifyFunctionArn', 'PrepareFunctionArn', 'RetryFunctionArn', 'SummarizeFunctionArn'].sort(),
    );
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('orders the high queue Fargate then Spot and the low queue Spot then Fargate', () => {
    const environments = template.findResources('AWS::Batch::ComputeEnvironment');
    const typeOf = (ref: { Ref?: string; 'Fn::GetAtt'?: [string, string] }) =>
      environments[ref.Ref ?? ref['Fn::GetAtt']?.[0] ?? '']?.Properties.ComputeResources.Type;
    const queue = (name: string) => onlyResource(template, 'AWS::Batch::JobQueue', { JobQueueName: name })[1];
    const high = queue('fanout-high');
    const low = queue('fanout-low');
    expect(high.Priority).toBe(100);
    expect(low.Priority).toBe(10);
    expect(high.ComputeEnvironmentOrder.map((entry: any) => [entry.Order, typeOf(entry.ComputeEnvironment)])).toEqual([
      [1, 'FARGATE'],
      [2, 'FARGATE_SPOT'],
    ]);
    expect(low.ComputeEnvironmentOrder.map((entry: any) => [entry.Order, typeOf(entry.ComputeEnvironment)])).toEqual([
      [1, 'FARGATE_SPOT'],
      [2, 'FARGATE'],
    ]);
  });

  it('runs jobs in public subnets of a new VPC without NAT gateways, with public IPs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeEnvironmentName: 'fanout-fargate-spot',
      ComputeResources: { Type: 'FARGATE_SPOT', MaxvCpus: 256, Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('FanoutVpcjobsSubnet1') }]) },
    });
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: { NetworkConfiguration: { AssignPublicIp: 'ENABLED' } },
    });
  });

  it('retries Spot interruptions and exits on everything else, with a catch-all EXIT last', () => {
    // docs: batch/latest/APIReference/API_RetryStrategy.html: an attempt no rule matches is retried
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      JobDefinitionName: 'fanout-job',
      PlatformCapabilities: ['FARGATE'],
      RetryStrategy: {
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'RETRY', OnStatusReason: 'Your Spot Task was interrupted*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      },
      Timeout: { AttemptDurationSeconds: 3600 },
    });
  });

  it('logs jobs to a CloudWatch log group with a retention', () => {
    const [, definition] = onlyResource(template, 'AWS::Batch::JobDefinition');
    const { LogDriver, Options } = definition.ContainerProperties.LogConfiguration;
    expect(LogDriver).toBe('awslogs');
    expect(Options['awslogs-stream-prefix']).toBe('fanout');
    expect(template.findResources('AWS::Logs::LogGroup')[Options['awslogs-group'].Ref]?.Properties).toEqual({ RetentionInDays: 30 });
  });

  it('creates the ledger as ledgerTableDefinition describes it, with PITR, TTL and encryption', () => {
    const definition = ledgerTableDefinition('fanout-ledger');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'fanout-ledger',
      BillingMode: definition.BillingMode,
      KeySchema: definition.KeySchema,
      AttributeDefinitions: Match.arrayEquals(definition.AttributeDefinitions),
      GlobalSecondaryIndexes: [
        { IndexName: FAILED_ITEMS_INDEX, KeySchema: definition.GlobalSecondaryIndexes[0]?.KeySchema, Projection: { ProjectionType: 'ALL' } },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('denies non-TLS access to the data bucket, blocks public access and expires run objects', () => {
    const [bucket] = onlyResource(template, 'AWS::S3::Bucket', { LifecycleConfiguration: Match.objectLike({ Rules: Match.arrayWith([Match.objectLike({ Prefix: 'runs/' })]) }) });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 90, Status: 'Enabled' })]) },
    });
  });

  it('runs every handler on nodejs22.x, ARM64, with JSON logs', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], LoggingConfig: { LogFormat: 'JSON' }, Handler: 'index.handler' });
    }
  });

  it("binds each handler's environment to exactly the grants it uses", () => {
    const fn = (name: string) => onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp(name) })[1];
    const actions = (name: string) => roleActions(template, fn(name).Role['Fn::GetAtt'][0]).filter((action) => !action.startsWith('logs:'));
    expect(Object.keys(fn('Publishes').Environment.Variables)).toEqual(['TOPIC_ARN']);
    expect(actions('Publishes')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*', 'sns:Publish']);
    expect(Object.keys(fn('Counts').Environment.Variables)).toEqual(['TABLE_NAME']);
    expect(actions('Counts')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject', 's3:ListBucket']);
    expect(Object.keys(fn('Claims').Environment.Variables).sort()).toEqual(['BUCKET', 'TABLE_NAME']);
    expect(actions('Claims')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:PutObject']);
    expect(Object.keys(fn('Validates').Environment.Variables).sort()).toEqual(['BUCKET', 'TABLE_NAME']);
    expect(actions('Validates')).toEqual([
      'batch:DescribeJobDefinitions',
      'batch:DescribeJobQueues',
      'batch:DescribeJobs',
      'batch:ListJobs',
      'batch:TerminateJob',
      'dynamodb:BatchWriteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
  });

  it('lets Retry and Prepare query the failed-items index', () => {
    const retry = onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('Claims') })[1];
    expect(roleStatements(template, retry.Role['Fn::GetAtt'][0])).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] }, `/index/${FAILED_ITEMS_INDEX}`]] },
        ],
      }),
    );
  });

  it('alarms on failed executions to the encrypted notices topic', () => {
    const [topic] = onlyResource(template, 'AWS::SNS::Topic', { TopicName: 'fanout-notices', KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: topic }],
    });
  });

  it('outputs exactly the keys the --aws CLI reads', () => {
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(
      ['DataBucketName', 'JobDefinitionArn', 'JobLogGroupName', 'JobQueueHighArn', 'JobQueueLowArn', 'LedgerTableName', 'MapStateMachineArn', 'NoticesTopicArn', 'Region'].sort(),
    );
    template.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
  });
});
