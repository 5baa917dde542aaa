import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { createLocalStepFunctions, MemoryObjectStore } from '../../../../local/engine';
import { startStepFunctionsEndpoint } from '../../../../local/engine/endpoint';
import { harness } from '../helpers';

// https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html: Error, Cause, ErrorPath and
// CausePath are all optional; ErrorPath and CausePath may be intrinsic functions that return a string.

/** A machine of one Fail state (a Fail state has no End). */
const only = (state: object): object => ({ StartAt: 'S', States: { S: state } });

const failedDetails = (h: ReturnType<typeof harness>, arn: string) => {
  const events = h.sfn.getExecutionHistory(arn, { maxResults: 1000 }).items;
  return events.at(-1)!;
};

describe('a Fail state without Error or Cause (state-fail.html)', () => {
  it('fails the execution with neither error nor cause in DescribeExecution and ExecutionFailed', async () => {
    const h = harness();
    const result = await h.run(only({ Type: 'Fail' }));
    expect(result.status).toBe('FAILED');
    expect(result).not.toHaveProperty('error');
    expect(result).not.toHaveProperty('cause');
    const last = failedDetails(h, result.arn);
    expect(last.type).toBe('ExecutionFailed');
    expect(last.details).toEqual({ executionFailedEventDetails: {} });
  });

  it('reports only the Error when the state sets no Cause', async () => {
    const h = harness();
    const result = await h.run(only({ Type: 'Fail', Error: 'Broken' }));
    expect(result.error).toBe('Broken');
    expect(result).not.toHaveProperty('cause');
    expect(failedDetails(h, result.arn).details).toEqual({ executionFailedEventDetails: { error: 'Broken' } });
  });

  it('reports only the Cause when the state sets no Error', async () => {
    const h = harness();
    const result = await h.run(only({ Type: 'Fail', Cause: 'because' }));
    expect(result).not.toHaveProperty('error');
    expect(result.cause).toBe('because');
    expect(failedDetails(h, result.arn).details).toEqual({ executionFailedEventDetails: { cause: 'because' } });
  });

  it('leaves the missing member out of the error output a Catch places', async () => {
    const h = harness();
    const result = await h.run({
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'Broken' } } }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done' }],
          Next: 'Done',
        },
        Done: { Type: 'Pass', End: true },
      },
    });
    expect(JSON.parse(result.output!)).toEqual({ Error: 'Broken' });
  });

  it('leaves them out of a Distributed Map child and of its result entry', async () => {
    const h = harness();
    const result = await h.run(
      only({
        Type: 'Map',
        End: true,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'F',
          States: { F: { Type: 'Fail' } },
        },
        ToleratedFailurePercentage: 100,
      }),
      [1],
    );
    const [entry] = JSON.parse(result.output!) as Record<string, unknown>[];
    expect(entry).toMatchObject({ Status: 'FAILED' });
    expect(entry).not.toHaveProperty('Error');
    expect(entry).not.toHaveProperty('Cause');
    const mapRunArn = h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn;
    const child = h.sfn.listExecutions({ mapRunArn }).items[0]!;
    const described = h.sfn.describeExecution(child.executionArn);
    expect(described.status).toBe('FAILED');
    expect(described).not.toHaveProperty('error');
    expect(described).not.toHaveProperty('cause');
  });

  it('omits them from the endpoint JSON too', async () => {
    const service = createLocalStepFunctions({ integrations: [], objectStore: new MemoryObjectStore() });
    const endpoint = await startStepFunctionsEndpoint({ service });
    try {
      const sfn = new SFNClient({
        region: 'us-east-1',
        endpoint: endpoint.url,
        credentials: endpoint.credentials,
      });
      const { stateMachineArn } = await sfn.send(
        new CreateStateMachineCommand({
          name: 'fail-bare',
          definition: JSON.stringify(only({ Type: 'Fail', Cause: 'only a cause' })),
          roleArn: 'arn:aws:iam::123456789012:role/test',
        }),
      );
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn }));
      await service.waitForExecution(executionArn!);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      expect(described.status).toBe('FAILED');
      expect(described.error).toBeUndefined();
      expect(described.cause).toBe('only a cause');
      const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(history.events!.at(-1)!.executionFailedEventDetails).toEqual({ cause: 'only a cause' });
    } finally {
      await endpoint.close();
    }
  });
});

describe('ErrorPath and CausePath as intrinsic functions (state-fail.html)', () => {
  it('evaluates States.Format in ErrorPath and CausePath', async () => {
    const h = harness();
    const result = await h.run(
      only({
        Type: 'Fail',
        ErrorPath: "States.Format('{}.Failed', $.service)",
        CausePath: "States.Format('job {} failed with code {}', $.job, $.code)",
      }),
      { service: 'Render', job: 'frame-7', code: 3 },
    );
    expect(result.error).toBe('Render.Failed');
    expect(result.cause).toBe('job frame-7 failed with code 3');
  });

  it('evaluates States.JsonToString and States.ArrayGetItem', async () => {
    const h = harness();
    const result = await h.run(
      only({ Type: 'Fail', ErrorPath: 'States.ArrayGetItem($.errors, 1)', CausePath: 'States.JsonToString($.detail)' }),
      { errors: ['A', 'B'], detail: { code: 3 } },
    );
    expect(result.error).toBe('B');
    expect(result.cause).toBe('{"code":3}');
  });

  it('fails with States.Runtime when the function does not return a string', async () => {
    const h = harness();
    const result = await h.run(only({ Type: 'Fail', CausePath: 'States.ArrayGetItem($.codes, 0)' }), {
      codes: [3],
    });
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain('CausePath');
  });
});
