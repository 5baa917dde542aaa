import { ServiceError } from '../../../../local/engine/errors';
import type {
  ExecutionDescription,
  HistoryEvent,
  MapRunCounts,
  MapRunDescription,
  Page,
  StateMachineDescription,
  StepFunctionsService,
} from '../../../../local/engine/types';

const PREFIX = 'arn:aws:states:us-east-1:123456789012';

/** Pages a list with an opaque token that is the next index, the way a real service would. */
function page<T>(items: T[], request: { maxResults?: number; nextToken?: string } = {}): Page<T> {
  const start = request.nextToken ? Number(request.nextToken) : 0;
  const size = request.maxResults || 100;
  const slice = items.slice(start, start + size);
  return start + size < items.length ? { items: slice, nextToken: String(start + size) } : { items: slice };
}

export function counts(overrides: Partial<MapRunCounts> = {}): MapRunCounts {
  return {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    aborted: 0,
    total: 0,
    resultsWritten: 0,
    failuresNotRedrivable: 0,
    pendingRedrive: 0,
    ...overrides,
  };
}

/**
 * An in-memory StepFunctionsService: executions start RUNNING and stay so until stopped, every
 * execution gets a two-event history and one Map Run. Time is a counter so dates are exact.
 */
export class FakeStepFunctions implements StepFunctionsService {
  readonly machines = new Map<string, StateMachineDescription>();
  readonly executions = new Map<string, ExecutionDescription>();
  readonly mapRuns = new Map<string, MapRunDescription>();
  readonly history = new Map<string, HistoryEvent[]>();
  /** Next timestamp handed out, epoch milliseconds. */
  time = Date.parse('2024-03-01T12:00:00.250Z');
  /** Set to make the next call throw this (to test unexpected failures). */
  failNext: Error | undefined;

  private tick(): number {
    if (this.failNext) {
      const failure = this.failNext;
      this.failNext = undefined;
      throw failure;
    }
    this.time += 1000;
    return this.time;
  }

  createStateMachine(request: {
    name: string;
    definition: string;
    roleArn: string;
    type?: 'STANDARD' | 'EXPRESS';
  }): StateMachineDescription {
    const arn = `${PREFIX}:stateMachine:${request.name}`;
    if (this.machines.has(arn))
      throw new ServiceError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    const machine: StateMachineDescription = {
      stateMachineArn: arn,
      name: request.name,
      definition: request.definition,
      roleArn: request.roleArn,
      type: request.type ?? 'STANDARD',
      status: 'ACTIVE',
      creationDate: this.tick(),
    };
    this.machines.set(arn, machine);
    return machine;
  }

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    const machine = this.machines.get(stateMachineArn);
    if (!machine)
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  listStateMachines(request?: { maxResults?: number; nextToken?: string }): Page<StateMachineDescription> {
    return page([...this.machines.values()], request);
  }

  deleteStateMachine(stateMachineArn: string): void {
    this.machines.delete(stateMachineArn);
  }

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    const machine = this.describeStateMachine(request.stateMachineArn);
    const name = request.name ?? `execution-${this.executions.size + 1}`;
    const executionArn = `${PREFIX}:execution:${machine.name}:${name}`;
    if (this.executions.has(executionArn))
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const startDate = this.tick();
    this.executions.set(executionArn, {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate,
      input: request.input ?? '{}',
      stateTransitions: 1,
    });
    this.history.set(executionArn, [
      {
        id: 1,
        previousEventId: 0,
        timestamp: startDate,
        type: 'ExecutionStarted',
        details: { executionStartedEventDetails: { input: request.input ?? '{}', roleArn: machine.roleArn } },
      },
      {
        id: 2,
        previousEventId: 1,
        timestamp: startDate + 5,
        type: 'TaskStateEntered',
        details: { name: 'FanOut', input: '{}' },
      },
    ]);
    const mapRunArn = `${PREFIX}:mapRun:${machine.name}/FanOut:${name}-run`;
    this.mapRuns.set(mapRunArn, {
      mapRunArn,
      executionArn,
      status: 'RUNNING',
      startDate: startDate + 10,
      maxConcurrency: 40,
      toleratedFailurePercentage: 12.5,
      toleratedFailureCount: 3,
      itemCounts: counts({ running: 2, pending: 8, total: 10 }),
      executionCounts: counts({ running: 2, total: 2 }),
      redriveCount: 0,
    });
    return { executionArn, startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  stopExecution(executionArn: string, request?: { error?: string; cause?: string }): { stopDate: number } {
    const execution = this.describeExecution(executionArn);
    const stopDate = this.tick();
    Object.assign(execution, { status: 'ABORTED', stopDate, error: request?.error, cause: request?.cause });
    return { stopDate };
  }

  redriveExecution(request: { executionArn: string }): { redriveDate: number } {
    const execution = this.describeExecution(request.executionArn);
    const redriveDate = this.tick();
    Object.assign(execution, { status: 'RUNNING', redriveCount: (execution.redriveCount ?? 0) + 1, redriveDate });
    return { redriveDate };
  }

  listExecutions(request: {
    stateMachineArn?: string;
    mapRunArn?: string;
    statusFilter?: ExecutionDescription['status'];
    maxResults?: number;
    nextToken?: string;
  }): Page<ExecutionDescription> {
    if (request.stateMachineArn) this.describeStateMachine(request.stateMachineArn);
    const matching = [...this.executions.values()].filter(
      (execution) =>
        (!request.stateMachineArn || execution.stateMachineArn === request.stateMachineArn) &&
        (!request.statusFilter || execution.status === request.statusFilter),
    );
    return page(matching, request);
  }

  getExecutionHistory(
    executionArn: string,
    request?: { maxResults?: number; nextToken?: string; reverseOrder?: boolean; includeExecutionData?: boolean },
  ): Page<HistoryEvent> {
    this.describeExecution(executionArn);
    const events = [...(this.history.get(executionArn) ?? [])];
    return page(request?.reverseOrder ? events.reverse() : events, request);
  }

  describeMapRun(mapRunArn: string): MapRunDescription {
    const run = this.mapRuns.get(mapRunArn);
    if (!run) throw new ServiceError('ResourceNotFound', `Resource not found: '${mapRunArn}'`);
    return run;
  }

  listMapRuns(executionArn: string, request?: { maxResults?: number; nextToken?: string }): Page<MapRunDescription> {
    this.describeExecution(executionArn);
    return page(
      [...this.mapRuns.values()].filter((run) => run.executionArn === executionArn),
      request,
    );
  }

  waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    return Promise.resolve(this.describeExecution(executionArn));
  }
}
