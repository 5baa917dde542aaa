import { FanoutInputError, type InputIssue } from '../errors';
import { shareIdentifierIssues } from './scheduling';
import type { ExecutionInput } from './schema';

/**
 * The input's job queue and job definition checked against those where the run goes, known
 * without asking Batch: on the local cloud, the ones `fanout.config.json` defines. (On AWS,
 * Prepare asks Batch itself, before it writes anything.)
 */

/** The job queues and job definitions a run may use, and what is known of their revisions. */
export interface KnownJobResources {
  /** Where the names come from, for the message (e.g. `fanout.config.json`). */
  readonly source: string;
  readonly jobQueues: readonly string[];
  /** The scheduling policy of each job queue that has one, by queue name: its jobs need a shareIdentifier. */
  readonly schedulingPolicies?: Readonly<Record<string, string>>;
  readonly jobDefinitions: readonly string[];
  /** The one revision every job definition has, when known (the local cloud registers revision 1). */
  readonly onlyRevision?: number;
  /** What a job definition ARN starts with there (`arn:aws:batch:<region>:<account>:job-definition/`), when known. */
  readonly definitionArnPrefix?: string;
}

/** A job definition reference's name and revision: `name`, `name:3` or an ARN ending in either. */
function definitionParts(reference: string): { name: string; revision: number | undefined } {
  const bare = reference.replace(/^arn:[^/]*:job-definition\//, '');
  const match = /^(.+):(\d+)$/.exec(bare);
  return match ? { name: match[1] as string, revision: Number(match[2]) } : { name: bare, revision: undefined };
}

function listed(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(', ');
}

/**
 * Refuses a job queue or job definition the run's destination does not define, and a
 * `shareIdentifier` the queue's scheduling policy (or its lack of one) refuses.
 * @throws FanoutInputError naming `jobQueue`, `jobDefinition` or `shareIdentifier`, the rule, and the value.
 * @example checkJobResources(input, { source: 'fanout.config.json', jobQueues: ['fanout-high'], jobDefinitions: ['fanout-job'], onlyRevision: 1 })
 */
export function checkJobResources(
  input: Pick<ExecutionInput, 'jobQueue' | 'jobDefinition' | 'shareIdentifier'>,
  known: KnownJobResources,
): void {
  const issues: InputIssue[] = [];
  if (!known.jobQueues.includes(input.jobQueue)) {
    issues.push({
      path: 'jobQueue',
      message: `must be a job queue that ${known.source} defines: ${listed(known.jobQueues)}`,
      received: JSON.stringify(input.jobQueue),
    });
  } else {
    issues.push(...shareIdentifierIssues(input, known.schedulingPolicies?.[input.jobQueue]));
  }
  const { name, revision } = definitionParts(input.jobDefinition);
  const foreignArn =
    known.definitionArnPrefix !== undefined &&
    input.jobDefinition.startsWith('arn:') &&
    !input.jobDefinition.startsWith(known.definitionArnPrefix);
  if (foreignArn) {
    issues.push({
      path: 'jobDefinition',
      message: `a job definition ARN must start with ${known.definitionArnPrefix} here (the region and account of ${known.source})`,
      received: JSON.stringify(input.jobDefinition),
    });
  } else if (!known.jobDefinitions.includes(name)) {
    issues.push({
      path: 'jobDefinition',
      message: `must name a job definition that ${known.source} defines: ${listed(known.jobDefinitions)}`,
      received: JSON.stringify(input.jobDefinition),
    });
  } else if (revision !== undefined && known.onlyRevision !== undefined && revision !== known.onlyRevision) {
    issues.push({
      path: 'jobDefinition',
      message: `job definition "${name}" has only revision ${known.onlyRevision} here`,
      received: JSON.stringify(input.jobDefinition),
    });
  }
  if (issues.length > 0) throw new FanoutInputError(issues);
}
