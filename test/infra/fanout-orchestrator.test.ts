import { resolve } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { FAILED_ITEMS_INDEX, ledgerTableDefinition } from '../../run';
import {
  arrayOf,
  at,
  awsCallsOf,
  getAttOf,
  type Json,
  type JsonObject,
  objectOf,
  onlyResource,
  orchestratorStack,
  refOf,
  roleActions,
  roleStatements,
} from './helpers';

/** What every job may do with the data bucket: read run manifests; read, write and list its outputs under results/. */
const JOB_ROLE_STATEMENTS = [
  {
    Action: 's3:GetObject',
    Effect: 'Allow',
    Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] }, '/runs/*']] },
  },
  {
    Action: ['s3:GetObject', 's3:PutObject'],
    Effect: 'Allow',
    Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] }, '/results/*']] },
  },
  {
    Action: 's3:ListBucket',
    Condition: { StringLike: { 's3:prefix': ['results/*'] } },
    Effect: 'Allow',
    Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] },
  },
];

// Synthesizing a stack takes seconds on a shared machine; nothing here measures time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** `arn:<partition>:<service>:<region>:<account>:<resource>` as CDK renders it for an environment-agnostic stack. */
const arn = (service: string, resource: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      `:${service}:`,
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:${resource}`,
    ],
  ],
});

/**
 * The statements `batch:submitJob.sync` needs (step-functions/latest/dg/batch-iam.html, Run a Job
 * .sync): SubmitJob on the queues and job definition, DescribeJobs, TerminateJob (CDK does not add
 * it for a definition from a file; without it a stopped execution leaves its jobs running), and
 * the managed events rule.
 */
function expectBatchSyncStatements(statements: unknown[]): void {
  expect(statements).toContainEqual(
    expect.objectContaining({
      Action: 'batch:SubmitJob',
      Effect: 'Allow',
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
}

describe('FanoutOrchestrator with its defaults', () => {
  // One synthesized stack for every read-only assertion below.
  let template: Template;
  let mapRole: string;
  let arrayRole: string;
  beforeAll(() => {
    template = orchestratorStack().template();
    const role = (name: string) =>
      getAttOf(onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: name })[1].RoleArn);
    mapRole = role('fanout-map');
    arrayRole = role('fanout-array');
  });
  /** A handler's function properties, found by a word of its description. */
  const handlerProps = (word: string) =>
    onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp(word) })[1];
  /** The handlers, by the word of their description that names them. */
  const HANDLERS = {
    Prepare: 'Validates',
    Retry: 'Claims',
    Summarize: 'Counts',
    Notify: 'Publishes',
    Collect: 'array job',
  } as const;

  it('lets the map state machine run Batch jobs with .sync, including TerminateJob', () => {
    expectBatchSyncStatements(roleStatements(template, mapRole));
  });

  it("gives the Distributed Maps their own StartExecution, Describe/StopExecution and redrive of each FanOut Map Run's children", () => {
    // docs: step-functions/latest/dg/iam-policies-eg-dist-map.html
    const statements = roleStatements(template, mapRole);
    expect(statements).toContainEqual({
      Action: 'states:StartExecution',
      Effect: 'Allow',
      Resource: arn('states', 'stateMachine:fanout-map'),
    });
    expect(statements).toContainEqual({
      Action: ['states:DescribeExecution', 'states:StopExecution'],
      Effect: 'Allow',
      Resource: arn('states', 'execution:fanout-map:*'),
    });
    // One Map Run label per Distributed Map variant: the run's scheduling picks one of them.
    expect(statements).toContainEqual({
      Action: 'states:RedriveExecution',
      Effect: 'Allow',
      Resource: [
        arn('states', 'execution:fanout-map/FanOut:*'),
        arn('states', 'execution:fanout-map/FanOutInShare:*'),
        arn('states', 'execution:fanout-map/FanOutInSharePrioritized:*'),
      ],
    });
  });

  it('lets the map state machine invoke its four functions, update the ledger and read and write run objects only', () => {
    const statements = roleStatements(template, mapRole);
    const invoke = statements.find((statement) => statement.Action === 'lambda:InvokeFunction');
    expect(arrayOf(invoke?.Resource).map(getAttOf).sort()).toEqual([
      expect.stringMatching(/^FanoutNotifyFunction/),
      expect.stringMatching(/^FanoutPrepareFunction/),
      expect.stringMatching(/^FanoutRetryFunction/),
      expect.stringMatching(/^FanoutSummarizeFunction/),
    ]);
    expect(statements).toContainEqual({
      Action: 'dynamodb:UpdateItem',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] },
    });
    // ItemReader (GetObject) and ResultWriter (docs: step-functions/latest/dg/input-output-resultwriter.html)
    expect(statements).toContainEqual({
      Action: ['s3:GetObject', 's3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] }, '/runs/*']] },
    });
    expect(
      roleActions(template, mapRole).filter(
        (action) => action.startsWith('sns:') || action.startsWith('dynamodb:Delete'),
      ),
    ).toEqual([]);
  });

  it('lets the array state machine submit array jobs with .sync, invoke Prepare, Collect and Notify, and nothing else', () => {
    // docs: step-functions/latest/dg/batch-iam.html (Run a Job .sync); an array job is one
    // SubmitJob (ArrayProperties) on the same queue and job definition resources.
    const statements = roleStatements(template, arrayRole);
    const invoke = statements.find((statement) => statement.Action === 'lambda:InvokeFunction');
    expect(arrayOf(invoke?.Resource).map(getAttOf).sort()).toEqual([
      expect.stringMatching(/^FanoutCollectFunction/),
      expect.stringMatching(/^FanoutNotifyFunction/),
      expect.stringMatching(/^FanoutPrepareFunction/),
    ]);
    // Stopping an array run terminates its array jobs, and Batch their children, through TerminateJob.
    expectBatchSyncStatements(statements);
    // Collect writes the ledger and reads the manifest; the machine itself touches neither, nor starts executions.
    expect(roleActions(template, arrayRole).filter((action) => !/^(logs|xray):/.test(action))).toEqual([
      'batch:DescribeJobs',
      'batch:SubmitJob',
      'batch:TerminateJob',
      'events:DescribeRule',
      'events:PutRule',
      'events:PutTargets',
      'lambda:InvokeFunction',
    ]);
  });

  it('deploys the array state machine from its file with the substitutions it uses: STANDARD, logging ALL and X-Ray', () => {
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
      StateMachineName: 'fanout-array',
    });
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(Object.keys(objectOf(machine.DefinitionSubstitutions)).sort()).toEqual([
      'CollectFunctionArn',
      'NotifyFunctionArn',
      'PrepareFunctionArn',
    ]);
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('deploys the map state machine from its file: STANDARD, every placeholder substituted, logging ALL and X-Ray', () => {
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-map' });
    expect(machine.StateMachineType).toBe('STANDARD');
    expect(machine.DefinitionS3Location).toBeDefined();
    expect(Object.keys(objectOf(machine.DefinitionSubstitutions)).sort()).toEqual(
      [
        'DataBucket',
        'LedgerTableName',
        'NotifyFunctionArn',
        'PrepareFunctionArn',
        'RetryFunctionArn',
        'SummarizeFunctionArn',
      ].sort(),
    );
    expect(machine.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: false });
  });

  it('orders the high queue Fargate then Spot and the low queue Spot then Fargate', () => {
    const environments = template.findResources('AWS::Batch::ComputeEnvironment');
    const typeOf = (ref: Json | undefined) => {
      const logicalId = at(ref, 'Ref');
      return environments[typeof logicalId === 'string' ? logicalId : getAttOf(ref)]?.Properties.ComputeResources.Type;
    };
    const order = (queue: JsonObject) =>
      arrayOf(queue.ComputeEnvironmentOrder).map((entry) => [
        at(entry, 'Order'),
        typeOf(at(entry, 'ComputeEnvironment')),
      ]);
    const queue = (name: string) => onlyResource(template, 'AWS::Batch::JobQueue', { JobQueueName: name })[1];
    const high = queue('fanout-high');
    const low = queue('fanout-low');
    expect(high.Priority).toBe(100);
    expect(low.Priority).toBe(10);
    expect(order(high)).toEqual([
      [1, 'FARGATE'],
      [2, 'FARGATE_SPOT'],
    ]);
    expect(order(low)).toEqual([
      [1, 'FARGATE_SPOT'],
      [2, 'FARGATE'],
    ]);
  });

  it('runs jobs in public subnets of a new VPC without NAT gateways, with public IPs', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeEnvironmentName: 'fanout-fargate-spot',
      ComputeResources: {
        Type: 'FARGATE_SPOT',
        MaxvCpus: 256,
        Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('FanoutVpcjobsSubnet1') }]),
      },
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
    const logging = objectOf(at(definition, 'ContainerProperties', 'LogConfiguration'));
    expect(logging.LogDriver).toBe('awslogs');
    expect(at(logging, 'Options', 'awslogs-stream-prefix')).toBe('fanout');
    expect(
      template.findResources('AWS::Logs::LogGroup')[refOf(at(logging, 'Options', 'awslogs-group'))]?.Properties,
    ).toEqual({
      RetentionInDays: 30,
    });
  });

  it('creates the ledger as ledgerTableDefinition describes it, with PITR, TTL and encryption', () => {
    const definition = ledgerTableDefinition('fanout-ledger');
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'fanout-ledger',
      BillingMode: definition.BillingMode,
      KeySchema: definition.KeySchema,
      AttributeDefinitions: Match.arrayEquals(definition.AttributeDefinitions),
      GlobalSecondaryIndexes: [
        {
          IndexName: FAILED_ITEMS_INDEX,
          KeySchema: definition.GlobalSecondaryIndexes[0]?.KeySchema,
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('denies non-TLS access to the data bucket, blocks public access and expires run objects', () => {
    const [bucket] = onlyResource(template, 'AWS::S3::Bucket', {
      LifecycleConfiguration: Match.objectLike({ Rules: Match.arrayWith([Match.objectLike({ Prefix: 'runs/' })]) }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'runs/', ExpirationInDays: 90, Status: 'Enabled' })]),
      },
    });
  });

  it('runs every handler, Collect included, on nodejs22.x, ARM64, with JSON logs', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(5);
    for (const word of Object.values(HANDLERS)) expect(handlerProps(word)).toBeDefined();
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON' },
        Handler: 'index.handler',
      });
    }
  });

  it("binds each handler's environment to exactly the grants it uses", () => {
    const fn = handlerProps;
    const actions = (name: string) =>
      roleActions(template, getAttOf(fn(name).Role)).filter((action) => !action.startsWith('logs:'));
    const variables = (name: string) => Object.keys(objectOf(at(fn(name), 'Environment', 'Variables')));
    expect(variables('Publishes')).toEqual(['TOPIC_ARN']);
    expect(actions('Publishes')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*', 'sns:Publish']);
    expect(variables('Counts')).toEqual(['TABLE_NAME']);
    expect(actions('Counts')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject', 's3:ListBucket']);
    expect(variables('Claims').sort()).toEqual(['BUCKET', 'TABLE_NAME']);
    expect(actions('Claims')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:PutObject']);
    expect(variables('Validates').sort()).toEqual(['BUCKET', 'TABLE_NAME']);
    expect(actions('Validates')).toEqual([
      'batch:DescribeJobDefinitions',
      'batch:DescribeJobQueues',
      'batch:DescribeJobs',
      'batch:ListJobs',
      'batch:TerminateJob',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(variables('array job')).toEqual(['TABLE_NAME']);
    expect(actions('array job')).toEqual([
      'batch:DescribeJobs',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:GetObject',
    ]);
  });

  it('grants every handler exactly the AWS calls its bundled code makes', async () => {
    for (const [name, word] of Object.entries(HANDLERS)) {
      const code = await awsCallsOf(resolve(import.meta.dirname, '..', '..', 'lambdas', `${name.toLowerCase()}.ts`));
      // Besides its calls: writing its own logs, and the topic key an encrypted publish needs.
      const granted = roleActions(template, getAttOf(handlerProps(word).Role)).filter(
        (action) => !/^(logs|kms):/.test(action),
      );
      expect(granted, name).toEqual(code);
    }
  });

  it('lets Collect read run objects only, update and query the ledger table, and describe jobs', () => {
    const statements = roleStatements(template, getAttOf(handlerProps('array job').Role));
    expect(statements).toContainEqual({
      Action: ['dynamodb:UpdateItem', 'dynamodb:Query'],
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] },
    });
    // The round's manifest: runs/<runId>/manifest.jsonl, or a retry's under runs/<runId>/retries/.
    expect(statements).toContainEqual({
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutData/), 'Arn'] }, '/runs/*']] },
    });
    // docs: service-authorization/latest/reference/list_awsbatch.html (DescribeJobs: no resource types)
    expect(statements).toContainEqual({ Action: 'batch:DescribeJobs', Effect: 'Allow', Resource: '*' });
  });

  it("lets the jobs read the data bucket's run objects (array children's manifest and index), and read, write and list their outputs under results/, nothing else", () => {
    const [, definition] = onlyResource(template, 'AWS::Batch::JobDefinition');
    const jobRole = getAttOf(at(definition, 'ContainerProperties', 'JobRoleArn'));
    expect(roleStatements(template, jobRole)).toEqual(JOB_ROLE_STATEMENTS);
  });

  it('lets Retry and Prepare query the failed-items index', () => {
    const retry = onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('Claims') })[1];
    expect(roleStatements(template, getAttOf(retry.Role))).toContainEqual(
      expect.objectContaining({
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] },
          {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [expect.stringMatching(/^FanoutLedger/), 'Arn'] }, `/index/${FAILED_ITEMS_INDEX}`],
            ],
          },
        ],
      }),
    );
  });

  it('alarms on failed executions to the encrypted notices topic', () => {
    const [topic] = onlyResource(template, 'AWS::SNS::Topic', {
      TopicName: 'fanout-notices',
      KmsMasterKeyId: Match.anyValue(),
    });
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
      [
        'ArrayStateMachineArn',
        'DataBucketName',
        'JobDefinitionArn',
        'JobLogGroupName',
        'JobQueueHighArn',
        'JobQueueLowArn',
        'LedgerTableName',
        'MapStateMachineArn',
        'NoticesTopicArn',
        'Region',
      ].sort(),
    );
    template.hasOutput('Region', { Value: { Ref: 'AWS::Region' } });
    const [array] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-array' });
    template.hasOutput('ArrayStateMachineArn', { Value: { Ref: array } });
  });
});

describe('FanoutOrchestrator without the array path', () => {
  it('deploys neither the array state machine nor Collect, and leaves ArrayStateMachineArn out', () => {
    const { orchestrator, template } = orchestratorStack({ arrayPath: false });
    const rendered = template();
    expect(orchestrator.arrayStateMachine).toBeUndefined();
    expect(orchestrator.stateMachines().map(([path]) => path)).toEqual(['map']);
    expect(
      Object.values(rendered.findResources('AWS::StepFunctions::StateMachine')).map(
        (machine) => machine.Properties.StateMachineName,
      ),
    ).toEqual(['fanout-map']);
    expect(
      rendered.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('array job') },
      }),
    ).toEqual({});
    expect(Object.keys(rendered.toJSON().Outputs)).not.toContain('ArrayStateMachineArn');
    expect(Object.keys(rendered.toJSON().Outputs)).toContain('MapStateMachineArn');
  });
});

describe('a job role given as a prop', () => {
  it('gets the read of run objects array children need, and the outputs prefix', () => {
    const { template } = orchestratorStack((stack) => ({
      jobRole: new iam.Role(stack, 'WorkloadRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') }),
    }));
    const rendered = template();
    const [, definition] = onlyResource(rendered, 'AWS::Batch::JobDefinition');
    expect(getAttOf(at(definition, 'ContainerProperties', 'JobRoleArn'))).toMatch(/^WorkloadRole/);
    expect(roleStatements(rendered, getAttOf(at(definition, 'ContainerProperties', 'JobRoleArn')))).toEqual(
      JOB_ROLE_STATEMENTS,
    );
    expect(
      rendered.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp('fanout jobs') } }),
    ).toEqual({});
  });
});
