import type { Clock, ContextObject, Json, TaskRequest } from '../../../../local/engine/types';

/** Lets every queued promise continuation run. */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A clock whose sleeps end only when the test calls `tick()`; each tick ends every pending sleep. */
export class ManualClock implements Clock {
  private time = Date.parse('2024-01-01T00:00:00.000Z');
  private sleepers: Array<() => void> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) =>
      this.sleepers.push(() => {
        this.time += ms;
        resolve();
      }),
    );
  }

  /** Sleeps not yet ended. */
  get sleeping(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  /** Ends every pending sleep and lets what they trigger run. */
  async tick(): Promise<void> {
    const due = this.sleepers;
    this.sleepers = [];
    for (const wake of due) wake();
    await flush();
    await flush();
  }
}

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:111122223333:stateMachine:fanout-map';

export function contextObject(): ContextObject {
  return {
    Execution: {
      Id: 'arn:aws:states:eu-west-1:111122223333:execution:fanout-map:run-1',
      Name: 'run-1',
      Input: {},
      StartTime: '2024-01-01T00:00:00.000Z',
      RoleArn: 'arn:aws:iam::111122223333:role/fanout',
      RedriveCount: 0,
    },
    State: { Name: 'Task', EnteredTime: '2024-01-01T00:00:00.000Z', RetryCount: 0 },
    StateMachine: { Id: STATE_MACHINE_ARN, Name: 'fanout-map' },
  };
}

/** One Task attempt as the interpreter hands it to an integration. */
export function taskRequest(options: {
  resource: string;
  action: string;
  parameters: Json;
  signal?: AbortSignal | undefined;
  clock?: Clock | undefined;
}): TaskRequest {
  return {
    resource: options.resource,
    action: options.action,
    parameters: options.parameters,
    signal: options.signal ?? new AbortController().signal,
    context: contextObject(),
    clock: options.clock ?? new ManualClock(),
  };
}
