/**
 * The compute environments, job queues, scheduling policies and job definitions the service
 * serves: those of the configuration at start, then as the control-plane operations change them.
 */
import type { FanoutConfig, SchedulingPolicyConfig } from '../../config';
import type { Clock } from '../engine/types';
import { BatchClientError } from './errors';
import { runnableJobsFor } from './scheduler/runnable';
import type {
  ComputeEnvironmentState,
  DefinitionState,
  QueueState,
  SchedulingPolicyState,
  TimeLimitAction,
} from './store/records';
import { StatusIndex } from './store/status-index';

/** What a new queue is made of; the rest (ARN, runnable jobs, status index) comes with it. */
export interface QueueSpec {
  name: string;
  priority: number;
  state: QueueState['state'];
  computeEnvironmentOrder: QueueState['computeEnvironmentOrder'];
  schedulingPolicy?: SchedulingPolicyState | undefined;
  jobStateTimeLimitActions: TimeLimitAction[];
  tags: Record<string, string>;
}

/**
 * Every resource the service knows, by name.
 * @example const resources = new BatchResources(config, clock); resources.resolveQueue('fanout-high').arn;
 */
export class BatchResources {
  readonly region: string;
  readonly accountId: string;
  readonly queues = new Map<string, QueueState>();
  readonly computeEnvironments = new Map<string, ComputeEnvironmentState>();
  readonly schedulingPolicies = new Map<string, SchedulingPolicyState>();
  /** By name; every definition is at revision 1. */
  readonly definitions = new Map<string, DefinitionState>();
  /** The least `timeout.attemptDurationSeconds` SubmitJob accepts (AWS: 60; docs/job-contract.md, "Timeout"). */
  readonly minTimeoutSeconds: number;
  private byPriority: QueueState[] = [];
  private queueSequence = 0;

  constructor(
    config: FanoutConfig,
    private readonly clock: Clock,
  ) {
    this.minTimeoutSeconds = config.local.minTimeoutSeconds;
    this.region = config.region;
    this.accountId = config.accountId;
    for (const ce of config.computeEnvironments) {
      this.computeEnvironments.set(ce.name, {
        name: ce.name,
        arn: this.arn('compute-environment', ce.name),
        type: ce.type,
        state: 'ENABLED',
        maxvCpus: ce.maxvCpus,
        minvCpus: 0,
        subnets: [],
        securityGroupIds: [],
        tags: {},
        vcpusInUse: 0,
      });
    }
    for (const policy of config.schedulingPolicies) this.addSchedulingPolicy(policy, {});
    for (const queue of config.jobQueues) {
      // A policy the configuration names but does not define is an even one: every share weighs 1.
      const policyName = queue.schedulingPolicy;
      if (policyName && !this.schedulingPolicies.has(policyName)) {
        this.addSchedulingPolicy(
          { name: policyName, shareDecaySeconds: 0, computeReservation: 0, shareDistribution: [] },
          {},
        );
      }
      this.addQueue({
        name: queue.name,
        priority: queue.priority,
        state: 'ENABLED',
        computeEnvironmentOrder: queue.computeEnvironments.map((name, index) => ({
          order: index + 1,
          computeEnvironment: this.computeEnvironments.get(name) as ComputeEnvironmentState,
        })),
        schedulingPolicy: policyName ? this.schedulingPolicies.get(policyName) : undefined,
        jobStateTimeLimitActions: (queue.jobStateTimeLimitActions ?? []).map((action) => ({ ...action })),
        tags: {},
      });
    }
    for (const definition of config.jobDefinitions) {
      this.definitions.set(definition.name, {
        name: definition.name,
        arn: `${this.arn('job-definition', definition.name)}:1`,
        config: definition,
        environment: Object.entries(definition.environment).map(([name, value]) => ({ name, value })),
      });
    }
  }

  /** Higher priority first; order of creation between equal priorities. */
  get queuesByPriority(): readonly QueueState[] {
    return this.byPriority;
  }

