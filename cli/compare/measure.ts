import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandOutput,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { countSubmitJobCalls } from '../../local/batch';
import { startLocalCloud } from '../../local/cloud';
import { countRunStatuses } from '../../run';
import { jobUmask } from '../private-state';
import type { PathMeasurement } from './format';
import type { PathName } from './model';

/** Counts the Lambda tasks an execution scheduled, from its history read through the Step Functions API. */
async function countLambdaInvocations(
  send: (
    command: GetExecutionHistoryCommand,
  ) => Promise<Pick<GetExecutionHistoryCommandOutput, 'events' | 'nextToken'>>,
  executionArn: string,
): Promise<number> {
  let invocations = 0;
  let nextToken: string | undefined;
  do {
    const page = await send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    for (const event of page.events ?? []) {
      if (event.type === 'TaskScheduled' && event.taskScheduledEventDetails?.resourceType === 'lambda')
        invocations += 1;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return invocations;
}

/**
 * Runs `input` once on a fresh local cloud in `dir` through the given path's state machine and
 * measures what the estimates predict: billed transitions, SubmitJob calls, Lambda invocations,
 * and the wall time from StartExecution to the execution's end.
 */
export async function measurePath(
  path: PathName,
  input: unknown,
  dir: string,
  pollIntervalMs = 200,
): Promise<PathMeasurement> {
  const cloud = await startLocalCloud({ dir, ...jobUmask() });
  try {
    const sfn = cloud.clients.sfn;
    const stateMachineArn = path === 'map' ? cloud.mapStateMachineArn : cloud.arrayStateMachineArn;
    const began = performance.now();
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: `compare-${path}`, input: JSON.stringify(input) }),
    );
    let execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    while (execution.status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
      execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    }
    const wallSeconds = (performance.now() - began) / 1000;
    const runId =
      (execution.output ? (JSON.parse(execution.output) as { runId?: string }).runId : undefined) ??
      (input as { runId?: string }).runId ??
      `compare-${path}`;
    const counts = (await countRunStatuses(cloud.clients.dynamodb, cloud.config.ledgerTable, runId)).counts;
    return {
      path,
      status: execution.status ?? 'UNKNOWN',
      stateTransitions: cloud.engine.describeExecution(executionArn as string).stateTransitions,
      submitJobCalls: countSubmitJobCalls(cloud.dir),
      lambdaInvocations: await countLambdaInvocations((command) => sfn.send(command), executionArn as string),
      wallSeconds,
      succeeded: counts.succeeded,
      failed: counts.failed,
    };
  } finally {
    await cloud.stop();
  }
}
