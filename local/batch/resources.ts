/** The job queues, job definitions and compute environments of the configuration, their ARNs and lookups by name or ARN. */
import type { ComputeEnvironmentConfig, FanoutConfig } from '../../config';
import { BatchClientError } from './errors';
import { Fifo } from './private/fifo';
import type { DefinitionState, JobRecord, QueueState } from './store/records';
import { StatusIndex } from './store/status-index';

/**
 * Everything the service serves that comes from `fanout.config.json`; nothing is created through the API.
 * @example const resources = new BatchResources(config); resources.resolveQueue('fanout-high').arn;
 */
export class BatchResources {
  readonly region: string;
  readonly accountId: string;
  /** By name. */
  readonly queues = new Map<string, QueueState>();
  /** Higher priority first; configuration order between equal priorities. */
  readonly queuesByPriority: QueueState[];
  /** By name; every definition is at revision 1. */
  readonly definitions = new Map<string, DefinitionState>();
  readonly computeEnvironments: ComputeEnvironmentConfig[];
  /** The least `timeout.attemptDurationSeconds` SubmitJob accepts (AWS: 60; docs/job-contract.md, "Timeout"). */
  readonly minTimeoutSeconds: number;

  constructor(config: FanoutConfig) {
    this.minTimeoutSeconds = config.local.minTimeoutSeconds;
    this.region = config.region;
    this.accountId = config.accountId;
    this.computeEnvironments = config.computeEnvironments;
    config.jobQueues.forEach((queue) => {
      this.queues.set(queue.name, {
        name: queue.name,
        arn: this.arn('job-queue', queue.name),
        priority: queue.priority,
        computeEnvironments: queue.computeEnvironments,
        ...(queue.schedulingPolicy ? { schedulingPolicy: queue.schedulingPolicy } : {}),
        runnable: new Fifo<JobRecord>(),
        byStatus: new StatusIndex(),
      });
    });
    // Higher priority first; a stable sort keeps configuration order between equal priorities.
    this.queuesByPriority = [...this.queues.values()].sort((a, b) => b.priority - a.priority);
    for (const definition of config.jobDefinitions) {
      this.definitions.set(definition.name, {
        name: definition.name,
        arn: `${this.arn('job-definition', definition.name)}:1`,
        config: definition,
        environment: Object.entries(definition.environment).map(([name, value]) => ({ name, value })),
      });
    }
  }

  /** `arn:aws:batch:<region>:<account>:<kind>/<name>`. */
  arn(kind: string, name: string): string {
    return `arn:aws:batch:${this.region}:${this.accountId}:${kind}/${name}`;
  }

  /** A queue by name or ARN. */
  findQueue(ref: string): QueueState | undefined {
    const prefix = this.arn('job-queue', '');
    return this.queues.get(ref.startsWith(prefix) ? ref.slice(prefix.length) : ref);
  }

  /** A queue by name or ARN; throws Batch's `ClientException` for an unknown one. */
  resolveQueue(ref: string): QueueState {
    const queue = this.findQueue(ref);
    if (!queue) throw new BatchClientError(`JobQueue ${ref} not found.`);
    return queue;
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
