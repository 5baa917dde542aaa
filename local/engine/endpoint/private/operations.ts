import { ServiceError } from '../../errors';
import type {
  ExecutionDescription,
  ExecutionStatus,
  HistoryEvent,
  MapRunDescription,
  StateMachineDescription,
  StepFunctionsService,
} from '../../types';
import type { RequestMembers } from './request';

/** One API operation: reads its request members, calls the engine, shapes the response as AWS does. */
type Operation = (service: StepFunctionsService, request: RequestMembers) => Promise<object> | object;

const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];
const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'] as const;
const STATE_MACHINE_TYPES = ['STANDARD', 'EXPRESS'] as const;
/** `maxResults` of the list operations: 0 (service default) to 1000 (docs: step-functions/latest/apireference/API_ListExecutions.html). */
const MAX_RESULTS = { min: 0, max: 1000 };

/** The Step Functions operations the local endpoint serves, by `X-Amz-Target` operation name. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateStateMachine(service, request) {
    const created = service.createStateMachine({
      name: request.requiredString('name'),
      definition: request.requiredString('definition'),
      roleArn: request.requiredString('roleArn'),
      type: request.oneOf('type', STATE_MACHINE_TYPES),
    });
    return { stateMachineArn: created.stateMachineArn, creationDate: seconds(created.creationDate) };
  },

  DescribeStateMachine(service, request) {
    return describedStateMachine(service.describeStateMachine(request.requiredString('stateMachineArn')));
  },

  ListStateMachines(service, request) {
    const page = service.listStateMachines(paging(request));
    return {
      stateMachines: page.items.map((machine) => ({
        stateMachineArn: machine.stateMachineArn,
        name: machine.name,
        type: machine.type,
        creationDate: seconds(machine.creationDate),
      })),
      ...next(page.nextToken),
    };
  },

  DeleteStateMachine(service, request) {
    service.deleteStateMachine(request.requiredString('stateMachineArn'));
    return {};
  },

  StartExecution(service, request) {
    const started = service.startExecution({
      stateMachineArn: request.requiredString('stateMachineArn'),
      name: request.string('name'),
      input: request.string('input'),
    });
    return { executionArn: started.executionArn, startDate: seconds(started.startDate) };
  },

  DescribeExecution(service, request) {
    return describedExecution(service.describeExecution(request.requiredString('executionArn')));
  },

  StopExecution(service, request) {
    const executionArn = request.requiredString('executionArn');
    const error = request.string('error');
    const cause = request.string('cause');
    const stopped = service.stopExecution(executionArn, {
      ...(error === undefined ? {} : { error }),
      ...(cause === undefined ? {} : { cause }),
    });
    return { stopDate: seconds(stopped.stopDate) };
  },

  RedriveExecution(service, request) {
    const redriven = service.redriveExecution({
      executionArn: request.requiredString('executionArn'),
      clientToken: request.string('clientToken'),
    });
    return { redriveDate: seconds(redriven.redriveDate) };
  },

  ListExecutions(service, request) {
    const stateMachineArn = request.string('stateMachineArn');
    const mapRunArn = request.string('mapRunArn');
    if (stateMachineArn === undefined && mapRunArn === undefined) {
      throw new ServiceError(
        'ValidationException',
        "ListExecutions needs 'stateMachineArn' or 'mapRunArn'; the request has neither",
      );
    }
    const page = service.listExecutions({
      ...(stateMachineArn === undefined ? {} : { stateMachineArn }),
      ...(mapRunArn === undefined ? {} : { mapRunArn }),
      statusFilter: request.oneOf('statusFilter', EXECUTION_STATUSES),
      redriveFilter: request.oneOf('redriveFilter', REDRIVE_FILTERS),
      ...paging(request),
    });
    return { executions: page.items.map(listedExecution), ...next(page.nextToken) };
  },

  GetExecutionHistory(service, request) {
    const executionArn = request.requiredString('executionArn');
    const page = service.getExecutionHistory(executionArn, {
      ...paging(request),
      reverseOrder: request.boolean('reverseOrder'),
      includeExecutionData: request.boolean('includeExecutionData'),
    });
    return { events: page.items.map(historyEvent), ...next(page.nextToken) };
  },

  DescribeMapRun(service, request) {
    return describedMapRun(service.describeMapRun(request.requiredString('mapRunArn')));
  },

  ListMapRuns(service, request) {
    const page = service.listMapRuns(request.requiredString('executionArn'), paging(request));
    return {
      mapRuns: page.items.map((run) => ({
        executionArn: run.executionArn,
        mapRunArn: run.mapRunArn,
        stateMachineArn: mapRunStateMachineArn(run),
        startDate: seconds(run.startDate),
        ...optionalSeconds('stopDate', run.stopDate),
      })),
      ...next(page.nextToken),
    };
  },
};

/** The AWS JSON 1.0 protocol writes timestamps as epoch seconds; the engine keeps milliseconds. */
function seconds(epochMs: number): number {
  return epochMs / 1000;
}

