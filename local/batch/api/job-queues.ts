/**
 * CreateJobQueue, UpdateJobQueue, DeleteJobQueue and DescribeJobQueues
 * (docs: batch/latest/APIReference/API_CreateJobQueue.html, API_UpdateJobQueue.html,
 * API_DeleteJobQueue.html, API_ComputeEnvironmentOrder.html).
 */
import type { JobQueueDetail } from '@aws-sdk/client-batch';
import type { BatchResources } from '../resources';
import { jobQueueDetail } from '../shapes/resources';
import type { QueueState, SchedulingPolicyState } from '../store/records';
import { jobStatuses } from '../store/status-index';
import {
  optionalArray,
  optionalEnum,
  optionalInteger,
  reference,
  refuseUnsupported,
  requestBody,
  requiredInteger,
  resourceName,
  tags,
  timeLimitActions,
} from './resource-input';
import type { ServiceParts } from './service-parts';
import { stopJob } from './stop-job';
import { describe, fail, isObject, optionalStringList } from './validate';

type Parts = Pick<ServiceParts, 'resources' | 'scheduler' | 'store' | 'executor'>;

const states = ['ENABLED', 'DISABLED'] as const;
/** A job queue holds at most 3 compute environments (docs: batch/latest/userguide/service_limits.html). */
const maxComputeEnvironments = 3;

export function createJobQueue(
  { resources, scheduler }: Parts,
  request: unknown,
): { jobQueueName: string; jobQueueArn: string } {
  const body = requestBody(request, 'CreateJobQueue');
  const name = resourceName(body, 'jobQueueName');
  refuseUnsupported(body, ['serviceEnvironmentOrder']);
  const state = optionalEnum(body, 'state', states) ?? 'ENABLED';
  const priority = requiredInteger(body, 'priority', 0, 1000);
  const order = computeEnvironmentOrder(resources, body);
  if (!order) fail('computeEnvironmentOrder is required: 1 to 3 entries of { order, computeEnvironment }');
  const policy = schedulingPolicy(resources, body);
  const actions = timeLimitActions(body) ?? [];
  const queueTags = tags(body);
  if (resources.queues.has(name)) fail(`jobQueueName: a job queue named ${name} already exists`);
  const queue = resources.addQueue({
    name,
    priority,
    state,
    computeEnvironmentOrder: order as QueueState['computeEnvironmentOrder'],
    schedulingPolicy: policy,
    jobStateTimeLimitActions: actions,
    tags: queueTags,
  });
  scheduler.scheduleTick();
  return { jobQueueName: name, jobQueueArn: queue.arn };
}

/**
 * Changes `state`, `priority`, `computeEnvironmentOrder`, `jobStateTimeLimitActions` and the
 * scheduling policy (replaced, never added to a FIFO queue nor removed, as on AWS).
 */
export function updateJobQueue(
  { resources, scheduler }: Parts,
  request: unknown,
): { jobQueueName: string; jobQueueArn: string } {
  const body = requestBody(request, 'UpdateJobQueue');
  const queue = requireQueue(resources, body);
  const state = optionalEnum(body, 'state', states);
  const priority = optionalInteger(body, 'priority', 0, 1000);
  const order = computeEnvironmentOrder(resources, body);
  const policy = schedulingPolicy(resources, body);
  if (policy && !queue.schedulingPolicy)
    fail(
      `schedulingPolicyArn: job queue ${queue.name} was created without a scheduling policy (FIFO) and cannot be given one`,
    );
  const actions = timeLimitActions(body);
  if (state) queue.state = state;
  if (priority !== undefined) queue.priority = priority;
  if (order) queue.computeEnvironmentOrder = order;
  if (policy) queue.schedulingPolicy = policy;
  if (actions) queue.jobStateTimeLimitActions = actions;
  resources.sortQueues();
  // A job already blocked at the head is held to the new actions, from when it was blocked.
  const head = queue.runnable.peek();
  if (head) scheduler.timeLimits.refresh(head);
  scheduler.scheduleTick();
  return { jobQueueName: queue.name, jobQueueArn: queue.arn };
}

