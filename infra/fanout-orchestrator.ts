import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ArnFormat, CfnOutput, Duration, FeatureFlags, IgnoreMode, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { DEFAULT_JOB_DEFINITION, FAILED_ITEMS_INDEX, ledgerTableDefinition } from '../lambdas/shared';
import { FanoutInfraError } from './errors';
import { analyzeDefinition, type DefinitionNeeds, readDefinition, substitutionsFor } from './private/definition';
import { FanoutFunction } from './private/function';
import { acknowledgeWildcards, resourceFinding } from './private/nag';
import { type FanoutScheduleOptions, ScheduledStarter } from './private/schedule';
import {
  checkFargateSize,
  checkInteger,
  checkName,
  checkRetryStrategy,
  checkUnique,
  type RetryRule,
} from './private/validate';

export type { FanoutScheduleOptions } from './private/schedule';
export type { RetryRule } from './private/validate';

/** The repository this file lives in: handlers, definitions and the job image are found from here. */
const REPOSITORY_ROOT = resolve(import.meta.dirname, '..');

/** Prefix of every object a run writes (manifests, retry manifests, ResultWriter output): `runs/<runId>/...`. */
export const RUN_OBJECTS_PREFIX = 'runs/';

/** A Fargate compute environment. */
export interface ComputeEnvironmentSpec {
  /** Physical name, referenced by the job queues. */
  readonly name: string;
  /** Fargate Spot (interruptible, cheaper) instead of on-demand Fargate. */
  readonly spot: boolean;
  /** Upper bound of the vCPUs its running jobs may use together. */
  readonly maxvCpus: number;
}

/** A job queue and the compute environments it tries, in order. */
export interface JobQueueSpec {
  /** Physical name; executions name it in `jobQueue`. */
  readonly name: string;
  /** Higher runs first when queues share a compute environment (0-1000). */
  readonly priority: number;
  /** Names of compute environments, tried in this order (1-3). */
  readonly computeEnvironments: readonly string[];
  /**
   * Name of the fair-share policy (`fairShare.name`). Jobs on a fair-share queue must carry a
   * `shareIdentifier`, which the map definition does not send today.
   * @default - first in, first out
   */
  readonly schedulingPolicy?: string;
}

/** A job definition of the fanout job image. */
export interface JobDefinitionSpec {
  /** Physical name; executions name it in `jobDefinition`. */
  readonly name: string;
  /** @default - the `jobImage` prop */
  readonly image?: ecs.ContainerImage;
  /** Fargate vCPU size. @default 1 */
  readonly vcpus?: number;
  /** Memory for that vCPU size. @default 2048 */
  readonly memoryMiB?: number;
  /** Command when an execution gives none. @default - the image's */
  readonly command?: readonly string[];
  /** Per-attempt timeout, at least 60 seconds. @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** Attempts per job, 1-10. @default 3 */
  readonly retryAttempts?: number;
  /**
   * `evaluateOnExit` rules, ending with a catch-all EXIT.
   * @default - Spot interruptions (`Host EC2*`, `Your Spot Task was interrupted*`) RETRY, everything else EXITs
   */
  readonly retryRules?: readonly RetryRule[];
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
}

/** A fair-share scheduling policy. */
export interface FairShareSpec {
  readonly name: string;
  /** Share identifiers and their weights: a lower weight gets more of the capacity. */
  readonly shares: readonly { readonly shareIdentifier: string; readonly weightFactor: number }[];
  /** Percentage of capacity kept for share identifiers not yet seen. @default - none */
  readonly computeReservation?: number;
  /** How long past usage counts against a share. @default - only current usage */
  readonly shareDecay?: Duration;
}

