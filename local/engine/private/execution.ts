import { StatesErrors } from '../errors';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent, Json, StateMachineDescription } from '../types';
import { JsonText } from './history';
import { runGraph } from './interpreter';
import {
  asFailure,
  checkPayloadSize,
  type EngineEnvironment,
  type ExecutionScope,
  failureDetails,
  Halt,
  isoDate,
} from './runtime';
import type { Graph } from './state-graph';
import { VariableScope } from './variables';

/**
 * One execution started with StartExecution: what DescribeExecution reports of it, and its run
 * from the ExecutionStarted event to its end event (execution timeout and StopExecution included).
 */
export class Execution {
  readonly scope: ExecutionScope;
  readonly stateMachineArn: string;
  readonly startDate: number;
  status: ExecutionStatus = 'RUNNING';
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** Resolves once the execution has ended. */
  readonly done: Promise<void>;
  private markDone: () => void = () => undefined;
  private readonly controller = new AbortController();

  constructor(
    private readonly env: EngineEnvironment,
    machine: Pick<StateMachineDescription, 'stateMachineArn' | 'name' | 'roleArn'>,
    readonly executionArn: string,
    readonly name: string,
    /** The input as the caller sent it. */
    readonly input: string,
    parsedInput: Json,
  ) {
    this.stateMachineArn = machine.stateMachineArn;
    this.startDate = env.clock.now();
    this.done = new Promise<void>((resolve) => {
      this.markDone = resolve;
    });
    const roleArn = machine.roleArn;
    this.scope = {
      env,
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      stateMachineName: machine.name,
      execution: {
        Id: executionArn,
        Name: name,
        Input: parsedInput,
        StartTime: isoDate(this.startDate),
        RoleArn: roleArn,
        RedriveCount: 0,
      },
      history: [],
      transitions: 0,
      mapRuns: [],
    };
    this.scope.history.push({
      id: 1,
      previousEventId: 0,
      timestamp: this.startDate,
      type: 'ExecutionStarted',
      details: { input: new JsonText(parsedInput), inputDetails: { truncated: false }, roleArn },
    });
  }

  /** Runs the graph after the caller has returned, as AWS does: StartExecution answers with a RUNNING execution. */
  start(graph: Graph, timeoutSeconds: number | undefined): void {
    queueMicrotask(() => void this.run(graph, timeoutSeconds));
  }

  /** StopExecution: ends a running execution as ABORTED and aborts what it is doing. */
  stop(error: string, cause: string): void {
    if (this.status !== 'RUNNING') return;
    this.finish('ABORTED', { error, cause });
    this.controller.abort(new Halt('ABORTED', error, cause));
  }

  describe(): ExecutionDescription {
    const description: ExecutionDescription = {
      executionArn: this.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: this.name,
      status: this.status,
      startDate: this.startDate,
      input: this.input,
      stateTransitions: this.scope.transitions,
    };
    if (this.stopDate !== undefined) description.stopDate = this.stopDate;
    if (this.output !== undefined) description.output = this.output;
    if (this.error !== undefined) description.error = this.error;
    if (this.cause !== undefined) description.cause = this.cause;
    return description;
  }

  private async run(graph: Graph, timeoutSeconds: number | undefined): Promise<void> {
    const clock = this.env.clock;
    const timer = new AbortController();
    if (timeoutSeconds !== undefined) {
      clock.sleep(timeoutSeconds * 1000, timer.signal).then(
        () =>
          this.controller.abort(
            new Halt('TIMED_OUT', StatesErrors.Timeout, `The execution timed out after ${timeoutSeconds} seconds`),
          ),
        () => undefined,
      );
    }
    try {
      const result = runGraph(graph, this.scope.execution.Input, {
        scope: this.scope,
        signal: this.controller.signal,
        variables: new VariableScope(),
      });
      const output = result instanceof Promise ? await result : result;
      checkPayloadSize(output, 'execution output');
      this.finish('SUCCEEDED', { output: JSON.stringify(output) }, output);
    } catch (error) {
      const failure = asFailure(error);
      this.finish(failure instanceof Halt ? failure.status : 'FAILED', failureDetails(failure));
    } finally {
      timer.abort();
    }
  }

  private finish(
    status: ExecutionStatus,
    result: { output?: string; error?: string; cause?: string },
    output?: Json,
  ): void {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    const stopDate = this.env.clock.now();
    this.stopDate = stopDate;
    if ('output' in result) this.output = result.output;
    if ('error' in result) this.error = result.error;
    if ('cause' in result) this.cause = result.cause;
    const history = this.scope.history;
    const id = history.length + 1;
    const event = (type: string, details: Record<string, unknown>): HistoryEvent => ({
      id,
      previousEventId: id - 1,
      timestamp: stopDate,
      type,
      details,
    });
    // A member the failure lacks (a Fail state without Error or Cause) is absent, as on AWS.
    const failure: Record<string, string> = {};
    if (result.error !== undefined) failure.error = result.error;
    if (result.cause !== undefined) failure.cause = result.cause;
    if (status === 'SUCCEEDED')
      history.push(
        event('ExecutionSucceeded', { output: new JsonText(output ?? null), outputDetails: { truncated: false } }),
      );
    else if (status === 'TIMED_OUT') history.push(event('ExecutionTimedOut', failure));
    else if (status === 'ABORTED') history.push(event('ExecutionAborted', failure));
    else history.push(event('ExecutionFailed', failure));
    this.markDone();
  }
}
