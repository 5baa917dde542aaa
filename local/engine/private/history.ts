import type { HistoryEvent, Json } from '../types';

/**
 * A JSON payload in an event's details, serialised only when the history is read: most events
 * (children of a large Distributed Map) are never read, and data is never mutated once produced.
 */
export class JsonText {
  constructor(readonly value: Json) {}
}

/** Members of `*EventDetails` that hold execution data (dropped when includeExecutionData is false). */
const DATA_MEMBERS = new Set(['input', 'output', 'parameters', 'inputDetails', 'outputDetails']);

/**
 * Converts a stored event (details unwrapped, payloads as JsonText) into the API shape:
 * `details` keyed by the `<type>EventDetails` member, payloads as JSON strings.
 */
export function presentEvent(event: HistoryEvent, includeExecutionData: boolean): HistoryEvent {
  const { id, previousEventId, timestamp, type } = event;
  const member = detailsMember(type);
  if (!event.details || !member) return { id, previousEventId, timestamp, type };
  const inner: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event.details)) {
    if (!includeExecutionData && DATA_MEMBERS.has(key)) continue;
    inner[key] = value instanceof JsonText ? JSON.stringify(value.value) : value;
  }
  return { id, previousEventId, timestamp, type, details: { [member]: inner } };
}

/** `<type>EventDetails` member name as AWS spells it, e.g. `TaskStateEntered` -> `stateEnteredEventDetails`. */
function detailsMember(type: string): string | undefined {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  const member = DETAILS_BY_TYPE[type];
  return member;
}

const DETAILS_BY_TYPE: Record<string, string> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  ExecutionRedriven: 'executionRedrivenEventDetails',
  EvaluationFailed: 'evaluationFailedEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  MapStateStarted: 'mapStateStartedEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
  MapIterationAborted: 'mapIterationAbortedEventDetails',
  MapRunStarted: 'mapRunStartedEventDetails',
  MapRunFailed: 'mapRunFailedEventDetails',
  MapRunRedriven: 'mapRunRedrivenEventDetails',
};