/** Props of {@link FanoutOrchestrator}; every one has a default. */
export interface FanoutOrchestratorProps {
  /** @default fanout-fargate (Fargate, 256 vCPUs) and fanout-fargate-spot (Fargate Spot, 256 vCPUs) */
  readonly computeEnvironments?: readonly ComputeEnvironmentSpec[];
  /** @default fanout-high (100: Fargate, then Spot) and fanout-low (10: Spot, then Fargate) */
  readonly jobQueues?: readonly JobQueueSpec[];
  /** @default one job definition, fanout-job, with every JobDefinitionSpec default */
  readonly jobDefinitions?: readonly JobDefinitionSpec[];
  /** @default - no fair-share policy */
  readonly fairShare?: FairShareSpec;
  /**
   * The job image.
   * @default - built from job/Dockerfile at deploy time (`ContainerImage.fromAsset`, linux/amd64)
   */
  readonly jobImage?: ecs.ContainerImage;
  /**
   * Role the job containers run as. The stack adds `s3:GetObject` on the data bucket's
   * `runs/*` to it (array children read their item from the manifest and its index); a role
   * imported as immutable must already allow that.
   * @default - a role that may read the data bucket's run objects and nothing else
   */
  readonly jobRole?: iam.IRole;
  /**
   * VPC for the compute environments; jobs run in its public subnets with public IPs.
   * @default - a new VPC with public subnets only (no NAT gateway)
   */
  readonly vpc?: ec2.IVpc;
  /** Availability zones of the new VPC. @default 2 */
  readonly maxAzs?: number;
  /**
   * Adds VPC endpoints for S3 (gateway), ECR and CloudWatch Logs (interface), so image pulls and
   * logs stay off the internet. Interface endpoints are billed per hour and AZ.
   * @default false
   */
  readonly vpcEndpoints?: boolean;
  /** @default 'fanout-ledger' */
  readonly ledgerTableName?: string;
  /** Attribute holding a row's expiry time (epoch seconds); rows without it never expire. @default 'expiresAt' */
  readonly ledgerTimeToLiveAttribute?: string;
  /** @default - a name CloudFormation generates */
  readonly bucketName?: string;
  /** Run objects (manifests, results) are deleted this long after they were written. @default Duration.days(90) */
  readonly dataExpiration?: Duration;
  /** Buckets Prepare may read `source` items from, besides the data bucket. @default - none */
  readonly sourceBuckets?: readonly s3.IBucket[];
  /** @default 'fanout-map' */
  readonly mapStateMachineName?: string;
  /** @default 'fanout-array' */
  readonly arrayStateMachineName?: string;
  /** @default statemachine/map.asl.json */
  readonly mapDefinitionFile?: string;
  /**
   * Deploys the array path: the array state machine and the Collect handler it invokes.
   * Without it the stack has the map path only (and no `ArrayStateMachineArn` output).
   * @default true
   */
  readonly arrayPath?: boolean;
  /** Only with the array path. @default statemachine/array.asl.json */
  readonly arrayDefinitionFile?: string;
  /** The Collect handler (exports `handler`); only with the array path. @default lambdas/collect.ts */
  readonly collectEntry?: string;
  /** @default 'fanout-notices' */
  readonly notificationTopicName?: string;
  /** Addresses subscribed to run summaries and alarms (each confirms by e-mail). @default - none */
  readonly notificationEmails?: readonly string[];
  /** A recurring run of the map state machine. @default - none */
  readonly schedule?: FanoutScheduleOptions;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** For the ledger table and the data bucket. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Stack outputs with fixed keys (MapStateMachineArn, LedgerTableName, ...), which `fanout --aws`
   * reads. Only one orchestrator per stack can have them.
   * @default true
   */
  readonly outputs?: boolean;
}

const DEFAULT_COMPUTE_ENVIRONMENTS: readonly ComputeEnvironmentSpec[] = [
  { name: 'fanout-fargate', spot: false, maxvCpus: 256 },
  { name: 'fanout-fargate-spot', spot: true, maxvCpus: 256 },
];
const DEFAULT_JOB_QUEUES: readonly JobQueueSpec[] = [
  { name: 'fanout-high', priority: 100, computeEnvironments: ['fanout-fargate', 'fanout-fargate-spot'] },
  { name: 'fanout-low', priority: 10, computeEnvironments: ['fanout-fargate-spot', 'fanout-fargate'] },
];
/** Spot loss on EC2 and on Fargate (docs: batch/latest/userguide/job_retries.html), then EXIT for anything else. */
export const SPOT_RETRY_RULES: readonly RetryRule[] = [
  { onStatusReason: 'Host EC2*', action: 'RETRY' },
  { onStatusReason: 'Your Spot Task was interrupted*', action: 'RETRY' },
  { onReason: '*', action: 'EXIT' },
];

/** The state machines the orchestrator deploys. */
export type FanoutPath = 'map' | 'array';

/**
 * Everything fanout runs on in one AWS account and region: Batch (VPC, Fargate and Fargate Spot
 * compute environments, queues, job definitions), the DynamoDB ledger, the data bucket, the
 * handlers of `lambdas/`, the state machines of `statemachine/` (map, and array unless
 * `arrayPath` is false), the notices topic, failure alarms and an optional schedule.
 *
 * @example
 * const orchestrator = new FanoutOrchestrator(stack, 'Fanout', { notificationEmails: ['ops@example.com'] });
 * orchestrator.grantStartExecution(someRole);
 */
