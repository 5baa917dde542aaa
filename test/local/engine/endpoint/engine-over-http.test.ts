import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeMapRunCommand,
  ExecutionAlreadyExists,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  InvalidName,
  ListExecutionsCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalStepFunctions, MemoryObjectStore } from '../../../../local/engine';
import { startStepFunctionsEndpoint } from '../../../../local/engine/endpoint';
import { createLambdaIntegration } from '../../../../local/engine/integrations';

// The real engine behind the real endpoint, driven only through @aws-sdk/client-sfn, as a
// user's program or the AWS CLI would drive it.
const ROLE = 'arn:aws:iam::000000000000:role/test';
let sfn: SFNClient;
let close: () => Promise<void>;
/** While true, the `flaky` function fails: what a redrive test fixes between two attempts. */
let flakyFails = true;

beforeAll(async () => {
  const handlers = new Map<string, (event: unknown) => Promise<unknown>>([
    ['double', async (event: unknown) => ({ value: (event as { value: number }).value * 2 })],
    [
      'flaky',
      async () => {
        if (flakyFails) throw new Error('not yet');
        return { fixed: true };
      },
    ],
  ]);
  const service = createLocalStepFunctions({
    integrations: [createLambdaIntegration({ handlers })],
    objectStore: new MemoryObjectStore(),
    accountId: '000000000000',
  });
  const endpoint = await startStepFunctionsEndpoint({ service });
  close = endpoint.close;
  sfn = new SFNClient({
    region: 'us-east-1',
    endpoint: endpoint.url,
    credentials: endpoint.credentials,
  });
});

afterAll(async () => {
  sfn?.destroy();
  await close?.();
});

async function createMachine(name: string, definition: object): Promise<string> {
  const created = await sfn.send(
    new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify(definition) }),
  );
  return created.stateMachineArn as string;
}

async function finished(executionArn: string) {
  for (;;) {
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A Distributed Map over `$.items`; a child fails when its item has `fail: true`. */
const thresholdMachine = (tolerated: number) => ({
  StartAt: 'FanOut',
  States: {
    FanOut: {
      Type: 'Map',
      ItemsPath: '$.items',
      ToleratedFailureCount: tolerated,
      ItemProcessor: {
        ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
        StartAt: 'Check',
        States: {
          Check: {
            Type: 'Choice',
            Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Broken' }],
            Default: 'Fine',
          },
          Broken: { Type: 'Fail', Error: 'Item.Broken', Cause: 'asked to fail' },
          Fine: { Type: 'Pass', End: true },
        },
      },
      End: true,
    },
  },
});
const items = Array.from({ length: 10 }, (_, i) => ({ i, fail: i < 3 }));

describe('the local engine over the Step Functions API', () => {
  it('runs a Task through an integration and reports the output', async () => {
    const arn = await createMachine('double', {
      StartAt: 'Double',
      States: {
        Double: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'double', 'Payload.$': '$' },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":21}' }));
    const execution = await finished(executionArn as string);
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ value: 42 });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events?.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  // docs: step-functions/latest/dg/maprun-fail-threshold.html — the Map Run fails only when
  // failures exceed the tolerated count.
  it('succeeds with failures AT the tolerated count and reports the Map Run counts', async () => {
    const arn = await createMachine('tolerate-3', thresholdMachine(3));
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items }) }),
    );
    expect((await finished(executionArn as string)).status).toBe('SUCCEEDED');
    const { mapRuns } = await sfn.send(new ListMapRunsCommand({ executionArn }));
    expect(mapRuns).toHaveLength(1);
    const mapRun = await sfn.send(new DescribeMapRunCommand({ mapRunArn: mapRuns?.[0]?.mapRunArn }));
    expect(mapRun.status).toBe('SUCCEEDED');
    expect(mapRun.toleratedFailureCount).toBe(3);
    expect(mapRun.itemCounts).toMatchObject({ total: 10, succeeded: 7, failed: 3, pending: 0, running: 0 });
    expect(mapRun.executionCounts).toMatchObject({ total: 10, succeeded: 7, failed: 3 });
    const children = await sfn.send(new ListExecutionsCommand({ mapRunArn: mapRuns?.[0]?.mapRunArn }));
    expect(children.executions).toHaveLength(10);
    expect(children.executions?.filter((child) => child.status === 'FAILED')).toHaveLength(3);
  });

  it('fails with States.ExceedToleratedFailureThreshold one failure above the count', async () => {
    const arn = await createMachine('tolerate-2', thresholdMachine(2));
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ items }) }),
    );
    const execution = await finished(executionArn as string);
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.ExceedToleratedFailureThreshold');
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = history.events?.map((event) => event.type) ?? [];
    expect(types).toContain('MapRunStarted');
    expect(types).toContain('MapRunFailed');
    expect(types.at(-1)).toBe('ExecutionFailed');
  });

  it('refuses an invalid definition with InvalidDefinition', async () => {
    await expect(
      createMachine('broken', { StartAt: 'Nowhere', States: { A: { Type: 'Pass', End: true } } }),
    ).rejects.toBeInstanceOf(InvalidDefinition);
  });

  it('refuses a second execution of the same name with other input, and invalid names', async () => {
    const arn = await createMachine('waiter', {
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 60, End: true } },
    });
    await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"a":1}' }));
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'once', input: '{"a":2}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'has space' })),
    ).rejects.toBeInstanceOf(InvalidName);
  });

  it('aborts a running execution on StopExecution', async () => {
    const arn = await createMachine('stoppable', {
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: 600, End: true } },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'User.Stop', cause: 'enough' }));
    const execution = await finished(executionArn as string);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'User.Stop', cause: 'enough' });
  });
});

// docs: step-functions/latest/apireference/API_RedriveExecution.html, API_DescribeExecution.html,
// API_ExecutionRedrivenEventDetails.html and API_ListExecutions.html (redriveFilter).
describe('RedriveExecution over the Step Functions API', () => {
  it('redrives a failed execution and reports it in DescribeExecution, the history and ListExecutions', async () => {
    const arn = await createMachine('redrivable', {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'flaky', Payload: {} },
          OutputPath: '$.Payload',
          End: true,
        },
      },
    });
    flakyFails = true;
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn }));
    expect(await finished(executionArn as string)).toMatchObject({
      status: 'FAILED',
      redriveCount: 0,
      redriveStatus: 'REDRIVABLE',
    });

    flakyFails = false;
    const redriven = await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: 'fix-1' }));
    expect(redriven.redriveDate).toBeInstanceOf(Date);
    // The same client token answers with the same redrive.
    const again = await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: 'fix-1' }));
    expect(again.redriveDate?.getTime()).toBe(redriven.redriveDate?.getTime());

    const execution = await finished(executionArn as string);
    expect(execution).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    expect(execution.redriveDate?.getTime()).toBe(redriven.redriveDate?.getTime());
    expect(JSON.parse(execution.output ?? 'null')).toEqual({ fixed: true });

    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const event = history.events?.find((candidate) => candidate.type === 'ExecutionRedriven');
    expect(event?.executionRedrivenEventDetails).toEqual({ redriveCount: 1 });

    const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, redriveFilter: 'REDRIVEN' }));
    expect(listed.executions?.map((item) => [item.executionArn, item.redriveCount])).toEqual([[executionArn, 1]]);

    await expect(sfn.send(new RedriveExecutionCommand({ executionArn }))).rejects.toBeInstanceOf(
      ExecutionNotRedrivable,
    );
  });
});
