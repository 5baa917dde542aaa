import { describe, expect, it } from 'vitest';
import { failureReason } from '../../../run';

describe('failureReason', () => {
  it("gives a start failure's own words rather than Batch's generic status reason", () => {
    expect(
      failureReason({
        failureClass: 'START_ERROR',
        statusReason: 'Task failed to start',
        containerReason: 'CannotStartContainerError: exec: "train": executable file not found in $PATH',
      }),
    ).toBe('CannotStartContainerError: exec: "train": executable file not found in $PATH');
    expect(
      failureReason({
        failureClass: 'START_ERROR',
        statusReason: 'CannotPullContainerError: not found',
        containerReason: '',
      }),
    ).toBe('CannotPullContainerError: not found');
  });

  it("says what the launcher's exit code means when nothing else does", () => {
    const row = { failureClass: 'START_ERROR', statusReason: 'Essential container in task exited' } as const;
    expect(failureReason({ ...row, exitCode: 127 })).toBe(
      "the command was not found on PATH (exit 127; the launcher's message is in the log)",
    );
    expect(failureReason({ ...row, exitCode: 126 })).toMatch(/^the command could not be executed \(exit 126/);
    expect(failureReason({ ...row, exitCode: 125 })).toMatch(/^the launcher could not resolve the command \(exit 125/);
  });

  it("gives an out-of-memory container's reason, and otherwise Batch's status reason or the task error", () => {
    expect(
      failureReason({
        failureClass: 'OUT_OF_MEMORY',
        statusReason: 'Essential container in task exited',
        containerReason: 'OutOfMemoryError: Container killed due to memory usage',
      }),
    ).toBe('OutOfMemoryError: Container killed due to memory usage');
    expect(failureReason({ failureClass: 'APP_ERROR', statusReason: 'Essential container in task exited' })).toBe(
      'Essential container in task exited',
    );
    expect(failureReason({ failureClass: 'SUBMIT_ERROR', statusReason: '', error: 'Batch.ClientException' })).toBe(
      'Batch.ClientException',
    );
    expect(failureReason({})).toBe('failed');
  });
});
