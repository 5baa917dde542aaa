/**
 * Contracts between the parts of the local Step Functions engine:
 * the interpreter, the expression modules, the service integrations and the endpoint.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Time source; tests inject a fake one so retries, waits and timeouts need no real sleeping. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The context object (`$$`) as a task or state sees it. */
export interface ContextObject {
  Execution: {
    Id: string;
    Name: string;
    Input: Json;
    StartTime: string;
    RoleArn: string;
    RedriveCount: number;
  };
  /** `RetryCount` only in the states that can retry: Task, Parallel and Map. */
  State: { Name: string; EnteredTime: string; RetryCount?: number };
  StateMachine: { Id: string; Name: string };
  Task?: { Token?: string };
  Map?: { Item: { Index: number; Value: Json } };
}

/** What a service integration receives for one Task attempt. */
export interface TaskRequest {
  /** The full Resource ARN, e.g. `arn:aws:states:::batch:submitJob.sync`. */
  resource: string;
  /** The part after the service, e.g. `submitJob.sync`, `invoke`, `putItem`. */
  action: string;
  /** The effective parameters (after InputPath and Parameters). */
  parameters: Json;
  /** Aborted when the task must stop: execution stopped, Map Run failed, or task timeout. */
  signal: AbortSignal;
  context: ContextObject;
  clock: Clock;
}

/**
 * One AWS service as Step Functions integrates it. Failures are thrown as `StatesError`
 * with the error name Step Functions would report (e.g. `Batch.ClientException`,
 * `States.TaskFailed`, `DynamoDB.ConditionalCheckFailedException`).
 */
export interface TaskIntegration {
  /** The service segment of the resource ARN: `lambda`, `batch`, `dynamodb`, `sns`, `states`, `aws-sdk:s3`. */
  readonly service: string;
  /** Actions this integration supports, e.g. `['submitJob', 'submitJob.sync']`; checked at definition load. */
  readonly actions: readonly string[];
  invoke(request: TaskRequest): Promise<Json>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export type MapRunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** One history event, in the shape `GetExecutionHistory` returns (dates as epoch ms here). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** The `<type>EventDetails` member, keyed exactly as AWS keys it (e.g. `stateEnteredEventDetails`). */
  details?: Record<string, unknown> | undefined;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Set on the child executions of a Distributed Map. */
  mapRunArn?: string;
  /** State transitions billed for this execution (children of a Distributed Map included, see docs/local-engine.md). */
  stateTransitions: number;
  /** Times the execution was redriven (0 when never), and the date of the last redrive. */
  redriveCount?: number;
  redriveDate?: number;
  redriveStatus?: RedriveStatus;
  /** Why it is NOT_REDRIVABLE, in AWS's words (API_DescribeExecution.html). */
  redriveStatusReason?: string;
}

export type RedriveStatus = 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN';

export interface MapRunCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  aborted: number;
  total: number;
  resultsWritten: number;
  failuresNotRedrivable: number;
  pendingRedrive: number;
}

export interface MapRunDescription {
  mapRunArn: string;
  executionArn: string;
  status: MapRunStatus;
  startDate: number;
  stopDate?: number;
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
  itemCounts: MapRunCounts;
  executionCounts: MapRunCounts;
  redriveCount: number;
  /** When the Map Run was last redriven; absent when never. */
  redriveDate?: number;
}

export interface StateMachineDescription {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  status: 'ACTIVE' | 'DELETING';
  creationDate: number;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** The paging members of a list request, each absent or undefined when the request has none. */
export interface PageRequest {
  maxResults?: number | undefined;
  nextToken?: string | undefined;
}

/**
 * The Step Functions API as the local engine serves it, one method per AWS operation.
 * Failures are thrown as `ServiceError` with AWS's error code (`StateMachineDoesNotExist`,
 * `ExecutionAlreadyExists`, `InvalidDefinition`, `InvalidName`, `ValidationException`, ...).
 */
export interface StepFunctionsService {
  createStateMachine(request: {
    name: string;
    definition: string;
    roleArn: string;
    type?: 'STANDARD' | 'EXPRESS' | undefined;
  }): StateMachineDescription;
  describeStateMachine(stateMachineArn: string): StateMachineDescription;
  listStateMachines(request?: PageRequest): Page<StateMachineDescription>;
  deleteStateMachine(stateMachineArn: string): void;
  startExecution(request: { stateMachineArn: string; name?: string | undefined; input?: string | undefined }): {
    executionArn: string;
    startDate: number;
  };
  describeExecution(executionArn: string): ExecutionDescription;
  stopExecution(executionArn: string, request?: { error?: string; cause?: string }): { stopDate: number };
  listExecutions(
    request: PageRequest & {
      stateMachineArn?: string | undefined;
      mapRunArn?: string | undefined;
      statusFilter?: ExecutionStatus | undefined;
      redriveFilter?: 'REDRIVEN' | 'NOT_REDRIVEN' | undefined;
    },
  ): Page<ExecutionDescription>;
  /** RedriveExecution: continues a FAILED, ABORTED or TIMED_OUT Standard execution where it ended. */
  redriveExecution(request: { executionArn: string; clientToken?: string | undefined }): { redriveDate: number };
  getExecutionHistory(
    executionArn: string,
    request?: PageRequest & { reverseOrder?: boolean | undefined; includeExecutionData?: boolean | undefined },
  ): Page<HistoryEvent>;
  describeMapRun(mapRunArn: string): MapRunDescription;
  listMapRuns(executionArn: string, request?: PageRequest): Page<MapRunDescription>;
  /** Local convenience (no AWS equivalent): resolves when the execution reaches a terminal status. */
  waitForExecution(executionArn: string): Promise<ExecutionDescription>;
}
