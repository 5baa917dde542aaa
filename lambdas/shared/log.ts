import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The handlers' operator log: structured JSON lines (Powertools for AWS Lambda Logger), written
 * at the steps an operator follows (input accepted, round started, claims made, summary
 * written), never once per item. Every line of an invocation carries the run id and the
 * execution, so a CloudWatch Logs Insights query on `runId` shows a run across functions.
 */

/** The logger a handler starts from; the local cloud passes one that writes to the state folder. */
export function handlerLogger(functionName: string): Logger {
  return new Logger({ serviceName: 'fanout', persistentKeys: { function: functionName } });
}

/**
 * A logger for one invocation: every line carries `runId` and, when the event names it,
 * `execution` (the execution ARN or name).
 * @example runLogger(logger, { runId: 'sweep-7', execution: event.executionArn }).info('input accepted', { itemCount })
 */
export function runLogger(logger: Logger, run: { runId: string; execution?: string | undefined }): Logger {
  return logger.createChild({
    persistentKeys: { runId: run.runId, ...(run.execution ? { execution: run.execution } : {}) },
  });
}