export class FanoutOrchestrator extends Construct {
  readonly vpc: ec2.IVpc;
  readonly ledger: dynamodb.Table;
  readonly dataBucket: s3.Bucket;
  readonly noticesTopic: sns.Topic;
  readonly jobQueues: ReadonlyMap<string, batch.JobQueue>;
  readonly jobDefinitions: ReadonlyMap<string, batch.EcsJobDefinition>;
  readonly jobLogGroup: logs.LogGroup;
  readonly functions: ReadonlyMap<string, FanoutFunction>;
  readonly mapStateMachine: sfn.StateMachine;
  /** Present unless `arrayPath` is false. */
  readonly arrayStateMachine?: sfn.StateMachine;
  readonly schedule?: ScheduledStarter;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FanoutOrchestratorProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const computeSpecs = props.computeEnvironments ?? DEFAULT_COMPUTE_ENVIRONMENTS;
    const queueSpecs = props.jobQueues ?? DEFAULT_JOB_QUEUES;
    const definitionSpecs = props.jobDefinitions ?? [{ name: DEFAULT_JOB_DEFINITION }];
    const mapName = props.mapStateMachineName ?? 'fanout-map';
    const arrayName = props.arrayStateMachineName ?? 'fanout-array';
    validateBatchProps(computeSpecs, queueSpecs, definitionSpecs, props.fairShare);
    checkName('mapStateMachineName', mapName);
    checkName('arrayStateMachineName', arrayName);
    const arrayPath = arrayPathFiles(props);

