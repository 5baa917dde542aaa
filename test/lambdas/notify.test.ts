import 'aws-sdk-client-mock-vitest/extend';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createNotifyHandler, formatNotice } from '../../lambdas/notify';
import { EnvironmentVariableError, EventError } from '../../lambdas/shared/errors';
import type { RunOutput } from '../../lambdas/shared/run-output';

const snsMock = mockClient(SNSClient);
const topicArn = 'arn:aws:sns:us-east-1:000000000000:fanout-notices';

const summary: RunOutput = {
  runId: 'sweep-1',
  path: 'map',
  status: 'FAILED',
  counts: { total: 10, pending: 2, running: 0, succeeded: 5, failed: 3, retrying: 0, abandoned: 0 },
  itemCount: 10,
  pendingItemIds: ['8', '9'],
  startedAt: '2025-01-02T03:04:05.000Z',
  stoppedAt: '2025-01-02T03:06:10.000Z',
  durationMs: 125_000,
  error: { error: 'States.ExceedToleratedFailureThreshold', cause: 'threshold exceeded' },
  results: { bucket: 'fanout-data', key: 'runs/sweep-1/results/u/manifest.json' },
};

afterEach(() => snsMock.reset());

describe('notify', () => {
  it('publishes the text notice and the JSON summary, and returns the message id', async () => {
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const handler = createNotifyHandler({ sns: new SNSClient({ region: 'us-east-1' }), topicArn });

    await expect(handler({ summary })).resolves.toEqual({ messageId: 'm-1' });

    expect(snsMock).toHaveReceivedCommandExactlyOnceWith(PublishCommand, {
      TopicArn: topicArn,
      Subject: 'fanout sweep-1: FAILED',
      Message: `${formatNotice(summary)}\n\n${JSON.stringify(summary, null, 2)}\n`,
      MessageAttributes: {
        runId: { DataType: 'String', StringValue: 'sweep-1' },
        status: { DataType: 'String', StringValue: 'FAILED' },
      },
    });
  });

  it('names the missing TOPIC_ARN', async () => {
    const handler = createNotifyHandler({ sns: new SNSClient({ region: 'us-east-1' }) }, {});
    await expect(handler({ summary })).rejects.toThrow(EnvironmentVariableError);
    await expect(handler({ summary })).rejects.toThrow('environment variable TOPIC_ARN is required');
  });

  it('rejects an event without a summary and publishes nothing', async () => {
    const handler = createNotifyHandler({ sns: new SNSClient({ region: 'us-east-1' }), topicArn });
    await expect(handler({ runId: 'x' })).rejects.toThrow(EventError);
    expect(snsMock).not.toHaveReceivedAnyCommand();
  });
});

describe('formatNotice', () => {
  it('says what happened in a few lines', () => {
    expect(formatNotice(summary)).toBe(
      [
        'fanout run sweep-1 (map path): FAILED',
        'items: 10 total, 5 succeeded, 3 failed, 2 pending (never started or never recorded)',
        'started 2025-01-02T03:04:05.000Z, stopped 2025-01-02T03:06:10.000Z (2m 5s)',
        'error: States.ExceedToleratedFailureThreshold: threshold exceeded',
        'pending items: 8, 9',
        'results: s3://fanout-data/runs/sweep-1/results/u/manifest.json',
      ].join('\n'),
    );
  });

  it('lists the jobs of an array-path summary', () => {
    const arraySummary: RunOutput = {
      runId: 'sweep-2',
      path: 'array',
      status: 'FAILED',
      counts: { total: 10_001, pending: 0, running: 0, succeeded: 10_000, failed: 1, retrying: 0, abandoned: 0 },
      itemCount: 10_001,
      pendingItemIds: [],
      startedAt: '2025-01-02T03:04:05.000Z',
      stoppedAt: '2025-01-02T03:04:15.000Z',
      durationMs: 10_000,
      error: {
        error: 'States.TaskFailed',
        cause:
          'Batch job p-2 (sweep-2-array-r1-1) failed: Essential container in task exited; 1 item(s) of this execution FAILED (10000)',
      },
      arrayJobs: [
        { jobName: 'sweep-2-array-r1-0', jobId: 'p-1', size: 10_000, status: 'SUCCEEDED' },
        { jobName: 'sweep-2-array-r1-1', jobId: 'p-2', size: 1, status: 'FAILED' },
      ],
    };
    expect(
      formatNotice(arraySummary).split('\n').slice(0, 1).concat(formatNotice(arraySummary).split('\n').slice(-2)),
    ).toEqual([
      'fanout run sweep-2 (array path): FAILED',
      'array job of 10000: sweep-2-array-r1-0 (p-1) SUCCEEDED',
      'job: sweep-2-array-r1-1 (p-2) FAILED',
    ]);
  });
});
