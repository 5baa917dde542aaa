import 'aws-sdk-client-mock-vitest/extend';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/program';
import { writeRunRecord } from '../../../run';
import { tempDir } from '../../e2e/helpers';
import {
  arrayExecutionArn,
  arrayStateMachineArn,
  captureIo,
  describedExecution,
  describeStacks,
  executionArn,
  headerRow,
  mapStateMachineArn,
  region,
  stackOutputs,
  startDate,
  stopDate,
} from '../aws-stack';
import { runRecord } from '../local-state';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

const notFound = () => new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} });
const failedRun = describedExecution('sweep-7', {
  status: 'FAILED',
  stopDate,
  error: 'States.ExceedToleratedFailureThreshold',
  cause: 'too many failures',
});

beforeEach(() => {
  cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
  sfnMock.on(ListExecutionsCommand).resolves({ executions: [] });
  sfnMock.on(DescribeExecutionCommand).rejects(notFound());
  sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') }).resolves(failedRun);
  ledgerMock.on(QueryCommand).resolves({
    Items: [
      { itemId: '0', status: 'SUCCEEDED' },
      { itemId: '1', status: 'SUCCEEDED' },
      { itemId: '2', status: 'SUCCEEDED' },
    ],
  });
});

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
});

describe('fanout retry (local refusals)', () => {
  it('names the run to retry with a command that works as printed', async () => {
    const dir = tempDir('fanout-retry-');
    writeRunRecord(dir, runRecord('sweep-retry-1', { retryOf: 'sweep' }));
    const io = captureIo();
    expect(await runCli(['retry', 'sweep-retry-1', '--dir', dir], io)).toBe(2);
    // Inside fanout's checkout a bare `fanout` is not on the PATH: the hint says npx fanout.
    expect(io.stderr).toEqual([
      `fanout: "sweep-retry-1" is a retry of run sweep; retry the run: npx fanout retry sweep --dir ${dir}`,
    ]);
  });
});