    // ---- Data: the ledger, the data bucket, the notices topic ----
    this.ledger = createLedger(
      this,
      props.ledgerTableName ?? 'fanout-ledger',
      props.ledgerTimeToLiveAttribute ?? 'expiresAt',
      removalPolicy,
    );
    this.dataBucket = createDataBucket(this, props, removalPolicy);
    const noticesKey = new kms.Key(this, 'NoticesKey', {
      description: 'Encrypts the fanout notices topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets them
    // (docs: sns/latest/dg/sns-key-management.html, "AWS service event sources").
    noticesKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.noticesTopic = new sns.Topic(this, 'Notices', {
      topicName: props.notificationTopicName ?? 'fanout-notices',
      displayName: 'fanout run summaries',
      masterKey: noticesKey,
      enforceSSL: true,
    });
    for (const email of props.notificationEmails ?? [])
      this.noticesTopic.addSubscription(new subscriptions.EmailSubscription(email));

    // ---- Batch ----
    this.vpc = props.vpc ?? createVpc(this, props.maxAzs ?? 2, logRetention);
    const environments = new Map<string, batch.FargateComputeEnvironment>();
    for (const spec of computeSpecs) {
      environments.set(
        spec.name,
        new batch.FargateComputeEnvironment(this, `Compute-${spec.name}`, {
          computeEnvironmentName: spec.name,
          spot: spec.spot,
          maxvCpus: spec.maxvCpus,
          vpc: this.vpc,
          vpcSubnets: { subnetType: props.vpc ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
        }),
      );
    }
    if (props.vpcEndpoints) addVpcEndpoints(this, this.vpc, [...environments.values()]);
    const policy = props.fairShare
      ? new batch.FairshareSchedulingPolicy(this, 'FairShare', {
          schedulingPolicyName: props.fairShare.name,
          shares: props.fairShare.shares.map((share) => ({ ...share })),
          ...(props.fairShare.computeReservation !== undefined
            ? { computeReservation: props.fairShare.computeReservation }
            : {}),
          ...(props.fairShare.shareDecay ? { shareDecay: props.fairShare.shareDecay } : {}),
        })
      : undefined;
    const queues = new Map<string, batch.JobQueue>();
    for (const spec of queueSpecs) {
      queues.set(
        spec.name,
        new batch.JobQueue(this, `Queue-${spec.name}`, {
          jobQueueName: spec.name,
          priority: spec.priority,
          computeEnvironments: spec.computeEnvironments.map((name, index) => ({
            computeEnvironment: environments.get(name) as batch.FargateComputeEnvironment,
            order: index + 1,
          })),
          ...(spec.schedulingPolicy && policy ? { schedulingPolicy: policy } : {}),
        }),
      );
    }
    this.jobQueues = queues;

    this.jobLogGroup = new logs.LogGroup(this, 'JobLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const jobRole =
      props.jobRole ??
      new iam.Role(this, 'JobRole', {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: 'fanout jobs: reads run manifests (array path); extend for your workload',
      });
    grantManifestRead(jobRole, this.dataBucket);
    const jobImage = props.jobImage ?? jobImageFromRepository();
    const definitions = new Map<string, batch.EcsJobDefinition>();
    for (const spec of definitionSpecs) {
      const rules = spec.retryRules ?? SPOT_RETRY_RULES;
      definitions.set(
        spec.name,
        new batch.EcsJobDefinition(this, `Job-${spec.name}`, {
          jobDefinitionName: spec.name,
          timeout: spec.timeout ?? Duration.hours(1),
          retryAttempts: spec.retryAttempts ?? 3,
          retryStrategies: rules.map((rule) =>
            batch.RetryStrategy.of(
              rule.action === 'RETRY' ? batch.Action.RETRY : batch.Action.EXIT,
              batch.Reason.custom({
                ...(rule.onStatusReason !== undefined ? { onStatusReason: rule.onStatusReason } : {}),
                ...(rule.onReason !== undefined ? { onReason: rule.onReason } : {}),
                ...(rule.onExitCode !== undefined ? { onExitCode: rule.onExitCode } : {}),
              }),
            ),
          ),
          container: containerOf(
            new batch.EcsFargateContainerDefinition(this, `Container-${spec.name}`, {
              image: spec.image ?? jobImage,
              cpu: spec.vcpus ?? 1,
              memory: Size.mebibytes(spec.memoryMiB ?? 2048),
              ...(spec.command ? { command: [...spec.command] } : {}),
              ...(spec.environment ? { environment: { ...spec.environment } } : {}),
              jobRole,
              // Public subnets without NAT: a task needs a public IP to pull its image and send logs.
              assignPublicIp: !props.vpc,
              fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
              fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
              logging: ecs.LogDriver.awsLogs({ logGroup: this.jobLogGroup, streamPrefix: 'fanout' }),
            }),
          ),
        }),
      );
    }
    this.jobDefinitions = definitions;

    // ---- Handlers ----
    const functionProps = { projectRoot: REPOSITORY_ROOT, logRetention, removalPolicy: RemovalPolicy.DESTROY };
    const handler = (
      name: string,
      description: string,
      entry = resolve(REPOSITORY_ROOT, 'lambdas', `${name.toLowerCase()}.ts`),
    ) => new FanoutFunction(this, name, { ...functionProps, entry, description });
    const runObjects = `${RUN_OBJECTS_PREFIX}*`;
    const runWhy = `Run objects are keyed ${RUN_OBJECTS_PREFIX}<runId>/... with run ids chosen per execution; access stays under that prefix of the stack's own bucket`;
    const sourceWhy = 'Execution inputs may name any object or prefix of this bucket as their item source';
    const prepare = handler('Prepare', 'Validates a run input, writes its manifest and ledger rows')
      .useLedger(
        this.ledger,
        ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query'],
        [FAILED_ITEMS_INDEX],
      )
      // `source` items may sit anywhere in the data bucket; manifests are written under runs/.
      .useDataBucket(this.dataBucket, {
        objectActions: ['s3:GetObject'],
        objectPattern: '*',
        list: true,
        why: sourceWhy,
      })
      .readBucket(this.dataBucket, { objectActions: ['s3:PutObject'], objectPattern: runObjects, why: runWhy })
      .useBatch([
        'batch:DescribeJobQueues',
        'batch:DescribeJobDefinitions',
        'batch:ListJobs',
        'batch:DescribeJobs',
        'batch:TerminateJob',
      ]);
    for (const source of props.sourceBuckets ?? [])
      prepare.readBucket(source, { objectActions: ['s3:GetObject'], objectPattern: '*', list: true, why: sourceWhy });
    const retry = handler('Retry', "Claims a round's safe failures and writes the next round's manifest")
      .useLedger(this.ledger, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], [FAILED_ITEMS_INDEX])
      .useDataBucket(this.dataBucket, { objectActions: ['s3:PutObject'], objectPattern: runObjects, why: runWhy });
    const summarize = handler('Summarize', "Counts a run's ledger rows and writes its outcome")
      .useLedger(this.ledger, ['dynamodb:Query', 'dynamodb:UpdateItem'])
      // Reads a failed Map Run's ResultWriter files; the bucket comes from the event.
      .readBucket(this.dataBucket, {
        objectActions: ['s3:GetObject'],
        objectPattern: runObjects,
        list: true,
        why: runWhy,
      });
    const notify = handler('Notify', 'Publishes the run summary').useTopic(this.noticesTopic);
    const functions = new Map<string, FanoutFunction>([
      ['PrepareFunctionArn', prepare],
      ['RetryFunctionArn', retry],
      ['SummarizeFunctionArn', summarize],
      ['NotifyFunctionArn', notify],
    ]);
    if (arrayPath) {
      // Exactly the calls lambdas/collect.ts makes: DescribeJobs of the children, the round's
      // manifest (its bucket and key come from the event, Prepare wrote it under runs/), one
      // conditional UpdateItem per item and for the header, a Query counting the run's rows.
      const collect = handler('Collect', "Records an array job's children in the ledger", arrayPath.collectEntry)
        .useLedger(this.ledger, ['dynamodb:UpdateItem', 'dynamodb:Query'])
        .readBucket(this.dataBucket, { objectActions: ['s3:GetObject'], objectPattern: runObjects, why: runWhy })
        .useBatch(['batch:DescribeJobs']);
      functions.set('CollectFunctionArn', collect);
    }
    this.functions = new Map([...functions].map(([placeholder, fn]) => [placeholder.replace(/FunctionArn$/, ''), fn]));

    // ---- State machines ----
    const defaultDefinition =
      definitions.get(DEFAULT_JOB_DEFINITION) ?? ([...definitions.values()][0] as batch.EcsJobDefinition);
    const [highQueue, lowQueue] = queuesByPriority(queueSpecs, queues);
    const known: Record<string, string> = {
      ...Object.fromEntries([...functions].map(([placeholder, fn]) => [placeholder, fn.functionArn])),
      LedgerTableName: this.ledger.tableName,
      DataBucket: this.dataBucket.bucketName,
      NoticesTopicArn: this.noticesTopic.topicArn,
      JobQueueHighArn: highQueue.jobQueueArn,
      JobQueueLowArn: lowQueue.jobQueueArn,
      JobDefinitionArn: defaultDefinition.jobDefinitionArn,
    };
    const access: MachineAccess = {
      functions,
      ledger: this.ledger,
      bucket: this.dataBucket,
      topic: this.noticesTopic,
      queues,
      definitions,
    };
    const machine = (machineId: string, name: string, file: string) =>
      createStateMachine(this, machineId, name, file, known, access, logRetention);
    this.mapStateMachine = machine(
      'MapStateMachine',
      mapName,
      props.mapDefinitionFile ?? resolve(REPOSITORY_ROOT, 'statemachine', 'map.asl.json'),
    );
    if (arrayPath) this.arrayStateMachine = machine('ArrayStateMachine', arrayName, arrayPath.definitionFile);

    // ---- Triggers, alarms, outputs ----
    if (props.schedule) {
      this.schedule = new ScheduledStarter(this, 'Schedule', {
        ...props.schedule,
        target: this.mapStateMachine,
        logRetention,
        stateMachineName: `${mapName}-scheduled`,
      });
    }
    this.alarms = this.stateMachines().map(([path, stateMachine]) => {
      const alarm = new cloudwatch.Alarm(this, `${path === 'map' ? 'Map' : 'Array'}ExecutionsFailed`, {
        alarmDescription: `A ${path} path execution of fanout failed (ExecutionsFailed >= 1 in 5 minutes)`,
        metric: stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.noticesTopic));
      return alarm;
    });

    if (props.outputs ?? true) {
      const output = (key: string, value: string, description: string) =>
        new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
      output('MapStateMachineArn', this.mapStateMachine.stateMachineArn, 'The map path state machine');
      if (this.arrayStateMachine)
        output('ArrayStateMachineArn', this.arrayStateMachine.stateMachineArn, 'The array path state machine');
      output('LedgerTableName', this.ledger.tableName, 'The run ledger');
      output('DataBucketName', this.dataBucket.bucketName, 'Manifests and Map results (runs/<runId>/)');
      output('NoticesTopicArn', this.noticesTopic.topicArn, 'Run summaries and alarms');
      output('JobQueueHighArn', highQueue.jobQueueArn, 'The highest-priority job queue');
      output('JobQueueLowArn', lowQueue.jobQueueArn, 'The lowest-priority job queue');
      output('JobDefinitionArn', defaultDefinition.jobDefinitionArn, 'The default job definition');
      output('JobLogGroupName', this.jobLogGroup.logGroupName, "The jobs' CloudWatch log group");
      output('Region', stack.region, 'The region of the stack');
    }
  }

  /** The deployed state machines, map first. */
  stateMachines(): [FanoutPath, sfn.StateMachine][] {
    return this.arrayStateMachine
      ? [
          ['map', this.mapStateMachine],
          ['array', this.arrayStateMachine],
        ]
      : [['map', this.mapStateMachine]];
  }

  /**
   * Lets another principal (a service's role, a CI user) start runs: `states:StartExecution`
   * on the state machines of `paths`, by default every deployed one. Both, because a run's path
   * is chosen per run (`fanout run --path`) and an array run's retry starts the array machine.
   * @example orchestrator.grantStartExecution(ciRole, ['map']) // map runs only
   */
  grantStartExecution(grantee: iam.IGrantable, paths?: readonly FanoutPath[]): iam.Grant[] {
    const deployed = this.stateMachines();
    for (const path of paths ?? []) {
      if (!deployed.some(([name]) => name === path)) {
        throw FanoutInfraError.of(
          'grantStartExecution paths',
          `must name deployed paths (${deployed.map(([name]) => name).join(', ')})`,
          path,
        );
      }
    }
    return deployed
      .filter(([path]) => paths === undefined || paths.includes(path))
      .map(([, stateMachine]) => stateMachine.grantStartExecution(grantee));
  }
}

// ---------------------------------------------------------------------------------------------

/** Acknowledges the one wildcard of the role ECS pulls the image and writes logs with. */
function containerOf(container: batch.EcsFargateContainerDefinition): batch.EcsFargateContainerDefinition {
  acknowledgeWildcards(container.executionRole, [
    {
      finding: 'Resource::*',
      reason:
        'ecr:GetAuthorizationToken, which every image pull from ECR needs, supports no resource-level permissions',
    },
  ]);
  return container;
}

/** The array path's files, or undefined when `arrayPath` is false (then neither may be set). */
function arrayPathFiles(props: FanoutOrchestratorProps): { definitionFile: string; collectEntry: string } | undefined {
  if (props.arrayPath === false) {
    for (const prop of ['arrayDefinitionFile', 'collectEntry'] as const) {
      if (props[prop] !== undefined)
        throw FanoutInfraError.of(prop, 'must not be set when arrayPath is false', props[prop]);
    }
    return undefined;
  }
  return {
    definitionFile: existingFile(
      'arrayDefinitionFile',
      props.arrayDefinitionFile ?? resolve(REPOSITORY_ROOT, 'statemachine', 'array.asl.json'),
    ),
    collectEntry: existingFile('collectEntry', props.collectEntry ?? resolve(REPOSITORY_ROOT, 'lambdas', 'collect.ts')),
  };
}

function existingFile(prop: string, file: string): string {
  if (!existsSync(file)) throw FanoutInfraError.of(prop, 'must name an existing file', file);
  return file;
}

function validateBatchProps(
  environments: readonly ComputeEnvironmentSpec[],
  queues: readonly JobQueueSpec[],
  definitions: readonly JobDefinitionSpec[],
  fairShare: FairShareSpec | undefined,
): void {
  if (environments.length === 0)
    throw FanoutInfraError.of('computeEnvironments', 'must list at least one compute environment', environments);
  if (queues.length === 0) throw FanoutInfraError.of('jobQueues', 'must list at least one job queue', queues);
  if (definitions.length === 0)
    throw FanoutInfraError.of('jobDefinitions', 'must list at least one job definition', definitions);
  environments.forEach((spec, index) => {
    checkName(`computeEnvironments[${index}].name`, spec.name);
    checkInteger(`computeEnvironments[${index}].maxvCpus`, spec.maxvCpus, 1, 100_000);
  });
  checkUnique(
    'computeEnvironments[].name',
    environments.map((spec) => spec.name),
  );
  const known = new Set(environments.map((spec) => spec.name));
  queues.forEach((spec, index) => {
    const at = `jobQueues[${index}]`;
    checkName(`${at}.name`, spec.name);
    checkInteger(`${at}.priority`, spec.priority, 0, 1000);
    if (spec.computeEnvironments.length < 1 || spec.computeEnvironments.length > 3) {
      throw FanoutInfraError.of(
        `${at}.computeEnvironments`,
        'must list 1-3 compute environments (Batch limit per queue)',
        spec.computeEnvironments,
      );
    }
    checkUnique(`${at}.computeEnvironments`, spec.computeEnvironments);
    for (const name of spec.computeEnvironments) {
      if (!known.has(name))
        throw FanoutInfraError.of(
          `${at}.computeEnvironments`,
          `must name compute environments of computeEnvironments (${[...known].join(', ')})`,
          name,
        );
    }
    if (spec.schedulingPolicy !== undefined && spec.schedulingPolicy !== fairShare?.name) {
      throw FanoutInfraError.of(
        `${at}.schedulingPolicy`,
        `must be the name of the fairShare policy (${fairShare?.name ?? 'none is defined'})`,
        spec.schedulingPolicy,
      );
    }
  });
  checkUnique(
    'jobQueues[].name',
    queues.map((spec) => spec.name),
  );
  definitions.forEach((spec, index) => {
    const at = `jobDefinitions[${index}]`;
    checkName(`${at}.name`, spec.name);
    checkFargateSize(at, spec.vcpus ?? 1, spec.memoryMiB ?? 2048);
    const timeout = spec.timeout?.toSeconds();
    if (timeout !== undefined && timeout < 60)
      throw FanoutInfraError.of(
        `${at}.timeout`,
        'must be at least 60 seconds (Batch minimum per attempt)',
        `${timeout} seconds`,
      );
    checkRetryStrategy(at, spec.retryAttempts ?? 3, spec.retryRules ?? SPOT_RETRY_RULES);
  });
  checkUnique(
    'jobDefinitions[].name',
    definitions.map((spec) => spec.name),
  );
  if (fairShare) {
    checkName('fairShare.name', fairShare.name);
    if (fairShare.shares.length === 0)
      throw FanoutInfraError.of('fairShare.shares', 'must list at least one share identifier', fairShare.shares);
    fairShare.shares.forEach((share, index) => {
      if (!/^[A-Za-z0-9]{1,254}\*?$/.test(share.shareIdentifier)) {
        throw FanoutInfraError.of(
          `fairShare.shares[${index}].shareIdentifier`,
          'must be 1-255 letters or digits, optionally ending in *',
          share.shareIdentifier,
        );
      }
      if (!(share.weightFactor > 0 && share.weightFactor <= 1000)) {
        throw FanoutInfraError.of(
          `fairShare.shares[${index}].weightFactor`,
          'must be greater than 0 and at most 1000',
          share.weightFactor,
        );
      }
    });
  }
}

function queuesByPriority(
  specs: readonly JobQueueSpec[],
  queues: ReadonlyMap<string, batch.JobQueue>,
): [batch.JobQueue, batch.JobQueue] {
  const sorted = [...specs].sort((a, b) => b.priority - a.priority);
  return [
    queues.get((sorted[0] as JobQueueSpec).name) as batch.JobQueue,
    queues.get((sorted[sorted.length - 1] as JobQueueSpec).name) as batch.JobQueue,
  ];
}

/** The ledger exactly as `ledgerTableDefinition` describes it, which the local cloud creates too. */
function createLedger(
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

function createDataBucket(scope: Construct, props: FanoutOrchestratorProps, removalPolicy: RemovalPolicy): s3.Bucket {
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
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: 'data/',
    lifecycleRules: [
      { id: 'expire-run-objects', prefix: RUN_OBJECTS_PREFIX, expiration: props.dataExpiration ?? Duration.days(90) },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
    removalPolicy,
  });
}

function createVpc(scope: Construct, maxAzs: number, logRetention: logs.RetentionDays): ec2.Vpc {
  checkInteger('maxAzs', maxAzs, 1, 6);
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs,
    natGateways: 0,
    subnetConfiguration: [{ name: 'jobs', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
    // Nothing uses the default security group; restricting it would add a custom resource Lambda.
    restrictDefaultSecurityGroup: false,
  });
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  return vpc;
}

/** S3 (gateway, free) and ECR and CloudWatch Logs (interface) endpoints, reachable from the jobs only. */
function addVpcEndpoints(
  scope: Construct,
  vpc: ec2.IVpc,
  environments: readonly batch.FargateComputeEnvironment[],
): void {
  const subnets = {
    subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
  };
  new ec2.GatewayVpcEndpoint(scope, 'S3Endpoint', { vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
  for (const [id, service] of [
    ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR],
    ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
    ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ] as const) {
    const endpoint = new ec2.InterfaceVpcEndpoint(scope, id, {
      vpc,
      service,
      subnets,
      privateDnsEnabled: true,
      open: false,
    });
    for (const environment of environments)
      endpoint.connections.allowDefaultPortFrom(
        environment,
        `HTTPS from the ${environment.computeEnvironmentName} jobs`,
      );
  }
}

/**
 * An array child reads its item with two ranged GETs, of the manifest's offset index and of the
 * manifest (`runs/<runId>/manifest.jsonl` and `.idx`, a retry's under `runs/<runId>/retries/`);
 * a ranged GET needs nothing beyond `s3:GetObject`.
 */
function grantManifestRead(role: iam.IRole, bucket: s3.IBucket): void {
  const manifests = bucket.arnForObjects(`${RUN_OBJECTS_PREFIX}*`);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [manifests] }));
  acknowledgeWildcards(role, [
    {
      finding: resourceFinding(bucket, manifests),
      reason: `An array child reads its run's manifest and offset index, keyed ${RUN_OBJECTS_PREFIX}<runId>/..., with run ids chosen per execution`,
    },
  ]);
}

