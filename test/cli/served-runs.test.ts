import { describe, expect, it } from 'vitest';
import { servedRunNames, servedRunRecord } from '../../cli/served-runs';
import type { ExecutionDescription } from '../../local/engine/types';

const machines = {
  map: 'arn:aws:states:us-east-1:123456789012:stateMachine:fanout-map',
  array: 'arn:aws:states:us-east-1:123456789012:stateMachine:fanout-array',
};

const execution = (name: string, input: object | string, stateMachineArn = machines.map) => ({
  stateMachineArn,
  name,
  input: typeof input === 'string' ? input : JSON.stringify(input),
});

describe('servedRunNames', () => {
  it('names the run after the execution when the input names none, as Prepare does', () => {
    expect(servedRunNames(execution('sweep-7', { items: [] }), machines)).toEqual({
      runId: 'sweep-7',
      path: 'map',
      recordName: 'sweep-7',
    });
  });

  it("names the run and its record after the input's runId, on the array path too", () => {
    expect(servedRunNames(execution('any-name', { runId: 'sweep-8' }, machines.array), machines)).toEqual({
      runId: 'sweep-8',
      path: 'array',
      recordName: 'sweep-8',
    });
  });

  it('keeps a retry execution under its own name and a resume under its run, as fanout retry and resume do', () => {
    expect(servedRunNames(execution('sweep-7-retry-1', { retryOf: 'sweep-7' }), machines)).toEqual({
      runId: 'sweep-7',
      path: 'map',
      retryOf: 'sweep-7',
      recordName: 'sweep-7-retry-1',
    });
    expect(servedRunNames(execution('sweep-7-resume-x', { resumeOf: 'sweep-7' }), machines)).toMatchObject({
      runId: 'sweep-7',
      recordName: 'sweep-7',
    });
  });

  it('ignores the executions of other state machines', () => {
    const other = 'arn:aws:states:us-east-1:123456789012:stateMachine:mine';
    expect(servedRunNames(execution('sweep-7', {}, other), machines)).toBeUndefined();
  });

  it('keeps no record under a name that is not a plain file name', () => {
    expect(servedRunNames(execution('sweep-7', { runId: '../../escape' }), machines)).toBeUndefined();
  });

  it('falls back to the execution name when the input is not JSON', () => {
    expect(servedRunNames(execution('broken', '{'), machines)).toMatchObject({ runId: 'broken' });
  });
});

describe('servedRunRecord', () => {
  it('is the record fanout run keeps: status, error, times and billed transitions', () => {
    const ended: ExecutionDescription = {
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:fanout-map:sweep-7',
      stateMachineArn: machines.map,
      name: 'sweep-7',
      status: 'ABORTED',
      startDate: Date.parse('2026-12-01T10:00:00.000Z'),
      stopDate: Date.parse('2026-12-01T10:00:02.500Z'),
      input: '{}',
      error: 'Fanout.ServeStopped',
      cause: 'stopped',
      stateTransitions: 12,
    };
    expect(servedRunRecord(ended, { runId: 'sweep-7', path: 'map', recordName: 'sweep-7' })).toEqual({
      runId: 'sweep-7',
      path: 'map',
      status: 'ABORTED',
      error: 'Fanout.ServeStopped',
      cause: 'stopped',
      stateTransitions: 12,
      executionArn: ended.executionArn,
      startedAt: '2026-12-01T10:00:00.000Z',
      stoppedAt: '2026-12-01T10:00:02.500Z',
      durationSeconds: 2.5,
    });
  });
});
