import type { FailureDetails } from '../../errors';
import type { HistoryEvent } from '../../types';
import { STATUS_NAMES, SUCCEEDED } from './child-status';

/** What a finished child's entry (its record in the Map Run's log) holds, as read back. */
export interface ChildRecord {
  Input: string;
  Output?: string;
  Error?: string;
  Cause?: string;
}

/** A finished child, as its entry describes it; dates are ISO-8601 text. */
interface FinishedChild {
  executionArn: string;
  name: string;
  stateMachineArn: string;
  /** A status code of ./child-status. */
  status: number;
  inputText: string;
  outputText: string | undefined;
  startDate: string;
  stopDate: string;
  failure: FailureDetails | undefined;
  redriveCount: number;
}

/**
 * One child's entry of a result file (docs: input-output-resultwriter.html), as compact JSON with
 * the members in the order Step Functions writes them. Built as text because it is produced for
 * every child as it finishes.
 */
export function childEntry(child: FinishedChild): string {
  const succeeded = child.status === SUCCEEDED;
  let entry = `{"ExecutionArn":${JSON.stringify(child.executionArn)},"Input":${JSON.stringify(child.inputText)},"InputDetails":{"Included":true},"Name":${JSON.stringify(child.name)}`;
  if (succeeded) entry += `,"Output":${JSON.stringify(child.outputText ?? 'null')},"OutputDetails":{"Included":true}`;
  entry += succeeded
    ? `,"RedriveCount":${child.redriveCount},"RedriveStatus":"NOT_REDRIVABLE","RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven"`
    : `,"RedriveCount":${child.redriveCount},"RedriveStatus":"REDRIVABLE_BY_MAP_RUN"`;
  entry += `,"StartDate":"${child.startDate}","StateMachineArn":${JSON.stringify(child.stateMachineArn)},"Status":"${STATUS_NAMES[child.status]!}","StopDate":"${child.stopDate}"`;
  if (child.failure) {
    // A Fail state may leave out Error or Cause; the entry then leaves it out too.
    if (child.failure.error !== undefined) entry += `,"Error":${JSON.stringify(child.failure.error)}`;
    if (child.failure.cause !== undefined) entry += `,"Cause":${JSON.stringify(child.failure.cause)}`;
  }
  return `${entry}}`;
}

const END_EVENTS = ['', 'ExecutionSucceeded', 'ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted'];

/**
 * The history of a finished child whose full history was not kept, rebuilt from its entry:
 * `ExecutionStarted` (input, role) and its end event (output, or error and cause).
 */
export function startAndEndEvents(
  child: ChildRecord,
  status: number,
  at: { start: number; stop: number; roleArn: string },
): HistoryEvent[] {
  const started: HistoryEvent = {
    id: 1,
    previousEventId: 0,
    timestamp: at.start,
    type: 'ExecutionStarted',
    details: { input: child.Input, inputDetails: { truncated: false }, roleArn: at.roleArn },
  };
  const details: Record<string, unknown> =
    status === SUCCEEDED
      ? { output: child.Output, outputDetails: { truncated: false } }
      : {
          ...(child.Error === undefined ? {} : { error: child.Error }),
          ...(child.Cause === undefined ? {} : { cause: child.Cause }),
        };
  return [started, { id: 2, previousEventId: 1, timestamp: at.stop, type: END_EVENTS[status]!, details }];
}
