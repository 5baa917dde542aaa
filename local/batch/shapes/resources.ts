/** The API shapes of the resources: job queues, job definitions, compute environments, scheduling policies. */
import type {
  ComputeEnvironmentDetail,
  JobDefinition,
  JobQueueDetail,
  SchedulingPolicyDetail,
} from '@aws-sdk/client-batch';
import { imageReference } from '../../../config';
import type { BatchResources } from '../resources';
import type { ComputeEnvironmentState, DefinitionState, QueueState, SchedulingPolicyState } from '../store/records';

export function jobQueueDetail(queue: QueueState): JobQueueDetail {
  return {
    jobQueueName: queue.name,
    jobQueueArn: queue.arn,
    state: queue.state,
    status: 'VALID',
    statusReason: 'JobQueue Healthy',
    priority: queue.priority,
    computeEnvironmentOrder: queue.computeEnvironmentOrder.map((entry) => ({
      order: entry.order,
      computeEnvironment: entry.computeEnvironment.arn,
    })),
    ...(queue.schedulingPolicy ? { schedulingPolicyArn: queue.schedulingPolicy.arn } : {}),
    jobQueueType: queue.computeEnvironmentOrder[0]?.computeEnvironment.type.startsWith('FARGATE')
      ? 'ECS_FARGATE'
      : 'ECS',
    tags: { ...queue.tags },
    jobStateTimeLimitActions: queue.jobStateTimeLimitActions.map((action) => ({ ...action })),
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
  ce: ComputeEnvironmentState,
  resources: BatchResources,
): ComputeEnvironmentDetail {
  return {
    computeEnvironmentName: ce.name,
    computeEnvironmentArn: ce.arn,
    ecsClusterArn: `arn:aws:ecs:${resources.region}:${resources.accountId}:cluster/AWSBatch-${ce.name}`,
    type: 'MANAGED',
    state: ce.state,
    status: 'VALID',
    statusReason: 'ComputeEnvironment Healthy',
    computeResources: {
      type: ce.type,
      maxvCpus: ce.maxvCpus,
      minvCpus: ce.minvCpus,
      subnets: [...ce.subnets],
      securityGroupIds: [...ce.securityGroupIds],
    },
    containerOrchestrationType: 'ECS',
    tags: { ...ce.tags },
  };
}

export function schedulingPolicyDetail(policy: SchedulingPolicyState): SchedulingPolicyDetail {
  return {
    name: policy.name,
    arn: policy.arn,
    fairsharePolicy: {
      shareDecaySeconds: policy.shareDecaySeconds,
      computeReservation: policy.computeReservation,
      shareDistribution: policy.shareDistribution.map((share) => ({ ...share })),
    },
    tags: { ...policy.tags },
  };
}
