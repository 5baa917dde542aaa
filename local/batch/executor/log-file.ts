import { join } from 'node:path';
import { BatchClientError } from '../errors';

/**
 * Path of the log file of one attempt's log stream: `<stateDir>/batch/logs/<logStreamName>.log`.
 * @example logFileFor('.fanout', 'fanout-job/default/0f3c…') // '.fanout/batch/logs/fanout-job/default/0f3c….log'
 */
export function logFileFor(stateDir: string, logStreamName: string): string {
  if (logStreamName.split('/').some((segment) => segment === '..' || segment === '')) {
    throw new BatchClientError(
      `logStreamName must be a relative stream name like "<definition>/default/<taskId>"; received "${logStreamName}"`,
    );
  }
  return `${join(stateDir, 'batch', 'logs', ...logStreamName.split('/'))}.log`;
}
