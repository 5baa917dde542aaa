/** The API shapes of the resources from the configuration: job queues, job definitions, compute environments. */
import type { ComputeEnvironmentDetail, JobDefinition, JobQueueDetail } from '@aws-sdk/client-batch';
import { type ComputeEnvironmentConfig, imageReference } from '../../../config';
import type { BatchResources } from '../resources';
import type { DefinitionState, QueueState } from '../store/records';

export function jobQueueDetail(queue: QueueState, resources: BatchResources): JobQueueDetail {
  return {
    jobQueueName: queue.name,
    jobQueueArn: queue.arn,
    state: 'ENABLED',
    status: 'VALID',
    statusReason: 'JobQueue Healthy',
    priority: queue.priority,
    computeEnvironmentOrder: queue.computeEnvironments.map((name, order) => ({
      order: order + 1,
      computeEnvironment: resources.arn('compute-environment', name),
    })),
    ...(queue.schedulingPolicy
      ? { schedulingPolicyArn: resources.arn('scheduling-policy', queue.schedulingPolicy) }
      : {}),
    jobQueueType: 'ECS',
    tags: {},
    jobStateTimeLimitActions: [],
  };
}

export function jobDefinitionDetail(definition: DefinitionState): JobDefinition {
  return {
    jobDefinitionName: definition.name,
    jobDefinitionArn: definition.arn,
    revision: 1,
    status: 'ACTIVE',
    type: 'container',
    parameters: {},
    ...(definition.config.retryStrategy ? { retryStrategy: definition.config.retryStrategy } : {}),
    ...(definition.config.timeoutSeconds
      ? { timeout: { attemptDurationSeconds: definition.config.timeoutSeconds } }
      : {}),
    containerProperties: {
      image: imageReference(definition.config),
      command: definition.config.command,
      environment: definition.environment,
      resourceRequirements: [
        { type: 'VCPU', value: String(definition.config.vcpus) },
        { type: 'MEMORY', value: String(definition.config.memoryMiB) },
      ],
      mountPoints: [],
      volumes: [],
      ulimits: [],
      secrets: [],
    },
    tags: {},
    propagateTags: false,
    containerOrchestrationType: 'ECS',
  };
}

export function computeEnvironmentDetail(
  ce: ComputeEnvironmentConfig,
  resources: BatchResources,
): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: ce.name,
    computeEnvironmentArn: resources.arn('compute-environment', ce.name),
    ecsClusterArn: `arn:aws:ecs:${resources.region}:${resources.accountId}:cluster/AWSBatch-${ce.name}`,
    type: 'MANAGED',
    state: 'ENABLED',
    status: 'VALID',
    statusReason: 'ComputeEnvironment Healthy',
    computeResources: { type: ce.type, maxvCpus: ce.maxvCpus, minvCpus: 0, subnets: [], securityGroupIds: [] },
    containerOrchestrationType: 'ECS',
    tags: {},
  };
}
