import type { JobScheduling } from '../../../run';
import type { InputIssue } from '../errors';
import { describeValue } from '../errors';
import type { ExecutionInput } from './schema';

/**
 * The fair-share rule of SubmitJob (docs: batch/latest/APIReference/API_SubmitJob.html,
 * `shareIdentifier`): a job for a queue with a scheduling policy must name its share, a job for a
 * queue without one must not. Checked before anything is written: by the CLI against the local
 * cloud's configuration, by Prepare against DescribeJobQueues.
 */

/**
 * What is wrong with the input's `shareIdentifier` for its queue, if anything.
 * @param schedulingPolicy the queue's scheduling policy (name or ARN), undefined when it has none
 * @example shareIdentifierIssues({ jobQueue: 'fanout-shared', shareIdentifier: undefined }, 'fanout-teams') // one issue
 */
export function shareIdentifierIssues(
  input: Pick<ExecutionInput, 'jobQueue' | 'shareIdentifier'>,
  schedulingPolicy: string | undefined,
): InputIssue[] {
  if (schedulingPolicy !== undefined && input.shareIdentifier === undefined) {
    return [
      {
        path: 'shareIdentifier',
        message: `is required: job queue "${input.jobQueue}" has the fair-share scheduling policy ${schedulingPolicy}, and Batch refuses its jobs without a share identifier`,
        received: 'undefined',
      },
    ];
  }
  if (schedulingPolicy === undefined && input.shareIdentifier !== undefined) {
    return [
      {
        path: 'shareIdentifier',
        message: `can only be given for a job queue with a fair-share scheduling policy; job queue "${input.jobQueue}" has none`,
        received: describeValue(input.shareIdentifier),
      },
    ];
  }
  return [];
}

/**
 * The run's fair-share fields as the state machines read them: each present only when the input
 * gives it, so no SubmitJob ever receives a null (docs/map-path.md, "Fair share").
 * @example jobSchedulingOf({ shareIdentifier: 'teamA', schedulingPriority: undefined }) // { shareIdentifier: 'teamA' }
 */
export function jobSchedulingOf(input: Pick<ExecutionInput, 'shareIdentifier' | 'schedulingPriority'>): JobScheduling {
  return {
    ...(input.shareIdentifier !== undefined ? { shareIdentifier: input.shareIdentifier } : {}),
    ...(input.schedulingPriority !== undefined ? { schedulingPriority: input.schedulingPriority } : {}),
  };
}
