import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type {
  ComputeEnvironmentSpec,
  JobDefinitionSpec,
  JobQueueSpec,
  JobStateTimeLimitActionSpec,
  SchedulingPolicySpec,
} from '../fanout-orchestrator-props';
import { SPOT_RETRY_RULES } from './defaults';
import { acknowledgeWildcards, resourceFinding } from './nag';
import { jobImageFromRepository } from './repository';
import { JOB_OUTPUTS_PREFIX, RUN_OBJECTS_PREFIX } from './storage';

/** Batch as the props describe it: Fargate compute environments, job queues and job definitions. */

/** One Fargate (or Fargate Spot) compute environment per spec, by name. */
export function createComputeEnvironments(
  scope: Construct,
  specs: readonly ComputeEnvironmentSpec[],
  vpc: ec2.IVpc,
  subnetType: ec2.SubnetType,
): Map<string, batch.FargateComputeEnvironment> {
  const environments = new Map<string, batch.FargateComputeEnvironment>();
  for (const spec of specs) {
    environments.set(
      spec.name,
      new batch.FargateComputeEnvironment(scope, `Compute-${spec.name}`, {
        computeEnvironmentName: spec.name,
        spot: spec.spot,
        maxvCpus: spec.maxvCpus,
        vpc,
        vpcSubnets: { subnetType },
      }),
    );
  }
  return environments;
}

/**
 * The fair-share scheduling policies by name, with Batch's documented defaults spelled out: no
 * compute reservation, no share decay (only current usage counts), weight 1 for any share not listed.
 */
function createSchedulingPolicies(
  scope: Construct,
  specs: readonly SchedulingPolicySpec[],
): Map<string, batch.FairshareSchedulingPolicy> {
  const policies = new Map<string, batch.FairshareSchedulingPolicy>();
  for (const spec of specs) {
    policies.set(
      spec.name,
      new batch.FairshareSchedulingPolicy(scope, `SchedulingPolicy-${spec.name}`, {
        schedulingPolicyName: spec.name,
        shares: (spec.shares ?? []).map((share) => ({ ...share })),
        computeReservation: spec.computeReservation ?? 0,
        shareDecay: spec.shareDecay ?? Duration.seconds(0),
      }),
    );
  }
  return policies;
}

/** A queue's `jobStateTimeLimitActions` in the construct's typed form (the reason was validated). */
function timeLimitActions(specs: readonly JobStateTimeLimitActionSpec[]): batch.JobStateTimeLimitAction[] {
  return specs.map((spec) => ({
    action: batch.JobStateTimeLimitActionsAction.CANCEL,
    maxTime: Duration.seconds(spec.maxTimeSeconds),
    reason: spec.reason as batch.JobStateTimeLimitActionsReason,
    state: batch.JobStateTimeLimitActionsState.RUNNABLE,
  }));
}

/** The job queues by name, each trying its compute environments in order, with the scheduling policy it names. */
export function createJobQueues(
  scope: Construct,
  specs: readonly JobQueueSpec[],
  environments: ReadonlyMap<string, batch.FargateComputeEnvironment>,
  schedulingPolicies: readonly SchedulingPolicySpec[],
): Map<string, batch.JobQueue> {
  const policies = createSchedulingPolicies(scope, schedulingPolicies);
  const queues = new Map<string, batch.JobQueue>();
  for (const spec of specs) {
    const policy = spec.schedulingPolicy === undefined ? undefined : policies.get(spec.schedulingPolicy);
    queues.set(
      spec.name,
      new batch.JobQueue(scope, `Queue-${spec.name}`, {
        jobQueueName: spec.name,
        priority: spec.priority,
        computeEnvironments: spec.computeEnvironments.map((name, index) => ({
          computeEnvironment: environments.get(name) as batch.FargateComputeEnvironment,
          order: index + 1,
        })),
        ...(policy ? { schedulingPolicy: policy } : {}),
        ...(spec.jobStateTimeLimitActions?.length
          ? { jobStateTimeLimitActions: timeLimitActions(spec.jobStateTimeLimitActions) }
          : {}),
      }),
    );
  }
  return queues;
}

