import { FailureClass, type ItemRow } from './schema';

/** What the launcher's own exit codes mean (docs/job-contract.md, "What its exit means"). */
const LAUNCHER_EXITS: Readonly<Record<number, string>> = {
  125: 'the launcher could not resolve the command',
  126: 'the command could not be executed',
  127: 'the command was not found on PATH',
};

const START_FAILURE = /CannotPullContainerError|CannotStartContainerError|ResourceInitializationError/;

/**
 * The most telling reason of a failed item, for people and for `fanout status --failures`: a
 * start failure's own words (the container reason ECS or the local Batch gave, e.g. `exec:
 * "train": executable file not found in $PATH`) rather than Batch's generic `Task failed to
 * start`; what a launcher exit code means when nothing else says it; an out-of-memory container
 * reason; else Batch's status reason or the task error.
 * @example failureReason({ failureClass: 'START_ERROR', exitCode: 127, statusReason: 'Essential container in task exited' })
 *   // 'the command was not found on PATH (exit 127; the launcher's message is in the log)'
 */
export function failureReason(
  row: Partial<Pick<ItemRow, 'failureClass' | 'statusReason' | 'containerReason' | 'error' | 'exitCode'>>,
): string {
  const statusReason = row.statusReason ?? '';
  const containerReason = row.containerReason ?? '';
  if (row.failureClass === FailureClass.START_ERROR) {
    if (START_FAILURE.test(containerReason)) return containerReason;
    if (START_FAILURE.test(statusReason)) return statusReason;
    const launcher = typeof row.exitCode === 'number' ? LAUNCHER_EXITS[row.exitCode] : undefined;
    if (launcher) return `${launcher} (exit ${row.exitCode}; the launcher's message is in the log)`;
  }
  if (row.failureClass === FailureClass.OUT_OF_MEMORY && containerReason !== '') return containerReason;
  return statusReason || row.error || 'failed';
}