describe('fanout retry --aws', () => {
  it('starts <runId>-retry-<n> with input {retryOf}, n after the retries the header lists, and prints the retry summary', async () => {
    const retries = [{ executionArn: executionArn('sweep-7-retry-1'), startedAt: '2026-03-02T11:00:00.000Z' }];
    // The header as the retry finds it, then as the retry's Summarize leaves it.
    ledgerMock.on(GetCommand).callsFake((get: { ProjectionExpression?: string }) => ({
      Item: headerRow('sweep-7', { status: get.ProjectionExpression ? 'SUCCEEDED' : 'FAILED', retries }),
    }));
    // An earlier attempt at retry 2 failed before Prepare recorded it: the name is taken.
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-2') })
      .resolves(describedExecution('sweep-7-retry-2', { status: 'FAILED', stopDate, input: '{"retryOf":"sweep-7"}' }));
    sfnMock.on(StartExecutionCommand).callsFake(() => {
      sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-3') }).resolves(
        describedExecution('sweep-7-retry-3', {
          status: 'SUCCEEDED',
          startDate: new Date('2026-03-02T12:00:00.000Z'),
          stopDate: new Date('2026-03-02T12:02:00.000Z'),
          input: '{"retryOf":"sweep-7"}',
          output: JSON.stringify({ runId: 'sweep-7', status: 'SUCCEEDED', retryOf: 'sweep-7', retriedItemCount: 1 }),
        }),
      );
      return { executionArn: executionArn('sweep-7-retry-3'), startDate };
    });
    const io = captureIo();

    const code = await runCli(['retry', 'sweep-7', '--aws', '--region', region, '--json'], io);

    expect(code, io.stderr.join('\n')).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: mapStateMachineArn, name: 'sweep-7-retry-3', input: '{"retryOf":"sweep-7"}' },
    ]);
    expect(JSON.parse(io.stdout.at(-1) as string)).toEqual({
      runId: 'sweep-7',
      path: 'map',
      status: 'SUCCEEDED',
      executionStatus: 'SUCCEEDED',
      items: { total: 3, succeeded: 3, failed: 0, neverStarted: 0, queued: 0, running: 0 },
      counts: { total: 3, pending: 0, running: 0, succeeded: 3, failed: 0, retrying: 0, abandoned: 0 },
      error: null,
      cause: null,
      stateTransitions: null,
      executionArn: executionArn('sweep-7-retry-3'),
      startedAt: '2026-03-02T12:00:00.000Z',
      stoppedAt: '2026-03-02T12:02:00.000Z',
      durationSeconds: 120,
      retryOf: 'sweep-7',
      retriedItemCount: 1,
    });
    expect(sfnMock).toHaveReceivedCommandWith(ListExecutionsCommand, {
      stateMachineArn: mapStateMachineArn,
      statusFilter: 'RUNNING',
    });
  });

  it('starts the retry of an array run on the array state machine', async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ ArrayStateMachineArn: arrayStateMachineArn })));
    ledgerMock.on(GetCommand).resolves({ Item: headerRow('sweep-7', { status: 'FAILED', path: 'array' }) });
    sfnMock.on(StartExecutionCommand).callsFake(() => {
      sfnMock.on(DescribeExecutionCommand, { executionArn: arrayExecutionArn('sweep-7-retry-1') }).resolves(
        describedExecution('sweep-7-retry-1', {
          status: 'SUCCEEDED',
          stopDate,
          input: '{"retryOf":"sweep-7"}',
          output: '{"retriedItemCount":1}',
        }),
      );
      return { executionArn: arrayExecutionArn('sweep-7-retry-1'), startDate };
    });
    const io = captureIo();

    await runCli(['retry', 'sweep-7', '--aws', '--region', region, '--json'], io);

    expect(sfnMock.commandCalls(StartExecutionCommand).map((call) => call.args[0].input)).toEqual([
      { stateMachineArn: arrayStateMachineArn, name: 'sweep-7-retry-1', input: '{"retryOf":"sweep-7"}' },
    ]);
    expect(JSON.parse(io.stdout.at(-1) as string)).toMatchObject({ path: 'array', retryOf: 'sweep-7' });
  });

  it('refuses a run that is still running, with exit 2, starting nothing', async () => {
    ledgerMock.on(GetCommand).resolves({ Item: headerRow('sweep-7') });
    sfnMock.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: executionArn('sweep-7'),
          stateMachineArn: mapStateMachineArn,
          name: 'sweep-7',
          status: 'RUNNING',
          startDate,
        },
      ],
    });
    const io = captureIo();

    const code = await runCli(['retry', 'sweep-7', '--aws', '--region', region], io);

    expect(code).toBe(2);
    expect(io.stderr).toEqual([
      `fanout: run sweep-7 is still running on stack Fanout (eu-west-1) (${executionArn('sweep-7')}); retry it once it has ended`,
    ]);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('refuses a retry execution, naming the run to retry, and a run the ledger does not know', async () => {
    ledgerMock.on(GetCommand).resolves({});
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-1') })
      .resolves(
        describedExecution('sweep-7-retry-1', { status: 'SUCCEEDED', stopDate, input: '{"retryOf":"sweep-7"}' }),
      );
    const retryIo = captureIo();
    expect(await runCli(['retry', 'sweep-7-retry-1', '--aws', '--region', region], retryIo)).toBe(2);
    expect(retryIo.stderr).toEqual([
      'fanout: "sweep-7-retry-1" is a retry of run sweep-7; retry the run: npx fanout retry sweep-7 --aws --stack Fanout --region eu-west-1',
    ]);

    const unknownIo = captureIo();
    expect(await runCli(['retry', 'sweep-9', '--aws', '--region', region], unknownIo)).toBe(2);
    expect(unknownIo.stderr).toEqual([
      `fanout: no run "sweep-9" in ledger Fanout-LedgerTable0C1D2E3F-1A2B3C4D5E6F of stack Fanout (eu-west-1)`,
    ]);
    expect(sfnMock).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
