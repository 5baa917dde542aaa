import { expect } from 'vitest';
import { StatesError } from '../../../../local/engine/errors';
import type { ContextObject } from '../../../../local/engine/types';

/** The running-execution context object shown on input-output-contextobject.html, plus Map item data. */
export function contextObject(overrides: Partial<ContextObject> = {}): ContextObject {
  return {
    Execution: {
      Id: 'arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName',
      Input: { key: 'value' },
      Name: 'executionName',
      RoleArn: 'arn:aws:iam::123456789012:role...',
      StartTime: '2019-03-26T20:14:13.192Z',
      RedriveCount: 0,
    },
    State: { EnteredTime: '2019-03-26T20:14:13.192Z', Name: 'Test', RetryCount: 3 },
    StateMachine: {
      Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:stateMachineName',
      Name: 'stateMachineName',
    },
    Task: { Token: 'h7XRiCdLtd/83p1E0dMccoxlzFhglsdkzpK9mBVKZsp7d9yrT1W' },
    ...overrides,
  };
}

/** Runs `action`, asserts it throws a StatesError, and returns that error for further assertions. */
export function statesErrorFrom(action: () => unknown): StatesError {
  let caught: unknown;
  try {
    action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(StatesError);
  return caught as StatesError;
}

/** A deterministic stand-in for Math.random: cycles through the given values. */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}
