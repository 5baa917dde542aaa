import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The public interface of `FanoutOrchestrator`: its props and the types they are made of.
 * Types only, so the construct's modules (and `infra/private/`) can share them without a cycle.
 */

/** The state machines the orchestrator deploys. */
export type FanoutPath = 'map' | 'array';

/** One `evaluateOnExit` rule of a Batch retry strategy. */
export interface RetryRule {
  /** Glob on the job's status reason, e.g. `Host EC2*` (Spot reclaimed). */
  readonly onStatusReason?: string | undefined;
  /** Glob on the container's reason. */
  readonly onReason?: string | undefined;
  /** Glob on the exit code, e.g. `137`. */
  readonly onExitCode?: string | undefined;
  readonly action: 'RETRY' | 'EXIT';
}

/** A recurring run of the map state machine. */
export interface FanoutScheduleOptions {
  /**
   * When to run, e.g. `ScheduleExpression.cron({ minute: '0', hour: '2' })` or
   * `ScheduleExpression.rate(Duration.hours(6))`.
   */
  readonly expression: scheduler.ScheduleExpression;
  /**
   * The execution input of every scheduled run (the same contract as `fanout run`'s input file).
   * It must not set `runId`: each run's id comes from its scheduled time.
   */
  readonly input: Readonly<Record<string, unknown>>;
  /**
   * Start of each run id and execution name: `<prefix>-<scheduled time>`, e.g.
   * `nightly-2026-11-22T020000Z`. 1-36 letters, digits, hyphens or underscores.
   * @default 'scheduled'
   */
  readonly runIdPrefix?: string;
  /** @default true */
  readonly enabled?: boolean;
  /** @default - no description */
  readonly description?: string;
}

/**
 * The deployed schedule (`FanoutOrchestrator.schedule`): the EventBridge schedule and the small
 * state machine it starts, which names each run after its scheduled time and starts the map run.
 */
export interface FanoutSchedule {
  readonly schedule: scheduler.Schedule;
  readonly stateMachine: sfn.StateMachine;
}

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
   * Name of one of `schedulingPolicies`: the queue schedules by fair share, and every run on it
   * must give a `shareIdentifier` (Prepare refuses one that does not, and one that gives it on a
   * queue without a policy).
   * @default - first in, first out
   */
  readonly schedulingPolicy?: string;
  /**
   * Cancels a job left RUNNABLE at the head of the queue for `reason` longer than `maxTimeSeconds`
   * (docs: batch/latest/APIReference/API_JobStateTimeLimitAction.html).
   * @default - none: such a job waits
   */
  readonly jobStateTimeLimitActions?: readonly JobStateTimeLimitActionSpec[];
}

/** One `jobStateTimeLimitActions` entry of a job queue. */
export interface JobStateTimeLimitActionSpec {
  /** `CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY`, `MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE` or `MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT`. */
  readonly reason: string;
  readonly state: 'RUNNABLE';
  /** 600-86,400 seconds. */
  readonly maxTimeSeconds: number;
  readonly action: 'CANCEL';
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
  /**
   * Order of its jobs within their share on a fair-share queue, higher first (0-9999); a run's
   * `schedulingPriority` overrides it.
   * @default - none (Batch then orders the share's jobs first in, first out)
   */
  readonly schedulingPriority?: number;
}

/** A fair-share scheduling policy (docs: batch/latest/APIReference/API_FairsharePolicy.html). */
export interface SchedulingPolicySpec {
  /** Physical name; queues name it in `schedulingPolicy`. */
  readonly name: string;
  /**
   * Share identifiers (or `prefix*`) and their weights: a lower weight gets more of the capacity.
   * @default - none: every share has weight 1
   */
  readonly shares?: readonly { readonly shareIdentifier: string; readonly weightFactor: number }[];
  /** Percentage of capacity kept for share identifiers not yet active (0-99). @default 0 */
  readonly computeReservation?: number;
  /** How long past usage counts against a share. @default - only current usage (0 seconds) */
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
  /** Fair-share policies, each attached to the queues that name it. @default - none */
  readonly schedulingPolicies?: readonly SchedulingPolicySpec[];
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
