import { describe, expect, it } from 'vitest';
import {
  currentRunStatus,
  emptyCounts,
  endedRunStatus,
  failedBeforeStart,
  runSucceeded,
  type StatusCounts,
  tallyItems,
} from '../../run';

const counts = (fields: Partial<StatusCounts>): StatusCounts => ({ ...emptyCounts(), ...fields });

describe('failedBeforeStart', () => {
  it('tells a failure whose job never ran (refused submission, aborted before its container started) from one that ran', () => {
    expect(failedBeforeStart({ status: 'FAILED', failureClass: 'SUBMIT_ERROR' })).toBe(true);
    expect(failedBeforeStart({ status: 'ABANDONED', failureClass: 'SUBMIT_ERROR' })).toBe(true);
    expect(failedBeforeStart({ status: 'FAILED', failureClass: 'ABORTED' })).toBe(true);
    expect(failedBeforeStart({ status: 'FAILED', failureClass: 'ABORTED', logStream: '' })).toBe(true);
    // Batch names a log stream once the container started: that job ran, then was terminated.
    expect(failedBeforeStart({ status: 'FAILED', failureClass: 'ABORTED', logStream: 'job/default/1' })).toBe(false);
    expect(failedBeforeStart({ status: 'FAILED', failureClass: 'APP_ERROR' })).toBe(false);
    expect(failedBeforeStart({ status: 'PENDING' })).toBe(false);
  });
});

describe('tallyItems', () => {
  it('counts an ended run: unfinished rows and failures that never ran are never started, apart from failures', () => {
    const tally = tallyItems(
      counts({ total: 10, succeeded: 4, failed: 3, abandoned: 1, pending: 1, retrying: 1 }),
      2,
      undefined,
    );
    expect(tally).toEqual({ total: 10, succeeded: 4, failed: 2, neverStarted: 4, queued: 0, running: 0 });
  });

  it('counts a running run: running only for jobs Batch runs, the other unfinished rows queued', () => {
    const tally = tallyItems(counts({ total: 6, succeeded: 1, failed: 1, pending: 3, retrying: 1 }), 0, { running: 1 });
    expect(tally).toEqual({ total: 6, succeeded: 1, failed: 1, neverStarted: 0, queued: 3, running: 1 });
  });

  it('never counts more running items than unfinished rows, nor more never-run failures than failures', () => {
    expect(tallyItems(counts({ total: 2, succeeded: 1, pending: 1 }), 0, { running: 5 })).toMatchObject({
      queued: 0,
      running: 1,
    });
    expect(tallyItems(counts({ total: 2, succeeded: 1, failed: 1 }), 3, undefined)).toMatchObject({
      failed: 0,
      neverStarted: 1,
    });
  });
});

describe('endedRunStatus (docs: step-functions/latest/dg/maprun-fail-threshold.html)', () => {
  it('is COMPLETED_WITH_FAILURES, not SUCCEEDED, when a Map within its tolerated failures has failed items', () => {
    expect(endedRunStatus(false, { total: 10, succeeded: 9 })).toBe('COMPLETED_WITH_FAILURES');
    expect(endedRunStatus(false, { total: 10, succeeded: 10 })).toBe('SUCCEEDED');
    expect(endedRunStatus(true, { total: 10, succeeded: 10 })).toBe('FAILED');
  });
});

describe('currentRunStatus', () => {
  const allSucceeded = { total: 3, succeeded: 3 };
  const someFailed = { total: 3, succeeded: 2 };

  it('is RUNNING while the latest execution runs, whatever the header says', () => {
    expect(currentRunStatus({ header: 'FAILED', latestExecution: 'RUNNING', tally: someFailed })).toBe('RUNNING');
  });

  it("is the header's final status after a retry: the whole run's, not its first execution's", () => {
    expect(currentRunStatus({ header: 'SUCCEEDED', latestExecution: 'SUCCEEDED', tally: allSucceeded })).toBe(
      'SUCCEEDED',
    );
    expect(
      currentRunStatus({ header: 'COMPLETED_WITH_FAILURES', latestExecution: 'SUCCEEDED', tally: someFailed }),
    ).toBe('COMPLETED_WITH_FAILURES');
  });

  it('is the latest execution status when it ended before Summarize (stopped, timed out): the header still says RUNNING', () => {
    expect(currentRunStatus({ header: 'RUNNING', latestExecution: 'ABORTED', tally: someFailed })).toBe('ABORTED');
    expect(currentRunStatus({ header: 'RUNNING', latestExecution: 'TIMED_OUT', tally: someFailed })).toBe('TIMED_OUT');
    expect(currentRunStatus({ header: undefined, latestExecution: 'FAILED', tally: someFailed })).toBe('FAILED');
  });

  it('never says a bare SUCCEEDED for a run with items that did not succeed', () => {
    expect(currentRunStatus({ header: undefined, latestExecution: 'SUCCEEDED', tally: someFailed })).toBe(
      'COMPLETED_WITH_FAILURES',
    );
    expect(currentRunStatus({ header: 'SUCCEEDED', latestExecution: 'SUCCEEDED', tally: someFailed })).toBe(
      'COMPLETED_WITH_FAILURES',
    );
  });
});

describe('runSucceeded', () => {
  it('holds for a run that did what it was asked: all items, or failures within its tolerance', () => {
    expect(['SUCCEEDED', 'COMPLETED_WITH_FAILURES'].every((status) => runSucceeded(status as 'SUCCEEDED'))).toBe(true);
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT', 'RUNNING'] as const)
      expect(runSucceeded(status)).toBe(false);
  });
});
