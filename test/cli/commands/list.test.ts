import 'aws-sdk-client-mock-vitest/extend';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ListExecutionsCommand, type ListExecutionsCommandInput, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { palette } from '../../../cli/colour';
import type { RunListing } from '../../../cli/commands/list';
import { runCli } from '../../../cli/program';
import { tempDir } from '../../e2e/helpers';
import {
  arrayStateMachineArn,
  captureIo,
  describeStacks,
  executionArn,
  mapStateMachineArn,
  region,
  stackOutputs,
} from '../aws-stack';
import { itemRow, runRecord, writeLocalState } from '../local-state';

const counts = (fields: Partial<RunListing['counts'] & object>) => ({
  total: 0,
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  retrying: 0,
  abandoned: 0,
  ...fields,
});

describe('fanout list (local state directory)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir('fanout-list-');
    await writeLocalState(dir, {
      records: [
        ['sweep-a', runRecord('sweep-a', { status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' })],
        [
          'sweep-a-retry-1',
          runRecord('sweep-a', {
            retryOf: 'sweep-a',
            startedAt: '2026-03-02T12:00:00.000Z',
            stoppedAt: '2026-03-02T12:00:03.000Z',
            durationSeconds: 3,
          }),
        ],
        [
          'sweep-b',
          runRecord('sweep-b', {
            path: 'array',
            startedAt: '2026-03-02T11:00:00.000Z',
            stoppedAt: '2026-03-02T11:01:00.000Z',
            durationSeconds: 60,
          }),
        ],
      ],
      rows: [
        itemRow('sweep-a', '0'),
        itemRow('sweep-a', '1', { status: 'FAILED', exitCode: 3 }),
        itemRow('sweep-a', '2', { status: 'SUCCEEDED' }),
        itemRow('sweep-b', '0'),
        itemRow('sweep-b', '1', { status: 'PENDING' }),
      ],
    });
    // A run this (live) process runs: its lock file, no record yet.
    writeFileSync(
      join(dir, 'runs', 'sweep-c.lock'),
      JSON.stringify({
        pid: process.pid,
        endpoint: 'http://127.0.0.1:1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        region: 'us-east-1',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-array:sweep-c',
      }),
    );
    // A lock left by a process that died is not a running run.
    writeFileSync(
      join(dir, 'runs', 'sweep-d.lock'),
      JSON.stringify({
        pid: 2 ** 22 + 1,
        endpoint: 'http://127.0.0.1:1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        region: 'us-east-1',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-d',
      }),
    );
  });

  it("lists every execution newest first with its run's current status and items from the ledger (--json)", async () => {
    const io = captureIo();
    expect(await runCli(['list', '--dir', dir, '--json'], io)).toBe(0);
    const { runs } = JSON.parse(io.stdout.at(-1) as string) as { runs: RunListing[] };
    // Each line of a run shows the run's current status; the execution's own is beside it.
    expect(runs.map((run) => [run.id, run.runId, run.path, run.status, run.executionStatus])).toEqual([
      ['sweep-c', 'sweep-c', 'array', 'RUNNING', 'RUNNING'],
      ['sweep-a-retry-1', 'sweep-a', 'map', 'COMPLETED_WITH_FAILURES', 'SUCCEEDED'],
      ['sweep-b', 'sweep-b', 'array', 'COMPLETED_WITH_FAILURES', 'SUCCEEDED'],
      ['sweep-a', 'sweep-a', 'map', 'COMPLETED_WITH_FAILURES', 'FAILED'],
    ]);
    expect(runs[0]?.counts).toBeNull();
    expect(runs[0]?.items).toBeNull();
    expect(runs[0]?.durationSeconds).toBeNull();
    expect(runs[1]?.counts).toEqual(counts({ total: 3, succeeded: 2, failed: 1 }));
    expect(runs[2]).toEqual({
      id: 'sweep-b',
      runId: 'sweep-b',
      path: 'array',
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      items: { total: 2, succeeded: 1, failed: 0, neverStarted: 1, queued: 0, running: 0 },
      counts: counts({ total: 2, succeeded: 1, pending: 1 }),
      startedAt: '2026-03-02T11:00:00.000Z',
      stoppedAt: '2026-03-02T11:01:00.000Z',
      durationSeconds: 60,
    });
    expect(runs[3]?.counts).toEqual(runs[1]?.counts);
  });

  it('prints a table for people, the status coloured only on a terminal', async () => {
    const io = captureIo();
    expect(await runCli(['list', '--dir', dir, '--limit', '3'], io)).toBe(0);
    const lines = io.stdout.join('\n').split('\n');
    expect(lines[0]).toMatch(/^ID +PATH +STATUS +ITEMS +SUCCEEDED +FAILED +NEVER STARTED +STARTED +DURATION$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^sweep-c +array +RUNNING +- +- +- +- +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +running$/);
    expect(lines[2]).toMatch(
      /^sweep-a-retry-1 +map +COMPLETED_WITH_FAILURES +3 +2 +1 +0 +2026-03-02 12:00:00Z +3\.0s$/,
    );
    expect(lines[3]).toMatch(/^sweep-b +array +COMPLETED_WITH_FAILURES +2 +1 +0 +1 +2026-03-02 11:00:00Z +60\.0s$/);
    expect(io.stdout.join('')).not.toContain('\x1b[');

    const coloured = { ...captureIo(), colour: true };
    expect(await runCli(['list', '--dir', dir, '--limit', '2'], coloured)).toBe(0);
    expect(coloured.stdout.join('\n')).toContain(palette(true).yellow('COMPLETED_WITH_FAILURES'));
    expect(coloured.stdout.join('\n')).toContain(palette(true).yellow('RUNNING'));
  });

  it('says so when the directory has no runs', async () => {
    const empty = tempDir('fanout-list-empty-');
    const io = captureIo();
    expect(await runCli(['list', '--dir', empty], io)).toBe(0);
    expect(io.stdout).toEqual([`no runs in ${empty}`]);
  });
});