/** The highest- and the lowest-priority queue (the same one when there is only one). */
export function queuesByPriority(
  specs: readonly JobQueueSpec[],
  queues: ReadonlyMap<string, batch.JobQueue>,
): [batch.JobQueue, batch.JobQueue] {
  const sorted = [...specs].sort((a, b) => b.priority - a.priority);
  return [
    queues.get((sorted[0] as JobQueueSpec).name) as batch.JobQueue,
    queues.get((sorted[sorted.length - 1] as JobQueueSpec).name) as batch.JobQueue,
  ];
}

/** What every job definition shares. */
interface JobDefinitionsOptions {
  /** @default - a role that may read the data bucket's run objects and nothing else */
  readonly jobRole: iam.IRole | undefined;
  /** @default - built from job/Dockerfile */
  readonly jobImage: ecs.ContainerImage | undefined;
  /** The bucket whose run objects (manifests) the jobs read. */
  readonly dataBucket: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  /** Tasks in public subnets without NAT need a public IP to pull their image and send logs. */
  readonly assignPublicIp: boolean;
}

/** The jobs' log group, and the job definitions by name, all running as the one job role. */
export function createJobDefinitions(
  scope: Construct,
  specs: readonly JobDefinitionSpec[],
  options: JobDefinitionsOptions,
): { logGroup: logs.LogGroup; definitions: Map<string, batch.EcsJobDefinition> } {
  const logGroup = new logs.LogGroup(scope, 'JobLogs', {
    retention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const jobRole =
    options.jobRole ??
    new iam.Role(scope, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'fanout jobs: reads run manifests (array path); extend for your workload',
    });
  grantManifestRead(jobRole, options.dataBucket);
  grantJobOutputs(jobRole, options.dataBucket);
  const jobImage = options.jobImage ?? jobImageFromRepository();
  const definitions = new Map<string, batch.EcsJobDefinition>();
  for (const spec of specs) {
    const rules = spec.retryRules ?? SPOT_RETRY_RULES;
    definitions.set(
      spec.name,
      new batch.EcsJobDefinition(scope, `Job-${spec.name}`, {
        jobDefinitionName: spec.name,
        timeout: spec.timeout ?? Duration.hours(1),
        retryAttempts: spec.retryAttempts ?? 3,
        ...(spec.schedulingPriority !== undefined ? { schedulingPriority: spec.schedulingPriority } : {}),
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
          new batch.EcsFargateContainerDefinition(scope, `Container-${spec.name}`, {
            image: spec.image ?? jobImage,
            cpu: spec.vcpus ?? 1,
            memory: Size.mebibytes(spec.memoryMiB ?? 2048),
            ...(spec.command ? { command: [...spec.command] } : {}),
            ...(spec.environment ? { environment: { ...spec.environment } } : {}),
            jobRole,
            assignPublicIp: options.assignPublicIp,
            fargateCpuArchitecture: ecs.CpuArchitecture.X86_64,
            fargateOperatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
            logging: ecs.LogDriver.awsLogs({ logGroup, streamPrefix: 'fanout' }),
          }),
        ),
      }),
    );
  }
  return { logGroup, definitions };
}

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

/**
 * Jobs keep their outputs under `results/` of the data bucket, where an aggregation job lists
 * and reads them (the Python example does): read, write and list that prefix, nothing else.
 */
function grantJobOutputs(role: iam.IRole, bucket: s3.IBucket): void {
  const outputs = bucket.arnForObjects(`${JOB_OUTPUTS_PREFIX}*`);
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [outputs] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${JOB_OUTPUTS_PREFIX}*`] } },
    }),
  );
  acknowledgeWildcards(role, [
    {
      finding: resourceFinding(bucket, outputs),
      reason: `Jobs write and read their outputs under ${JOB_OUTPUTS_PREFIX}, keyed by run and item ids chosen per execution`,
    },
  ]);
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
