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
