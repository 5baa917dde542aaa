import type { ComputeEnvironmentSpec, JobQueueSpec, RetryRule } from '../fanout-orchestrator-props';

/** The Batch defaults `FanoutOrchestratorProps` documents, in one place for the construct and its checks. */

export const DEFAULT_COMPUTE_ENVIRONMENTS: readonly ComputeEnvironmentSpec[] = [
  { name: 'fanout-fargate', spot: false, maxvCpus: 256 },
  { name: 'fanout-fargate-spot', spot: true, maxvCpus: 256 },
];

export const DEFAULT_JOB_QUEUES: readonly JobQueueSpec[] = [
  { name: 'fanout-high', priority: 100, computeEnvironments: ['fanout-fargate', 'fanout-fargate-spot'] },
  { name: 'fanout-low', priority: 10, computeEnvironments: ['fanout-fargate-spot', 'fanout-fargate'] },
];

/** Spot loss on EC2 and on Fargate (docs: batch/latest/userguide/job_retries.html), then EXIT for anything else. */
export const SPOT_RETRY_RULES: readonly RetryRule[] = [
  { onStatusReason: 'Host EC2*', action: 'RETRY' },
  { onStatusReason: 'Your Spot Task was interrupted*', action: 'RETRY' },
  { onReason: '*', action: 'EXIT' },
];