function paging(request: RequestMembers): { maxResults?: number; nextToken?: string } {
  const maxResults = request.integer('maxResults', MAX_RESULTS);
  const nextToken = request.string('nextToken');
  return { ...optional('maxResults', maxResults || undefined), ...optional('nextToken', nextToken) };
}

function next(nextToken: string | undefined): { nextToken?: string } {
  return optional('nextToken', nextToken);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** An optional epoch-milliseconds date as the epoch seconds JSON 1.0 responses carry. */
function optionalSeconds<K extends string>(key: K, epochMs: number | undefined): { [P in K]?: number } {
  return optional(key, epochMs === undefined ? undefined : seconds(epochMs));
}

function describedStateMachine(machine: StateMachineDescription): object {
  return {
    stateMachineArn: machine.stateMachineArn,
    name: machine.name,
    status: machine.status,
    definition: machine.definition,
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: seconds(machine.creationDate),
    // The local engine keeps no CloudWatch logging or X-Ray tracing; AWS's defaults are reported.
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

function describedExecution(execution: ExecutionDescription): object {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    ...optionalSeconds('stopDate', execution.stopDate),
    input: execution.input,
    inputDetails: { included: true },
    ...optional('output', execution.output),
    ...(execution.output === undefined ? {} : { outputDetails: { included: true } }),
    ...optional('error', execution.error),
    ...optional('cause', execution.cause),
    ...optional('mapRunArn', execution.mapRunArn),
    ...optional('redriveCount', execution.redriveCount),
    ...optionalSeconds('redriveDate', execution.redriveDate),
    ...optional('redriveStatus', execution.redriveStatus),
    ...optional('redriveStatusReason', execution.redriveStatusReason),
  };
}

function listedExecution(execution: ExecutionDescription): object {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
    ...optionalSeconds('stopDate', execution.stopDate),
    ...optional('mapRunArn', execution.mapRunArn),
    ...optional('redriveCount', execution.redriveCount),
    ...optionalSeconds('redriveDate', execution.redriveDate),
  };
}

function describedMapRun(run: MapRunDescription): object {
  return {
    mapRunArn: run.mapRunArn,
    executionArn: run.executionArn,
    status: run.status,
    startDate: seconds(run.startDate),
    ...optionalSeconds('stopDate', run.stopDate),
    maxConcurrency: run.maxConcurrency,
    toleratedFailurePercentage: run.toleratedFailurePercentage,
    toleratedFailureCount: run.toleratedFailureCount,
    itemCounts: run.itemCounts,
    executionCounts: run.executionCounts,
    redriveCount: run.redriveCount,
    ...optionalSeconds('redriveDate', run.redriveDate),
  };
}

/**
 * A history event as GetExecutionHistory returns it: `{ id, previousEventId, timestamp, type,
 * <x>EventDetails }`. The engine gives the details either already keyed by their member name
 * (`{ stateEnteredEventDetails: {...} }`) or bare, in which case the member name is derived from
 * the event type as AWS names it.
 */
function historyEvent(event: HistoryEvent): object {
  const shaped: Record<string, unknown> = {
    id: event.id,
    previousEventId: event.previousEventId,
    timestamp: seconds(event.timestamp),
    type: event.type,
  };
  if (!event.details) return shaped;
  const keys = Object.keys(event.details);
  if (keys.length > 0 && keys.every((key) => key.endsWith('EventDetails'))) return { ...shaped, ...event.details };
  return { ...shaped, [detailsMember(event.type)]: event.details };
}

/** `TaskStateEntered` -> `stateEnteredEventDetails`, `MapRunFailed` -> `mapRunFailedEventDetails`. */
function detailsMember(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type[0]?.toLowerCase() ?? ''}${type.slice(1)}EventDetails`;
}

/**
 * A Map Run's state machine ARN as ListMapRuns reports it: the parent state machine ARN with the
 * Map Run label, e.g. `arn:aws:states:us-east-1:123456789012:stateMachine:fanout/FanOut` for
 * `arn:aws:states:us-east-1:123456789012:mapRun:fanout/FanOut:1f9…`.
 */
function mapRunStateMachineArn(run: MapRunDescription): string {
  const parts = run.mapRunArn.split(':');
  if (parts.length >= 8 && parts[5] === 'mapRun') return [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':');
  const execution = run.executionArn.split(':');
  return [...execution.slice(0, 5), 'stateMachine', execution[6] ?? ''].join(':');
}
