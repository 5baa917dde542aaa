import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from '@aws-sdk/client-cloudwatch-logs';
import { CliError } from '../io';
import type { AwsTarget } from '../targets';
import { type LogCursor, type LogSource, ledgerItems } from './source';

/**
 * The logs of a run on a deployed stack: items from its ledger, output from the jobs' log group
 * in CloudWatch Logs (GetLogEvents, oldest first, paged by the forward token).
 */
export function awsLogSource(target: AwsTarget, runId: string, logs?: CloudWatchLogsClient): LogSource {
  const client = logs ?? new CloudWatchLogsClient({ region: target.region });
  const logGroupName = target.outputs.JobLogGroupName;
  return {
    ...ledgerItems(target.clients.dynamodb, target.names.ledgerTable, runId, target.location.logLink),
    async read(logStreamName: string, cursor: LogCursor) {
      let token = typeof cursor === 'string' ? cursor : undefined;
      const lines: string[] = [];
      for (;;) {
        let page: GetLogEventsCommandOutput;
        try {
          page = await client.send(
            new GetLogEventsCommand({
              logGroupName,
              logStreamName,
              startFromHead: true,
              ...(token ? { nextToken: token } : {}),
            }),
          );
        } catch (error) {
          // A job that has not started yet has no stream.
          if ((error as Error).name === 'ResourceNotFoundException') return { text: lines.join(''), cursor: token };
          throw new CliError(
            `cannot read log stream ${logStreamName} of log group ${logGroupName} (CloudWatch Logs GetLogEvents): ${(error as Error).name}: ${(error as Error).message}`,
          );
        }
        for (const event of page.events ?? []) lines.push(`${(event.message ?? '').replace(/\n$/, '')}\n`);
        // GetLogEvents returns the token it was given once the stream has nothing more.
        const next = page.nextForwardToken;
        if (!next || next === token) return { text: lines.join(''), cursor: next ?? token };
        token = next;
      }
    },
    // The items' statuses say when their jobs have ended.
    running: async () => true,
    close: async () => client.destroy(),
  };
}
