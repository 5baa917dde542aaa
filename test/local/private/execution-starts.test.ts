import { describe, expect, it } from 'vitest';
import { reportingStarts } from '../../../local/private/execution-starts';
import { flaky, harness } from '../engine/helpers';

const machine = {
  StartAt: 'A',
  States: { A: { Type: 'Task', Resource: 'arn:aws:states:::test:run', Parameters: { key: 'a' }, End: true } },
};

describe('reportingStarts', () => {
  it('reports the executions StartExecution and RedriveExecution set running, and passes every other call through', async () => {
    const failing = new Set(['a']);
    const { integration } = flaky(failing);
    const h = harness([integration]);
    const started: string[] = [];
    const served = reportingStarts(h.sfn, (executionArn) => started.push(executionArn));
    const { stateMachineArn } = served.createStateMachine({
      name: 'reported',
      definition: JSON.stringify(machine),
      roleArn: 'arn:aws:iam::123456789012:role/r',
    });

    const { executionArn } = served.startExecution({ stateMachineArn, name: 'first' });
    expect(started).toEqual([executionArn]);
    expect((await served.waitForExecution(executionArn)).status).toBe('FAILED');

    failing.clear();
    served.redriveExecution({ executionArn });
    expect(started).toEqual([executionArn, executionArn]);
    expect((await served.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
    expect(served.describeExecution(executionArn).status).toBe('SUCCEEDED');
  });

  it('reports nothing when the call is refused', () => {
    const h = harness([]);
    const started: string[] = [];
    const served = reportingStarts(h.sfn, (executionArn) => started.push(executionArn));
    expect(() =>
      served.startExecution({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:none' }),
    ).toThrow(/State Machine Does Not Exist/);
    expect(started).toEqual([]);
  });
});
