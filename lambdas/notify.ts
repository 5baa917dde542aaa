import type { Logger } from '@aws-lambda-powertools/logger';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { ITEM_STATUSES } from '../run';
import { snsClient } from './shared/clients';
import { type Environment, once, requiredEnv } from './shared/env';
import { parseEvent } from './shared/errors';
import { handlerLogger, runLogger } from './shared/log';
import type { RunOutput } from './shared/run-output';

/**
 * Notify: publishes the run summary (the map path's Summarize or the array path's Collect) to the SNS topic `TOPIC_ARN`, as a few human-readable
 * lines followed by the summary JSON, with `runId` and `status` as message attributes so
 * subscribers can filter.
 */

const countsSchema = z.object(
  Object.fromEntries(
    ['total', ...ITEM_STATUSES.map((s) => s.toLowerCase())].map((key) => [key, z.number().int().nonnegative()]),
  ),
);

const notifyEventSchema = z.object({
  summary: z
    .object({
      runId: z.string().min(1),
      path: z.string(),
      status: z.string().min(1),
      counts: countsSchema,
      startedAt: z.string(),
      stoppedAt: z.string(),
      durationMs: z.number(),
      pendingItemIds: z.array(z.string()).optional(),
      results: z.object({ bucket: z.string(), key: z.string() }).optional(),
      error: z.object({ error: z.string(), cause: z.string() }).optional(),
    })
    .loose(),
});

export interface NotifyDependencies {
  sns: SNSClient;
  topicArn: string;
  logger: Logger;
}

const SUBJECT_LIMIT = 100;

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

/** The text part of the notice; the JSON summary follows it. */
export function formatNotice(summary: RunOutput): string {
  const c = summary.counts;
  const parts = [`${c.total} total`, `${c.succeeded} succeeded`, `${c.failed} failed`];
  if (c.pending > 0) parts.push(`${c.pending} pending (never started or never recorded)`);
  if (c.running > 0) parts.push(`${c.running} running`);
  if (c.retrying > 0) parts.push(`${c.retrying} retrying`);
  if (c.abandoned > 0) parts.push(`${c.abandoned} abandoned`);
  const lines = [
    `fanout run ${summary.runId} (${summary.path} path): ${summary.status}`,
    `items: ${parts.join(', ')}`,
    `started ${summary.startedAt}, stopped ${summary.stoppedAt} (${formatDuration(summary.durationMs)})`,
  ];
  if (summary.error) lines.push(`error: ${summary.error.error}: ${summary.error.cause.slice(0, 500)}`);
  if (summary.pendingItemIds.length > 0)
    lines.push(
      `pending items: ${summary.pendingItemIds.join(', ')}${c.pending > summary.pendingItemIds.length ? ', …' : ''}`,
    );
  if (summary.results) lines.push(`results: s3://${summary.results.bucket}/${summary.results.key}`);
  for (const job of summary.arrayJobs ?? []) {
    lines.push(
      `${job.size > 1 ? `array job of ${job.size}` : 'job'}: ${job.jobName}${job.jobId ? ` (${job.jobId})` : ''} ${job.status}`,
    );
  }
  return lines.join('\n');
}

/**
 * Builds the Notify handler; without arguments it reads `TOPIC_ARN` once, on first use.
 * @example export const handler = createNotifyHandler();
 */
export function createNotifyHandler(overrides: Partial<NotifyDependencies> = {}, env: Environment = process.env) {
  const dependencies = once(
    (): NotifyDependencies => ({
      sns: overrides.sns ?? snsClient(),
      topicArn: overrides.topicArn ?? requiredEnv('TOPIC_ARN', env),
      logger: overrides.logger ?? handlerLogger('fanout-notify'),
    }),
  );

  return async function notify(rawEvent: unknown): Promise<{ messageId: string }> {
    parseEvent(notifyEventSchema, rawEvent, 'Notify expects {summary}');
    // The original object, not zod's copy, so the published JSON keeps Summarize's key order.
    const summary = (rawEvent as { summary: RunOutput }).summary;
    const summaryWithDefaults: RunOutput = { ...summary, pendingItemIds: summary.pendingItemIds ?? [] };
    const deps = dependencies();
    const response = await deps.sns.send(
      new PublishCommand({
        TopicArn: deps.topicArn,
        Subject: `fanout ${summary.runId}: ${summary.status}`.slice(0, SUBJECT_LIMIT),
        Message: `${formatNotice(summaryWithDefaults)}\n\n${JSON.stringify(summary, null, 2)}\n`,
        MessageAttributes: {
          runId: { DataType: 'String', StringValue: summary.runId },
          status: { DataType: 'String', StringValue: summary.status },
        },
      }),
    );
    runLogger(deps.logger, { runId: summary.runId, execution: summary.executionArn }).info('notice published', {
      status: summary.status,
      messageId: response.MessageId,
    });
    return { messageId: response.MessageId ?? '' };
  };
}

/** The Lambda entry point. */
export const handler = createNotifyHandler();