/** Deletes a DISABLED queue; its jobs not yet finished are terminated, as on AWS. */
export function deleteJobQueue(parts: Parts, request: unknown): Record<string, never> {
  const body = requestBody(request, 'DeleteJobQueue');
  const queue = requireQueue(parts.resources, body);
  if (queue.state !== 'DISABLED')
    fail(`jobQueue: ${queue.name} is ENABLED; set its state to DISABLED with UpdateJobQueue before deleting it`);
  const unfinished: string[] = [];
  queue.byStatus.scan(jobStatuses.slice(0, 5), { status: 0, position: 0 }, (jobId) => {
    unfinished.push(jobId);
    return true;
  });
  for (const jobId of unfinished) {
    const job = parts.store.get(jobId);
    if (job) stopJob(parts, job, `Job queue ${queue.name} was deleted`, true);
  }
  parts.resources.removeQueue(queue);
  parts.scheduler.scheduleTick();
  return {};
}

/** Every queue, or those named (by name or ARN) in `jobQueues`; unknown ones are left out. */
export function describeJobQueues(
  { resources }: Pick<ServiceParts, 'resources'>,
  request: unknown,
): { jobQueues: JobQueueDetail[] } {
  const wanted = optionalStringList(request, 'jobQueues', 100);
  const queues = wanted
    ? wanted.map((ref) => resources.findQueue(ref)).filter((queue) => queue !== undefined)
    : [...resources.queues.values()];
  return { jobQueues: queues.map((queue) => jobQueueDetail(queue)) };
}

function requireQueue(resources: BatchResources, body: Record<string, unknown>): QueueState {
  const ref = reference(body, 'jobQueue');
  const queue = resources.findQueue(ref);
  if (!queue) fail(`jobQueue: no job queue ${ref}`);
  return queue as QueueState;
}

function schedulingPolicy(resources: BatchResources, body: Record<string, unknown>): SchedulingPolicyState | undefined {
  const ref = body.schedulingPolicyArn;
  if (ref === undefined || ref === null) return undefined;
  if (typeof ref !== 'string') fail(`schedulingPolicyArn must be a string; received ${describe(ref)}`);
  const policy = resources.findSchedulingPolicy(ref as string);
  if (!policy) fail(`schedulingPolicyArn: no scheduling policy ${ref as string}`);
  return policy;
}

/**
 * `computeEnvironmentOrder`: 1 to 3 existing compute environments, each once, with distinct
 * `order` values, all EC2 (EC2, SPOT) or all Fargate (FARGATE, FARGATE_SPOT).
 */
function computeEnvironmentOrder(
  resources: BatchResources,
  body: Record<string, unknown>,
): QueueState['computeEnvironmentOrder'] | undefined {
  const list = optionalArray(body, 'computeEnvironmentOrder');
  if (!list) return undefined;
  if (list.length < 1 || list.length > maxComputeEnvironments)
    fail(`computeEnvironmentOrder must hold 1 to ${maxComputeEnvironments} entries; received ${list.length}`);
  const orders = new Set<number>();
  const order = list.map((entry, index) => {
    const field = `computeEnvironmentOrder[${index}]`;
    if (!isObject(entry)) fail(`${field} must be an object; received ${describe(entry)}`);
    const item = entry as Record<string, unknown>;
    const position = optionalInteger(item, 'order', 0, 2 ** 31 - 1, `${field}.order`);
    if (position === undefined) fail(`${field}.order is required: a non-negative integer`);
    if (orders.has(position as number))
      fail(`${field}.order: ${position} is used twice; each compute environment of a queue needs its own order`);
    orders.add(position as number);
    const ref = item.computeEnvironment;
    if (typeof ref !== 'string' || ref.length === 0)
      fail(`${field}.computeEnvironment is required: a name or an ARN; received ${describe(ref)}`);
    const environment = resources.findComputeEnvironment(ref as string);
    if (!environment) fail(`${field}.computeEnvironment: no compute environment ${ref as string}`);
    return { order: position as number, computeEnvironment: environment as NonNullable<typeof environment> };
  });
  const names = new Set(order.map((entry) => entry.computeEnvironment.name));
  if (names.size !== order.length) fail('computeEnvironmentOrder lists a compute environment twice');
  const kinds = new Set(order.map((entry) => entry.computeEnvironment.type.startsWith('FARGATE')));
  if (kinds.size > 1)
    fail(
      'computeEnvironmentOrder mixes EC2 (EC2, SPOT) and Fargate (FARGATE, FARGATE_SPOT) compute environments, which a job queue cannot',
    );
  return order.sort((a, b) => a.order - b.order);
}
