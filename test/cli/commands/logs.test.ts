import 'aws-sdk-client-mock-vitest/extend';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBDocumentClient, GetCommand, type GetCommandInput, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsCommand } from '../../../cli/commands/logs';
import { readLogFile } from '../../../cli/logs/local-source';
import { runCli } from '../../../cli/program';
import { cloudWatchLogUrl } from '../../../cli/targets';
import { logFileFor } from '../../../local/batch';
import { tempDir } from '../../e2e/helpers';
import { captureIo, describeStacks, failedRow, headerRow, logGroup, region } from '../aws-stack';

const cloudWatchLink = (logStream: string) => cloudWatchLogUrl(region, logGroup, logStream);

import { itemRow, runRecord, writeLocalState } from '../local-state';

/** A failed item whose job never started: no log stream. */
const { logStream: _none, ...neverStarted } = itemRow('sweep-a', 'alpha-0.9', {
  status: 'FAILED',
  kwargs: '{"alpha":0.9}',
  exitCode: null,
});

describe('fanout logs (local state directory)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('fanout-logs-');
    await writeLocalState(dir, {
      records: [['sweep-a', runRecord('sweep-a', { status: 'FAILED' })]],
      rows: [
        itemRow('sweep-a', 'alpha-0.1', { kwargs: '{"alpha":0.1}', logStream: 'fanout-job/default/aaa' }),
        itemRow('sweep-a', 'alpha-0.5', {
          status: 'FAILED',
          exitCode: 3,
          kwargs: '{"alpha":0.5}',
          logStream: 'fanout-job/default/bbb',
        }),
        neverStarted,
      ],
      logs: { 'fanout-job/default/aaa': 'loss 0.31\ndone\n', 'fanout-job/default/bbb': 'loss nan\ndiverged\n' },
    });
  });

  it("prints one item's log on stdout, the item by id, kwargs and status on stderr", async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-a', 'alpha-0.1', '--dir', dir], io)).toBe(0);
    expect(io.stdout).toEqual(['loss 0.31\ndone']);
    expect(io.stderr).toEqual([
      `==> alpha-0.1 {"alpha":0.1} SUCCEEDED exit 0 ${logFileFor(dir, 'fanout-job/default/aaa')} <==`,
    ]);
  });

  it("prints every failed item's log after a line naming it by id and kwargs", async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-a', '--dir', dir], io)).toBe(0);
    expect(io.stdout).toEqual([
      `==> alpha-0.5 {"alpha":0.5} FAILED exit 3 ${logFileFor(dir, 'fanout-job/default/bbb')} <==`,
      'loss nan\ndiverged',
      '==> alpha-0.9 {"alpha":0.9} FAILED <==',
      '(no log: the job never started)',
    ]);
  });

  it('refuses an item the run does not have, suggesting the one meant', async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-a', 'alpha-0.55', '--dir', dir], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(
      /^fanout: run sweep-a has no item "alpha-0.55" in .* \(did you mean alpha-0.5\?\)$/,
    );
  });

  it('refuses a run the directory does not have, suggesting the one meant', async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-b', '--dir', dir], io)).toBe(2);
    expect(io.stderr).toEqual([`fanout: no run "sweep-b" in ${dir} (did you mean sweep-a?)`]);
  });

  it("follows an item's job in a run a live process runs, from the Batch journal, until the job ends", async () => {
    const live = tempDir('fanout-logs-live-');
    mkdirSync(join(live, 'runs'), { recursive: true });
    writeFileSync(
      join(live, 'runs', 'sweep-l.lock'),
      JSON.stringify({
        pid: process.pid,
        endpoint: 'http://127.0.0.1:1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        region: 'us-east-1',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-l',
      }),
    );
    const journal = join(live, 'batch', 'jobs.journal.jsonl');
    const log = logFileFor(live, 'fanout-job/default/ccc');
    mkdirSync(dirname(log), { recursive: true });
    writeFileSync(
      journal,
      `${JSON.stringify({ e: 's', id: 'job-1', name: 'sweep-l-item_1', queue: 'fanout-high', def: 'fanout-job', at: 1 })}\n${JSON.stringify({ e: 'r', id: 'job-1', at: 2, log: 'fanout-job/default/ccc' })}\n`,
    );
    writeFileSync(log, 'step 1\n');
    const io = captureIo();
    let reads = 0;
    const followed = logsCommand(
      { runId: 'sweep-l', itemId: 'item.1', dir: live, follow: true, pollIntervalMs: 20 },
      {
        ...io,
        out: (text) => {
          io.out(text);
          reads += 1;
          if (reads === 1) {
            appendFileSync(log, 'step 2\n');
            appendFileSync(
              journal,
              `${JSON.stringify({ e: 'f', id: 'job-1', status: 'SUCCEEDED', at: 3, exitCode: 0 })}\n`,
            );
          }
        },
      },
    );
    expect(await followed).toBe(0);
    expect(io.stdout).toEqual(['step 1', 'step 2']);
    expect(io.stderr.at(-1)).toBe('item.1 ended SUCCEEDED (exit 0)');
  });
});

