import { Duration, Token } from 'aws-cdk-lib';
import type { FanoutConfig } from '../config';
import { FanoutInfraError } from './errors';
import type {
  ComputeEnvironmentSpec,
  FanoutOrchestratorProps,
  JobDefinitionSpec,
  JobQueueSpec,
  SchedulingPolicySpec,
} from './fanout-orchestrator-props';
import { jobImageOf } from './private/job-image';

/**
 * Orchestrator props from `fanout.config.json`, the file the local cloud reads: the same names
 * for compute environments, queues, job definitions, the ledger, the state machine and the
 * topic, so an input that runs locally runs on AWS unchanged.
 *
 * - Compute environments must be FARGATE or FARGATE_SPOT (the stack deploys Fargate only).
 * - A job definition's `image` (docs/job-image.md): a folder with a Dockerfile is built at deploy
 *   time with the launcher's build context; an ECR URI is pulled with permissions on that
 *   repository; another registry URI is pulled as it is; a bare tag such as `fanout-job:latest`
 *   means fanout's own image, built from job/Dockerfile.
 * - GPUs are refused: the stack deploys Fargate compute environments only.
 * - A job definition without `retryStrategy` is not retried, as locally.
 * - `schedulingPolicies` become fair-share policies, attached to the queues that name them; a
 *   queue naming a policy the file does not define gets an even one (every share weight 1), as locally.
 * - S3 bucket names are global, so the data bucket is `<bucket>-<account>-<region>`.
 *
 * @example new FanoutOrchestrator(stack, 'Fanout', propsFromConfig(loadConfig(), { account, region }))
 */
export function propsFromConfig(
  config: FanoutConfig,
  where: { account: string; region: string },
): FanoutOrchestratorProps {
  const computeEnvironments = config.computeEnvironments.map((environment, index): ComputeEnvironmentSpec => {
    if (environment.type !== 'FARGATE' && environment.type !== 'FARGATE_SPOT') {
      throw FanoutInfraError.of(
        `computeEnvironments.${index}.type`,
        'must be FARGATE or FARGATE_SPOT for the AWS deployment',
        environment.type,
      );
    }
    return { name: environment.name, spot: environment.type === 'FARGATE_SPOT', maxvCpus: environment.maxvCpus };
  });
  const jobQueues = config.jobQueues.map(
    (queue): JobQueueSpec => ({
      name: queue.name,
      priority: queue.priority,
      computeEnvironments: queue.computeEnvironments,
      ...(queue.schedulingPolicy ? { schedulingPolicy: queue.schedulingPolicy } : {}),
      ...(queue.jobStateTimeLimitActions ? { jobStateTimeLimitActions: queue.jobStateTimeLimitActions } : {}),
    }),
  );
  const schedulingPolicies = config.schedulingPolicies.map(
    (policy): SchedulingPolicySpec => ({
      name: policy.name,
      shares: policy.shareDistribution.map((share) => ({ ...share })),
      computeReservation: policy.computeReservation,
      shareDecay: Duration.seconds(policy.shareDecaySeconds),
    }),
  );
  // As the local cloud does: a queue naming a policy the file does not define gets an even one.
  for (const queue of config.jobQueues) {
    const name = queue.schedulingPolicy;
    if (name !== undefined && !schedulingPolicies.some((policy) => policy.name === name))
      schedulingPolicies.push({ name, shares: [], computeReservation: 0, shareDecay: Duration.seconds(0) });
  }
  const jobDefinitions = config.jobDefinitions.map((definition, index): JobDefinitionSpec => {
    if (definition.gpus > 0) {
      throw FanoutInfraError.of(
        `jobDefinitions.${index}.gpus`,
        'must be 0 for the AWS deployment: Fargate has no GPUs, and the stack deploys Fargate compute environments only',
        definition.gpus,
      );
    }
    const image = jobImageOf(definition.image, `jobDefinitions.${index}.image`);
    return {
      name: definition.name,
      ...(image ? { image } : {}),
      vcpus: definition.vcpus,
      memoryMiB: definition.memoryMiB,
      ...(definition.command.length > 0 ? { command: definition.command } : {}),
      ...(definition.timeoutSeconds !== undefined ? { timeout: Duration.seconds(definition.timeoutSeconds) } : {}),
      retryAttempts: definition.retryStrategy?.attempts ?? 1,
      retryRules: (definition.retryStrategy?.evaluateOnExit ?? []).map((rule) => ({ ...rule })),
      ...(Object.keys(definition.environment).length > 0 ? { environment: definition.environment } : {}),
      ...(definition.schedulingPriority !== undefined ? { schedulingPriority: definition.schedulingPriority } : {}),
    };
  });
  return {
    computeEnvironments,
    jobQueues,
    jobDefinitions,
    schedulingPolicies,
    ledgerTableName: config.ledgerTable,
    mapStateMachineName: config.mapStateMachine,
    arrayStateMachineName: config.arrayStateMachine,
    notificationTopicName: config.notificationTopic,
    ...dataBucketName(config.bucket, where),
  };
}

function dataBucketName(bucket: string, where: { account: string; region: string }): { bucketName?: string } {
  if (Token.isUnresolved(where.account) || Token.isUnresolved(where.region)) return {};
  const name = `${bucket}-${where.account}-${where.region}`;
  if (name.length > 63)
    throw FanoutInfraError.of(
      'bucket',
      `with "-<account>-<region>" appended must stay within 63 characters (S3 limit): ${name}`,
      bucket,
    );
  return { bucketName: name };
}