describe('fanout list --aws', () => {
  let cloudFormationMock: AwsClientStub<CloudFormationClient>;
  let sfnMock: AwsClientStub<SFNClient>;
  let ledgerMock: AwsClientStub<DynamoDBDocumentClient>;
  let batchMock: AwsClientStub<BatchClient>;

  beforeAll(() => {
    cloudFormationMock = mockClient(CloudFormationClient);
    sfnMock = mockClient(SFNClient);
    ledgerMock = mockClient(DynamoDBDocumentClient);
    batchMock = mockClient(BatchClient);
    // The running retry's item has a child execution, but its job still waits in the queue.
    batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ ArrayStateMachineArn: arrayStateMachineArn })));
    sfnMock.on(ListExecutionsCommand).callsFake((input: ListExecutionsCommandInput) => ({
      executions:
        input.stateMachineArn === mapStateMachineArn
          ? [
              {
                executionArn: executionArn('sweep-7-retry-1'),
                stateMachineArn: mapStateMachineArn,
                name: 'sweep-7-retry-1',
                status: 'RUNNING',
                startDate: new Date('2026-03-02T12:00:00.000Z'),
              },
              {
                executionArn: executionArn('sweep-7'),
                stateMachineArn: mapStateMachineArn,
                name: 'sweep-7',
                status: 'FAILED',
                startDate: new Date('2026-03-02T10:00:00.000Z'),
                stopDate: new Date('2026-03-02T10:04:30.500Z'),
              },
            ]
          : [
              {
                executionArn: `${arrayStateMachineArn.replace(':stateMachine:', ':execution:')}:scan-1`,
                stateMachineArn: arrayStateMachineArn,
                name: 'scan-1',
                status: 'SUCCEEDED',
                startDate: new Date('2026-03-02T11:00:00.000Z'),
                stopDate: new Date('2026-03-02T11:00:10.000Z'),
              },
            ],
    }));
    ledgerMock.on(QueryCommand).callsFake((query: QueryCommandInput) => ({
      Items:
        query.ExpressionAttributeValues?.[':runId'] === 'sweep-7'
          ? [
              { itemId: '0', status: 'SUCCEEDED' },
              { itemId: '1', status: 'RETRYING' },
            ]
          : [],
    }));
  });

  afterAll(() => {
    cloudFormationMock.restore();
    sfnMock.restore();
    ledgerMock.restore();
    batchMock.restore();
  });

  it("lists both state machines' executions newest first, a retry with its run's counts", async () => {
    const io = captureIo();
    expect(await runCli(['list', '--aws', '--region', region, '--json', '--limit', '10'], io)).toBe(0);
    const { runs } = JSON.parse(io.stdout.at(-1) as string) as { runs: RunListing[] };
    expect(runs).toEqual([
      {
        id: 'sweep-7-retry-1',
        runId: 'sweep-7',
        path: 'map',
        status: 'RUNNING',
        executionStatus: 'RUNNING',
        items: { total: 2, succeeded: 1, failed: 0, neverStarted: 0, queued: 1, running: 0 },
        counts: counts({ total: 2, succeeded: 1, retrying: 1 }),
        startedAt: '2026-03-02T12:00:00.000Z',
        stoppedAt: null,
        durationSeconds: null,
      },
      {
        id: 'scan-1',
        runId: 'scan-1',
        path: 'array',
        status: 'SUCCEEDED',
        executionStatus: 'SUCCEEDED',
        items: null,
        counts: null,
        startedAt: '2026-03-02T11:00:00.000Z',
        stoppedAt: '2026-03-02T11:00:10.000Z',
        durationSeconds: 10,
      },
      {
        id: 'sweep-7',
        runId: 'sweep-7',
        path: 'map',
        // The run's current status: its retry runs.
        status: 'RUNNING',
        executionStatus: 'FAILED',
        items: { total: 2, succeeded: 1, failed: 0, neverStarted: 0, queued: 1, running: 0 },
        counts: counts({ total: 2, succeeded: 1, retrying: 1 }),
        startedAt: '2026-03-02T10:00:00.000Z',
        stoppedAt: '2026-03-02T10:04:30.500Z',
        durationSeconds: 270.5,
      },
    ]);
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: arrayStateMachineArn,
      maxResults: 10,
    });
  });
});
