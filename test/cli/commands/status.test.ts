import 'aws-sdk-client-mock-vitest/extend';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { BatchClient, DescribeJobsCommand, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program';
import type { RunSummary } from '../../../run';
import {
  captureIo,
  describedExecution,
  describeStacks,
  executionArn,
  failedRow,
  headerRow,
  ledgerTable,
  region,
  stopDate,
} from '../aws-stack';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const batchMock = mockClient(BatchClient);

const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
const retries = [{ executionArn: executionArn('sweep-7-retry-1'), startedAt: '2026-03-02T11:00:00.000Z' }];

beforeEach(() => {
  cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
  ledgerMock.on(QueryCommand).callsFake((query: QueryCommandInput) =>
    query.IndexName === 'failed-items'
      ? { Items: [failedRow('sweep-7', '2', { attempt: 2, status: 'FAILED' })] }
      : {
          Items: [
            { itemId: '0', status: 'SUCCEEDED' },
            { itemId: '1', status: 'SUCCEEDED' },
            { itemId: '2', status: 'FAILED' },
          ],
        },
  );
});

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
  batchMock.reset();
});

describe('fanout status --aws', () => {
  it('prints a run within its tolerated failures as COMPLETED_WITH_FAILURES, never a bare SUCCEEDED, with its retries', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves(
      describedExecution('sweep-7', {
        status: 'SUCCEEDED',
        stopDate,
        output: '{"status":"COMPLETED_WITH_FAILURES"}',
      }),
    );
    ledgerMock.on(GetCommand).resolves({ Item: { status: 'COMPLETED_WITH_FAILURES', retries } });
    const io = captureIo();

    const code = await runCli(['status', 'sweep-7', '--aws', '--region', region, '--json'], io);

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(JSON.parse(io.stdout.at(-1) as string)).toEqual({
      runId: 'sweep-7',
      path: 'map',
      status: 'COMPLETED_WITH_FAILURES',
      executionStatus: 'SUCCEEDED',
      items: { total: 3, succeeded: 2, failed: 1, neverStarted: 0, queued: 0, running: 0 },
      counts: { total: 3, pending: 0, running: 0, succeeded: 2, failed: 1, retrying: 0, abandoned: 0 },
      error: null,
      cause: null,
      stateTransitions: null,
      executionArn: executionArn('sweep-7'),
      startedAt: '2026-03-02T10:00:00.000Z',
      stoppedAt: '2026-03-02T10:04:30.500Z',
      durationSeconds: 270.5,
      retries,
    } satisfies RunSummary);
    // The retry started last: how it ended decides with the header whether the run still runs.
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: executionArn('sweep-7-retry-1'),
    });
    expect(ledgerMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'sweep-7', itemId: '#run' },
      ProjectionExpression: '#status, #retries, #resumes, #aggregateOutcome',
    });
    expect(ledgerMock).toHaveReceivedCommandWith(QueryCommand, {
      TableName: ledgerTable,
      KeyConditionExpression: '#runId = :runId AND #itemId > :header',
      ExpressionAttributeValues: { ':runId': 'sweep-7', ':header': '#run' },
    });
  });

  it("shows an aborted run that a retry finished as the ledger's current state, not its first execution's", async () => {
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') })
      .resolves(describedExecution('sweep-7', { status: 'ABORTED', stopDate, error: 'Fanout.Interrupted' }));
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-1') })
      .resolves(
        describedExecution('sweep-7-retry-1', { status: 'SUCCEEDED', stopDate, input: '{"retryOf":"sweep-7"}' }),
      );
    ledgerMock.on(GetCommand).resolves({ Item: { status: 'SUCCEEDED', retries } });
    ledgerMock.on(QueryCommand).resolves({
      Items: [
        { itemId: '0', status: 'SUCCEEDED' },
        { itemId: '1', status: 'SUCCEEDED' },
      ],
    });
    const io = captureIo();

    const code = await runCli(['status', 'sweep-7', '--aws', '--region', region, '--json'], io);

    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({
      status: 'SUCCEEDED',
      executionStatus: 'ABORTED',
      items: { total: 2, succeeded: 2, failed: 0, neverStarted: 0 },
    });
  });

  it('reports a retry execution by its name: the run it re-ran and how many items it re-ran', async () => {
    sfnMock.on(DescribeExecutionCommand).resolves(
      describedExecution('sweep-7-retry-1', {
        status: 'SUCCEEDED',
        stopDate,
        input: '{"retryOf":"sweep-7"}',
        output: JSON.stringify({ runId: 'sweep-7', status: 'SUCCEEDED', retryOf: 'sweep-7', retriedItemCount: 1 }),
      }),
    );
    ledgerMock.on(GetCommand).resolves({ Item: { retries } });
    const io = captureIo();

    const code = await runCli(['status', 'sweep-7-retry-1', '--aws', '--region', region, '--json'], io);

    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({
      runId: 'sweep-7',
      retryOf: 'sweep-7',
      retriedItemCount: 1,
      executionArn: executionArn('sweep-7-retry-1'),
      counts: { total: 3, succeeded: 2, failed: 1 },
    });
    // A retry execution's summary lists no retries of its own, though its run has one.
    expect(JSON.parse(io.stdout.at(-1) as string).retries).toBeUndefined();
  });

  it("counts a running run's items as running only when Batch runs their job, as queued otherwise", async () => {
    sfnMock.on(DescribeExecutionCommand).resolves(describedExecution('sweep-7'));
    ledgerMock.on(GetCommand).resolves({ Item: { status: 'RUNNING' } });
    ledgerMock.on(QueryCommand).callsFake((query: QueryCommandInput) =>
      query.IndexName === 'failed-items'
        ? { Items: [failedRow('sweep-7', '2', { attempt: 2, status: 'FAILED' })] }
        : {
            Items: [
              { itemId: '0', status: 'SUCCEEDED' },
              { itemId: '1', status: 'PENDING' },
              { itemId: '2', status: 'FAILED' },
              { itemId: '3', status: 'PENDING' },
              { itemId: '4', status: 'PENDING' },
            ],
          },
    );
    // Batch: one of the run's jobs RUNNING, one STARTING; other runs' jobs do not count, even
    // run sweep-7-4's, whose name starts like the run's: its variables tell it apart.
    batchMock.on(ListJobsCommand).callsFake((input: { jobQueue?: string; jobStatus?: string }) => ({
      jobSummaryList: !input.jobQueue?.endsWith('/fanout-high')
        ? []
        : input.jobStatus === 'RUNNING'
          ? [
              { jobId: 'j1', jobName: 'sweep-7-1', status: 'RUNNING' },
              { jobId: 'j9', jobName: 'sweep-8-1', status: 'RUNNING' },
              { jobId: 'j74', jobName: 'sweep-7-4-0', status: 'RUNNING' },
            ]
          : [{ jobId: 'j3', jobName: 'sweep-7-3', status: 'STARTING' }],
    }));
    const runOf: Record<string, string> = { j1: 'sweep-7', j3: 'sweep-7', j74: 'sweep-7-4' };
    batchMock.on(DescribeJobsCommand).callsFake((input: { jobs: string[] }) => ({
      jobs: input.jobs.map((jobId) => ({
        jobId,
        container: { environment: [{ name: 'FANOUT_RUN_ID', value: runOf[jobId] }] },
      })),
    }));
    const io = captureIo();

    const code = await runCli(['status', 'sweep-7', '--aws', '--stack', 'Fanout', '--region', region], io);

    expect(code).toBe(1);
    const stdout = io.stdout.join('\n');
    expect(stdout).toMatch(/status\s+RUNNING/);
    expect(stdout).toMatch(/ {2}queued\s+1\n {2}running\s+2/);
    expect(stdout).not.toMatch(/duration/);
    expect(stdout).toContain(
      '  2 exit 3: Essential container in task exited (APP_ERROR, attempt 2)\n    log: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Ffanout-jobs/log-events/fanout-job$252Fdefault$252F4f6a2b8c9d0e1f2a3b4c5d6e7f809102',
    );
  });

  it('exits 2 for a run that has neither an execution of that name nor a ledger row', async () => {
    sfnMock.on(DescribeExecutionCommand).rejects(notFound());
    ledgerMock.on(GetCommand).resolves({});
    const io = captureIo();

    const code = await runCli(['status', 'nothing-here', '--aws', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr[0]).toBe(
      `fanout: no run "nothing-here" in stack Fanout (eu-west-1) (no execution of ${describedExecution('x').stateMachineArn} by that name, no row in ledger ${ledgerTable})`,
    );
  });

  it('follows the header row to an execution named otherwise', async () => {
    const consoleName = 'd3c1e2f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
    sfnMock.on(DescribeExecutionCommand).rejects(notFound());
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn(consoleName) }).resolves(
      describedExecution(consoleName, {
        status: 'FAILED',
        stopDate,
        error: 'FanoutInputError',
        cause: 'jobQueue: no job queue has this name; received "fanout-hihg"',
        input: '{"runId":"sweep-7","items":[{}]}',
      }),
    );
    ledgerMock.on(GetCommand).resolves({
      Item: headerRow('sweep-7', { executionArn: executionArn(consoleName), executionName: consoleName }),
    });
    const io = captureIo();

    const code = await runCli(['status', 'sweep-7', '--aws', '--region', region, '--json'], io);

    expect(code).toBe(1);
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({
      runId: 'sweep-7',
      status: 'FAILED',
      error: 'FanoutInputError',
      executionArn: executionArn(consoleName),
    });
  });
});