describe('readLogFile', () => {
  it('reads from a byte offset and reads a file not written yet as empty', () => {
    const file = join(tempDir('fanout-log-file-'), 'job.log');
    expect(readLogFile(file, undefined)).toEqual({ text: '', cursor: 0 });
    writeFileSync(file, 'héllo\nworld\n');
    const first = readLogFile(file, undefined);
    expect(first).toEqual({ text: 'héllo\nworld\n', cursor: 13 });
    appendFileSync(file, 'more\n');
    expect(readLogFile(file, first.cursor)).toEqual({ text: 'more\n', cursor: 18 });
  });
});

describe('fanout logs --aws', () => {
  let cloudFormationMock: AwsClientStub<CloudFormationClient>;
  let ledgerMock: AwsClientStub<DynamoDBDocumentClient>;
  let logsMock: AwsClientStub<CloudWatchLogsClient>;
  const row = failedRow('sweep-7', '2');

  beforeAll(() => {
    cloudFormationMock = mockClient(CloudFormationClient);
    ledgerMock = mockClient(DynamoDBDocumentClient);
    logsMock = mockClient(CloudWatchLogsClient);
    cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
    ledgerMock.on(GetCommand).callsFake((input: GetCommandInput) => ({
      Item:
        input.Key?.itemId === '#run' && input.Key?.runId === 'sweep-7'
          ? headerRow('sweep-7')
          : input.Key?.itemId === '2'
            ? row
            : undefined,
    }));
    ledgerMock.on(QueryCommand).resolves({ Items: [row] });
    logsMock.on(GetLogEventsCommand).callsFake((input: GetLogEventsCommandInput) =>
      input.nextToken === undefined
        ? {
            events: [{ message: 'seed 2' }, { message: 'Traceback (most recent call last):\n' }],
            nextForwardToken: 'f/1',
          }
        : { events: [], nextForwardToken: input.nextToken },
    );
  });

  afterAll(() => {
    cloudFormationMock.restore();
    ledgerMock.restore();
    logsMock.restore();
  });

  it("reads an item's log stream from the stack's job log group, oldest first", async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-7', '2', '--aws', '--region', region], io)).toBe(0);
    expect(io.stdout).toEqual(['seed 2\nTraceback (most recent call last):']);
    expect(io.stderr[0]).toBe(`==> 2 {"seed":2} FAILED exit 3 ${cloudWatchLink(row.logStream as string)} <==`);
    expect(logsMock).toHaveReceivedCommandWith(GetLogEventsCommand, {
      logGroupName: logGroup,
      logStreamName: row.logStream,
      startFromHead: true,
    });
  });

  it('prints the failed items named by id and kwargs without an item', async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-7', '--aws', '--region', region], io)).toBe(0);
    expect(io.stdout[0]).toBe(`==> 2 {"seed":2} FAILED exit 3 ${cloudWatchLink(row.logStream as string)} <==`);
    expect(io.stdout[1]).toBe('seed 2\nTraceback (most recent call last):');
  });

  it('refuses a run the ledger does not have', async () => {
    const io = captureIo();
    expect(await runCli(['logs', 'sweep-8', '--aws', '--region', region], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('no run "sweep-8" in stack Fanout (eu-west-1)');
  });
});
