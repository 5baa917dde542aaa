import { z } from 'zod';

/**
 * The one configuration file (`fanout.config.json`) read by the local cloud and by
 * the CDK app. Names here are the physical names on both sides.
 */
const nameRule = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const name = z
  .string()
  .regex(nameRule, 'must be 1-128 letters, digits, hyphens or underscores, starting with a letter or digit');

const evaluateOnExitSchema = z.strictObject({
  onStatusReason: z.string().max(512).optional(),
  onReason: z.string().max(512).optional(),
  onExitCode: z.string().max(512).optional(),
  action: z.enum(['RETRY', 'EXIT']),
});

const retryStrategySchema = z.strictObject({
  attempts: z.number().int().min(1).max(10),
  evaluateOnExit: z.array(evaluateOnExitSchema).max(5).optional(),
});

const computeEnvironmentSchema = z.strictObject({
  name,
  type: z.enum(['FARGATE', 'FARGATE_SPOT', 'EC2', 'SPOT']),
  maxvCpus: z.number().int().positive(),
});

/**
 * Cancels a job left at the head of its queue, RUNNABLE for `reason`, longer than `maxTimeSeconds`
 * (docs: batch/latest/APIReference/API_JobStateTimeLimitAction.html).
 */
const jobStateTimeLimitActionSchema = z.strictObject({
  reason: z.string().min(1),
  state: z.literal('RUNNABLE'),
  maxTimeSeconds: z.number().int().min(600).max(86_400),
  action: z.literal('CANCEL'),
});

const jobQueueSchema = z.strictObject({
  name,
  priority: z.number().int().min(0).max(1000),
  /** In order of preference: a job starts on the first one with room. */
  computeEnvironments: z.array(name).min(1).max(3),
  /** Name of a fair-share scheduling policy; jobs then need a shareIdentifier. */
  schedulingPolicy: name.optional(),
  jobStateTimeLimitActions: z.array(jobStateTimeLimitActionSchema).optional(),
});

/** A fair-share scheduling policy (docs: batch/latest/APIReference/API_FairsharePolicy.html). */
const schedulingPolicySchema = z.strictObject({
  name,
  /** How long past usage counts against a share; 0 = current usage only. */
  shareDecaySeconds: z.number().int().min(0).max(604_800).default(0),
  /** Percentage of capacity held back for share identifiers not yet active, as `(computeReservation/100)^activeShares`. */
  computeReservation: z.number().int().min(0).max(99).default(0),
  shareDistribution: z
    .array(
      z.strictObject({
        /** A share identifier, or a prefix ending with `*`. */
        shareIdentifier: z.string().regex(/^[A-Za-z0-9]{1,255}\*?$/),
        /** Lower gets more: a weight of 0.125 gets eight times what a weight of 1 gets. @default 1 */
        weightFactor: z.number().min(0.0001).max(999.9999).default(1),
      }),
    )
    .max(500)
    .default([]),
});

/**
 * A job definition's image (docs/job-image.md): a registry URI (ECR or public) of an image that has
 * the fanout launcher, a bare tag such as `fanout-job:latest` for fanout's own image, or a folder
 * with a Dockerfile that the deployment builds (with the launcher's build context).
 */
const imageSchema = z.union([
  z.string().min(1),
  z.strictObject({
    /** The build context, relative to the configuration file's folder. */
    directory: z.string().min(1),
    /** The Dockerfile, relative to `directory`. */
    file: z.string().min(1).default('Dockerfile'),
  }),
]);

const jobDefinitionSchema = z.strictObject({
  name,
  image: imageSchema,
  vcpus: z.number().positive().default(1),
  memoryMiB: z.number().int().positive().default(2048),
  /** GPUs per job; they need EC2 compute environments (Fargate has none). */
  gpus: z.number().int().min(0).default(0),
  command: z.array(z.string()).default([]),
  /** Per-attempt timeout; Batch's minimum is 60 seconds. */
  timeoutSeconds: z.number().int().min(60).optional(),
  /** Order of the job among its share's jobs on a fair-share queue (higher first), unless SubmitJob overrides it. */
  schedulingPriority: z.number().int().min(0).max(9999).optional(),
  retryStrategy: retryStrategySchema.optional(),
  environment: z.record(z.string(), z.string()).default({}),
});

export const fanoutConfigSchema = z.strictObject({
  region: z.string().default('us-east-1'),
  accountId: z
    .string()
    .regex(/^\d{12}$/)
    .default('000000000000'),
  ledgerTable: name.default('fanout-ledger'),
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/)
    .default('fanout-data'),
  mapStateMachine: name.default('fanout-map'),
  arrayStateMachine: name.default('fanout-array'),
  notificationTopic: name.default('fanout-notices'),
  computeEnvironments: z.array(computeEnvironmentSchema).min(1),
  jobQueues: z.array(jobQueueSchema).min(1),
  jobDefinitions: z.array(jobDefinitionSchema).min(1),
  /** Fair-share policies named by the queues' `schedulingPolicy`. */
  schedulingPolicies: z.array(schedulingPolicySchema).default([]),
  local: z
    .strictObject({
      /**
       * vCPUs this machine lends the compute environments, all of them together: a job starts on a
       * compute environment when both it (its `maxvCpus`) and this pool have room; "auto" = this machine's cores.
       */
      vcpus: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
      /**
       * Chance (0 to 1) that an attempt placed on a SPOT or FARGATE_SPOT compute environment loses its
       * host, `spotInterruptionAfterSeconds` after it starts running (docs/local-batch.md, "Spot").
       */
      spotInterruptionRate: z.number().min(0).max(1).default(0),
      spotInterruptionAfterSeconds: z.number().min(0).default(0),
      /**
       * The least job timeout (SubmitJob and the input's `timeout`) the local cloud accepts. AWS
       * Batch's floor is 60 seconds; locally a shorter one lets a test of a timeout end quickly.
       */
      minTimeoutSeconds: z.number().int().min(1).default(1),
    })
    .default({ vcpus: 'auto', minTimeoutSeconds: 1, spotInterruptionRate: 0, spotInterruptionAfterSeconds: 0 }),
});

export type FanoutConfig = z.infer<typeof fanoutConfigSchema>;
export type JobDefinitionConfig = z.infer<typeof jobDefinitionSchema>;
export type JobQueueConfig = z.infer<typeof jobQueueSchema>;
export type ComputeEnvironmentConfig = z.infer<typeof computeEnvironmentSchema>;
export type SchedulingPolicyConfig = z.infer<typeof schedulingPolicySchema>;
export type JobStateTimeLimitActionConfig = z.infer<typeof jobStateTimeLimitActionSchema>;
export type RetryStrategyConfig = z.infer<typeof retryStrategySchema>;
export type ImageConfig = z.infer<typeof imageSchema>;