const root = normalize(join(import.meta.dirname, '..', '..', '..'));

/** The modules a file loads when it is loaded: its static value imports (type-only imports are erased, `import()` waits). */
function staticImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const clause = statement.importClause;
    const bindings = clause?.namedBindings;
    const onlyTypes =
      clause?.isTypeOnly ||
      (clause &&
        !clause.name &&
        bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.every((e) => e.isTypeOnly));
    if (!onlyTypes) specifiers.push(statement.moduleSpecifier.text);
  }
  return specifiers;
}

/** Every module loaded with `file`, transitively: repository files and packages. */
function loadedWith(file: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (current: string) => {
    if (files.has(current)) return;
    files.add(current);
    for (const specifier of staticImports(current)) {
      if (!specifier.startsWith('.')) {
        packages.add(specifier);
        continue;
      }
      const base = normalize(join(dirname(current), specifier));
      const found = [`${base}.ts`, join(base, 'index.ts'), base].find((candidate) => existsSync(join(root, candidate)));
      if (found?.endsWith('.ts')) visit(relative(root, join(root, found)));
    }
  };
  visit(file);
  return { files, packages };
}

// `fanout status RUNID` of a local run answers from the ledger snapshot: it starts as fast as
// `--help` only while it loads no AWS SDK client and no DynamoDB (measured by bench/startup.ts).
describe('fanout status start-up', () => {
  it('loads no AWS SDK, no local DynamoDB and no AWS target before it knows it needs them', () => {
    const { files, packages } = loadedWith('cli/commands/status.ts');
    expect([...packages].filter((name) => name.startsWith('@aws-sdk/'))).toEqual([]);
    expect(
      [...files].filter((name) => /^local\/dynamodb|^cli\/targets\/aws|^run\/index|^run\/ledger\/reads/.test(name)),
    ).toEqual([]);
  });
});
