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

const jobQueueSchema = z.strictObject({
  name,
  priority: z.number().int().min(0).max(1000),
  computeEnvironments: z.array(name).min(1).max(3),
  /** Name of a fair-share scheduling policy; jobs then need a shareIdentifier. */
  schedulingPolicy: name.optional(),
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
  local: z
    .strictObject({
      /** vCPUs the local compute environments share; "auto" = this machine's cores. */
      vcpus: z.union([z.literal('auto'), z.number().int().positive()]).default('auto'),
      /**
       * The least job timeout (SubmitJob and the input's `timeout`) the local cloud accepts. AWS
       * Batch's floor is 60 seconds; locally a shorter one lets a test of a timeout end quickly.
       */
      minTimeoutSeconds: z.number().int().min(1).default(1),
    })
    .default({ vcpus: 'auto', minTimeoutSeconds: 1 }),
});

export type FanoutConfig = z.infer<typeof fanoutConfigSchema>;
export type JobDefinitionConfig = z.infer<typeof jobDefinitionSchema>;
export type JobQueueConfig = z.infer<typeof jobQueueSchema>;
export type ComputeEnvironmentConfig = z.infer<typeof computeEnvironmentSchema>;
export type RetryStrategyConfig = z.infer<typeof retryStrategySchema>;
export type ImageConfig = z.infer<typeof imageSchema>;
