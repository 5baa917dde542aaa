import { ServiceError, StatesErrors } from '../errors';
import type { ExecutionDescription, ExecutionStatus, HistoryEvent, Json, StateMachineDescription } from '../types';
import { JsonText } from './history';
import { runGraph } from './interpreter';
import { MAX_OPEN_MS, NOT_REDRIVABLE, REDRIVABLE_PERIOD_MS, type ResumePoint } from './redrive';
import {
  asFailure,
  checkPayloadSize,
  type EngineEnvironment,
  type ExecutionScope,
  type Frame,
  failureDetails,
  Halt,
  isoDate,
  record,
} from './runtime';
import type { Graph } from './state-graph';
import { VariableScope } from './variables';

/** A redrive's client token answers again for 15 minutes, among the last 10 used (API_RedriveExecution.html). */
const CLIENT_TOKEN_MS = 15 * 60 * 1000;
const CLIENT_TOKENS_KEPT = 10;

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
  /** Times the execution was redriven, and when last (API_DescribeExecution.html). */
  redriveCount = 0;
  redriveDate?: number;
  /** Set once its state machine is deleted: it can no longer be redriven. */
  machineDeleted = false;
  /** Resolves once the execution has ended (each redrive makes a new one). */
  done: Promise<void>;
  private markDone: () => void = () => undefined;
  private controller = new AbortController();
  /** Which attempt (0 for the first, then one per redrive) is the current one. */
  private attempt = 0;
  /** Settles when the latest attempt's run has unwound (a stop ends the attempt before its states do). */
  private unwound: Promise<void> = Promise.resolve();
  private graph?: Graph;
  private timeoutSeconds?: number | undefined;
  /** Where the last attempt ended: the state a redrive continues at. */
  private resume?: ResumePoint | undefined;
  /** Client tokens of successful redrives, newest last, with when each was first used. */
  private readonly clientTokens: { token: string; firstUsed: number; redriveDate: number }[] = [];

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
    this.graph = graph;
    this.timeoutSeconds = timeoutSeconds;
    this.unwound = new Promise<void>((resolve) => queueMicrotask(resolve)).then(() => this.run(0));
  }

  /** Why RedriveExecution would be refused now (the DescribeExecution `redriveStatusReason`), or undefined. */
  notRedrivableReason(): string | undefined {
    const now = this.env.clock.now();
    if (this.machineDeleted) return NOT_REDRIVABLE.deleting;
    if (this.status === 'RUNNING') return NOT_REDRIVABLE.running;
    if (this.status === 'SUCCEEDED') return NOT_REDRIVABLE.succeeded;
    // The ExecutionRedriven event and at least one more must fit (API_RedriveExecution.html: fewer than 24,999 of 25,000).
    if (this.scope.history.length >= this.env.maxHistoryEvents - 1) return NOT_REDRIVABLE.historyLimit;
    if (now - this.startDate > MAX_OPEN_MS) return NOT_REDRIVABLE.maxTime;
    if (now - (this.stopDate ?? now) > REDRIVABLE_PERIOD_MS) return NOT_REDRIVABLE.period;
    return undefined;
  }

  /**
   * RedriveExecution (API_RedriveExecution.html): continues a FAILED, ABORTED or TIMED_OUT execution
   * at the state it ended in. A `clientToken` among the last 10 of successful redrives, used within
   * 15 minutes, returns that redrive's date and changes nothing.
   */
  redrive(clientToken: string | undefined): { redriveDate: number } {
    const now = this.env.clock.now();
    if (clientToken !== undefined) {
      const earlier = this.clientTokens.find(
        (used) => used.token === clientToken && now - used.firstUsed <= CLIENT_TOKEN_MS,
      );
      if (earlier) return { redriveDate: earlier.redriveDate };
    }
    const reason = this.notRedrivableReason();
    if (reason !== undefined) {
      throw new ServiceError('ExecutionNotRedrivable', `${reason}: '${this.executionArn}'`);
    }
    this.redriveCount++;
    this.redriveDate = now;
    this.scope.execution.RedriveCount = this.redriveCount;
    if (clientToken !== undefined) {
      this.clientTokens.push({ token: clientToken, firstUsed: now, redriveDate: now });
      if (this.clientTokens.length > CLIENT_TOKENS_KEPT) this.clientTokens.shift();
    }
    this.status = 'RUNNING';
    delete this.stopDate;
    delete this.output;
    delete this.error;
    delete this.cause;
    this.controller = new AbortController();
    this.done = new Promise<void>((resolve) => {
      this.markDone = resolve;
    });
    record(this.scope, 'ExecutionRedriven', { redriveCount: this.redriveCount });
    const attempt = ++this.attempt;
    // The previous attempt must have unwound: where its states stopped is where this one continues.
    this.unwound = this.unwound.then(() => this.run(attempt));
    return { redriveDate: now };
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
    description.redriveCount = this.redriveCount;
    if (this.redriveDate !== undefined) description.redriveDate = this.redriveDate;
    const reason = this.notRedrivableReason();
    description.redriveStatus = reason === undefined ? 'REDRIVABLE' : 'NOT_REDRIVABLE';
    if (reason !== undefined) description.redriveStatusReason = reason;
    if (this.output !== undefined) description.output = this.output;
    if (this.error !== undefined) description.error = this.error;
    if (this.cause !== undefined) description.cause = this.cause;
    return description;
  }

  private async run(attempt: number): Promise<void> {
    const graph = this.graph!;
    const timeoutSeconds = this.timeoutSeconds;
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
    const resume = this.resume;
    this.resume = undefined;
    const frame: Frame = {
      scope: this.scope,
      signal: this.controller.signal,
      variables: resume?.variables ?? new VariableScope(),
    };
    try {
      const result = runGraph(graph, this.scope.execution.Input, frame, undefined, resume);
      const output = result instanceof Promise ? await result : result;
      checkPayloadSize(output, 'execution output');
      if (attempt === this.attempt) this.finish('SUCCEEDED', { output: JSON.stringify(output) }, output);
    } catch (error) {
      const failure = asFailure(error);
      this.resume = frame.failedAt;
      if (attempt === this.attempt)
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