/**
 * The image built from job/Dockerfile with the repository root as context, as its header
 * says. Synth only copies the files the Dockerfile's own ignore file lets through; Docker runs
 * at deploy time (`cdk deploy` publishes the image).
 */
function jobImageFromRepository(): ecs.ContainerImage {
  const dockerignore = readFileSync(resolve(REPOSITORY_ROOT, 'job', 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return ecs.ContainerImage.fromAsset(REPOSITORY_ROOT, {
    file: 'job/Dockerfile',
    platform: Platform.LINUX_AMD64,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: [...dockerignore, '!job/Dockerfile', '!job/Dockerfile.dockerignore'],
  });
}

interface MachineAccess {
  readonly functions: ReadonlyMap<string, FanoutFunction>;
  readonly ledger: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly topic: sns.ITopic;
  readonly queues: ReadonlyMap<string, batch.JobQueue>;
  readonly definitions: ReadonlyMap<string, batch.EcsJobDefinition>;
}

/**
 * A state machine from its ASL file, with every placeholder substituted from `known` and a role
 * holding exactly what its states call (see `analyzeDefinition`).
 */
function createStateMachine(
  scope: Construct,
  id: string,
  name: string,
  file: string,
  known: Readonly<Record<string, string>>,
  access: MachineAccess,
  logRetention: logs.RetentionDays,
): sfn.StateMachine {
  const text = readDefinition(file);
  const definitionSubstitutions = substitutionsFor(file, text, known);
  const needs = analyzeDefinition(file, text);
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    // The vended-logs prefix keeps CloudWatch's resource policy small (docs: step-functions/latest/dg/cw-logs.html).
    logGroupName: `/aws/vendedlogs/states/${name}`,
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new sfn.StateMachine(scope, id, {
    stateMachineName: name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromFile(file),
    definitionSubstitutions,
    tracingEnabled: true,
    // Item payloads stay out of the logs (the ledger and the execution history keep them).
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  const grants = statementsFor(scope, name, file, needs, access);
  for (const statement of grants.statements) stateMachine.addToRolePolicy(statement);
  acknowledgeWildcards(stateMachine.role, grants.findings);
  return stateMachine;
}

function statementsFor(
  scope: Construct,
  name: string,
  file: string,
  needs: DefinitionNeeds,
  access: MachineAccess,
): Grants {
  const stack = Stack.of(scope);
  const statements: iam.PolicyStatement[] = [];
  const findings: { finding: string; reason: string }[] = [];
  const wildcard = (arn: string, reason: string): string => {
    findings.push({ finding: resourceFinding(scope, arn), reason });
    return arn;
  };
  // Step Functions' own log delivery and X-Ray calls, which CDK adds to every logged and traced machine.
  const anyResource = [
    'CloudWatch Logs delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray tracing calls support no resource-level permissions',
  ];
  const functionArns = [...needs.functionPlaceholders].map((placeholder) => {
    const fn = access.functions.get(placeholder);
    if (!fn) throw new FanoutInfraError(`${file} invokes \${${placeholder}}, but no such function is deployed`);
    return fn.functionArn;
  });
  if (functionArns.length > 0)
    statements.push(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));

  if (needs.batchSubmit) {
    // Queues and job definitions are named by the run input, so every one of this stack is allowed;
    // `:*` covers the revisions a redeploy registers (docs: batch/latest/userguide/batch-supported-iam-actions-resources.html).
    const definitionArns = [...access.definitions.keys()].map((definition) =>
      wildcard(
        stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: `${definition}:*` }),
        `Runs pin the revision of job definition ${definition} that was latest when they started; every revision a deploy registers must stay submittable`,
      ),
    );
    statements.push(
      new iam.PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [...[...access.queues.values()].map((queue) => queue.jobQueueArn), ...definitionArns],
      }),
    );
  }
  if (needs.batchSync) {
    // What .sync needs (docs: step-functions/latest/dg/batch-iam.html). TerminateJob is how Step
    // Functions stops the job when the execution (or a Map child) is stopped; CDK adds it only for
    // states it builds itself, not for a definition read from a file.
    anyResource.push('batch:DescribeJobs supports no resource-level permissions (.sync polls the job with it)');
    const jobs = wildcard(
      stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' }),
      'Job ids exist only once .sync submitted them; TerminateJob is limited to jobs of this account and region',
    );
    statements.push(
      new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [jobs] }),
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForBatchJobsRule',
          }),
        ],
      }),
    );
  }
  const batchReads = [...needs.batchReads].filter((action) => !(needs.batchSync && action === 'batch:DescribeJobs'));
  if (batchReads.length > 0) {
    anyResource.push(`${batchReads.join(', ')} support no resource-level permissions`);
    statements.push(new iam.PolicyStatement({ actions: batchReads, resources: ['*'] }));
  }
  if (needs.dynamodbActions.size > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: [...needs.dynamodbActions], resources: [access.ledger.tableArn] }),
    );
  }
  if (needs.s3ObjectActions.size > 0) {
    const objects = wildcard(
      access.bucket.arnForObjects(`${RUN_OBJECTS_PREFIX}*`),
      `Manifests and ResultWriter output are keyed ${RUN_OBJECTS_PREFIX}<runId>/... with run ids chosen per execution`,
    );
    statements.push(new iam.PolicyStatement({ actions: [...needs.s3ObjectActions], resources: [objects] }));
  }
  if (needs.s3ListBucket)
    statements.push(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [access.bucket.bucketArn] }));
  if (needs.snsPublish) {
    statements.push(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [access.topic.topicArn] }));
    if (access.topic.masterKey) {
      findings.push({
        finding: 'Action::kms:GenerateDataKey*',
        reason:
          "Publishing to an encrypted topic needs the GenerateDataKey family on the topic's key; the statement names that one key",
      });
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: [access.topic.masterKey.keyArn],
        }),
      );
    }
  }
  if (needs.distributedMapLabels.length > 0) {
    // A Distributed Map starts its children as executions of this very state machine
    // (docs: step-functions/latest/dg/iam-policies-eg-dist-map.html). The ARNs are built from
    // the name, as the role cannot refer to the state machine it belongs to.
    const execution = (resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    statements.push(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          wildcard(
            execution(`${name}:*`),
            `The Distributed Map follows and stops the child executions it starts, whose names it generates`,
          ),
        ],
      }),
      // Redriving the parent redrives its failed Map Run: the children are executions of `<name>/<label>`.
      new iam.PolicyStatement({
        actions: ['states:RedriveExecution'],
        resources: needs.distributedMapLabels.map((label) =>
          wildcard(
            execution(`${name}/${label ?? '*'}:*`),
            `Redriving a run redrives the failed children of its Map Run ${label ?? ''}, whose names Step Functions generates`,
          ),
        ),
      }),
    );
  }
  findings.push({ finding: 'Resource::*', reason: anyResource.join('; ') });
  return { statements, findings };
}

interface Grants {
  readonly statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 findings the statements raise, with their reasons. */
  readonly findings: { finding: string; reason: string }[];
}