  /** `arn:aws:batch:<region>:<account>:<kind>/<name>`. */
  arn(kind: string, name: string): string {
    return `arn:aws:batch:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  /** The name in `ref`, a name or an ARN of this kind. */
  nameOf(kind: string, ref: string): string {
    const prefix = this.arn(kind, '');
    return ref.startsWith(prefix) ? ref.slice(prefix.length) : ref;
  }

  addSchedulingPolicy(policy: SchedulingPolicyConfig, tags: Record<string, string>): SchedulingPolicyState {
    const state: SchedulingPolicyState = {
      name: policy.name,
      arn: this.arn('scheduling-policy', policy.name),
      shareDecaySeconds: policy.shareDecaySeconds,
      computeReservation: policy.computeReservation,
      shareDistribution: policy.shareDistribution.map((share) => ({ ...share })),
      tags,
    };
    this.schedulingPolicies.set(policy.name, state);
    return state;
  }

  addQueue(spec: QueueSpec): QueueState {
    const queue: QueueState = {
      name: spec.name,
      arn: this.arn('job-queue', spec.name),
      priority: spec.priority,
      state: spec.state,
      computeEnvironmentOrder: [...spec.computeEnvironmentOrder].sort((a, b) => a.order - b.order),
      jobStateTimeLimitActions: spec.jobStateTimeLimitActions,
      tags: spec.tags,
      sequence: this.queueSequence++,
      runnable: runnableJobsFor(spec.schedulingPolicy !== undefined, () => queue.schedulingPolicy, this.clock),
      byStatus: new StatusIndex(),
    };
    if (spec.schedulingPolicy) queue.schedulingPolicy = spec.schedulingPolicy;
    this.queues.set(queue.name, queue);
    this.sortQueues();
    return queue;
  }

  removeQueue(queue: QueueState): void {
    this.queues.delete(queue.name);
    this.sortQueues();
  }

  /** Keeps {@link queuesByPriority} in order after a queue is added, removed or given another priority. */
  sortQueues(): void {
    this.byPriority = [...this.queues.values()].sort((a, b) => b.priority - a.priority || a.sequence - b.sequence);
  }

  /** A queue by name or ARN. */
  findQueue(ref: string): QueueState | undefined {
    return this.queues.get(this.nameOf('job-queue', ref));
  }

  /** A queue by name or ARN; throws Batch's `ClientException` for an unknown one. */
  resolveQueue(ref: string): QueueState {
    const queue = this.findQueue(ref);
    if (!queue) throw new BatchClientError(`JobQueue ${ref} not found.`);
    return queue;
  }

  /** A compute environment by name or ARN. */
  findComputeEnvironment(ref: string): ComputeEnvironmentState | undefined {
    return this.computeEnvironments.get(this.nameOf('compute-environment', ref));
  }

  /** A scheduling policy by name or ARN. */
  findSchedulingPolicy(ref: string): SchedulingPolicyState | undefined {
    return this.schedulingPolicies.get(this.nameOf('scheduling-policy', ref));
  }

  /** A definition by `name`, `name:1` or ARN (with or without `:1`). */
  findDefinition(ref: string): DefinitionState | undefined {
    const prefix = this.arn('job-definition', '');
    let name = ref;
    if (ref.startsWith('arn:')) {
      if (!ref.startsWith(prefix)) return undefined;
      name = ref.slice(prefix.length);
    }
    const revision = /^(.+):(\d+)$/.exec(name);
    if (revision) {
      if (revision[2] !== '1') return undefined;
      name = revision[1] as string;
    }
    return this.definitions.get(name);
  }

  /** A definition as {@link findDefinition} finds it; throws Batch's `ClientException` for an unknown one. */
  resolveDefinition(ref: string): DefinitionState {
    const definition = this.findDefinition(ref);
    if (definition) return definition;
    if (ref.startsWith('arn:') || ref.includes(':')) throw new BatchClientError(`JobDefinition ${ref} not found.`);
    throw new BatchClientError(`JobDefinition name ${ref} does not exist or is not in ACTIVE status`);
  }
}
