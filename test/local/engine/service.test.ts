import { describe, expect, it } from 'vitest';
import { harness, scriptedIntegration, single } from './helpers';

// API behaviour: docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
// API_CreateStateMachine.html, API_ListExecutions.html.
const ROLE = 'arn:aws:iam::123456789012:role/test';
const PASS = JSON.stringify(single({ Type: 'Pass' }));

describe('createStateMachine', () => {
  it('shapes the ARN as arn:aws:states:<region>:<account>:stateMachine:<name>', () => {
    const { sfn } = harness([], { region: 'eu-west-1', accountId: '111122223333' });
    expect(sfn.createStateMachine({ name: 'fanout', definition: PASS, roleArn: ROLE }).stateMachineArn).toBe(
      'arn:aws:states:eu-west-1:111122223333:stateMachine:fanout',
    );
  });

  it.each([
    [
      'a JSONPath state in a JSONata state machine',
      {
        QueryLanguage: 'JSONata',
        StartAt: 'S',
        States: { S: { Type: 'Pass', QueryLanguage: 'JSONPath', End: true } },
      },
      /state "S": field QueryLanguage cannot be JSONPath/,
    ],
    [
      'callback tasks',
      single({ Type: 'Task', Resource: 'arn:aws:states:::test:run.waitForTaskToken' }),
      /state "S".*waitForTaskToken/,
    ],
    [
      'activities',
      single({ Type: 'Task', Resource: 'arn:aws:states:us-east-1:123456789012:activity:a' }),
      /state "S".*Activity/,
    ],
    [
      'unknown resources',
      single({ Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage' }),
      /state "S".*sqs:sendMessage/,
    ],
    [
      'States.ALL not last',
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::test:run',
        Retry: [{ ErrorEquals: ['States.ALL'] }, { ErrorEquals: ['X'] }],
      }),
      /States.ALL/,
    ],
    [
      'distributed-only fields on an inline Map',
      single({
        Type: 'Map',
        ToleratedFailureCount: 1,
        ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
      }),
      /ToleratedFailureCount.*DISTRIBUTED/,
    ],
    [
      '.sync in EXPRESS children',
      single({
        Type: 'Map',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' },
          StartAt: 'T',
          States: { T: { Type: 'Task', Resource: 'arn:aws:states:::test:run.sync', End: true } },
        },
      }),
      /\.sync.*EXPRESS/,
    ],
    ['a missing transition target', { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } }, /Nowhere/],
  ])('rejects %s with InvalidDefinition naming the problem', (_, definition, message) => {
    const { sfn } = harness([scriptedIntegration(() => null)]);
    expect(() => sfn.createStateMachine({ name: 'm', definition: JSON.stringify(definition), roleArn: ROLE })).toThrow(
      expect.objectContaining({ code: 'InvalidDefinition', message: expect.stringMatching(message) }),
    );
  });

  it('rejects an EXPRESS state machine', () => {
    const { sfn } = harness();
    expect(() => sfn.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE, type: 'EXPRESS' })).toThrow(
      /EXPRESS/,
    );
  });
});

describe('startExecution', () => {
  it.each(['', 'a'.repeat(81), 'has space', 'semi;colon', 'slash/', 'brace{', 'tick`', 'ctrl\u0001'])(
    'rejects the name %j with InvalidName',
    (name) => {
      const { sfn } = harness();
      const { stateMachineArn } = sfn.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
      expect(() => sfn.startExecution({ stateMachineArn, name })).toThrow(
        expect.objectContaining({ code: 'InvalidName' }),
      );
    },
  );

  it('shapes the execution ARN and is idempotent for a running execution with the same name and input', () => {
    const h = harness([scriptedIntegration(() => new Promise(() => undefined))]);
    const { stateMachineArn } = h.sfn.createStateMachine({
      name: 'm',
      definition: JSON.stringify(single({ Type: 'Task', Resource: 'arn:aws:states:::test:run' })),
      roleArn: ROLE,
    });
    const first = h.sfn.startExecution({ stateMachineArn, name: 'x', input: '{"a":1}' });
    expect(first.executionArn).toBe('arn:aws:states:us-east-1:123456789012:execution:m:x');
    expect(h.sfn.startExecution({ stateMachineArn, name: 'x', input: '{"a":1}' })).toEqual(first);
    expect(() => h.sfn.startExecution({ stateMachineArn, name: 'x', input: '{"a":2}' })).toThrow(
      expect.objectContaining({ code: 'ExecutionAlreadyExists' }),
    );
  });

  it('refuses a name reused after the execution ended', async () => {
    const h = harness();
    const { stateMachineArn } = h.sfn.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    const { executionArn } = h.sfn.startExecution({ stateMachineArn, name: 'x' });
    await h.sfn.waitForExecution(executionArn);
    expect(() => h.sfn.startExecution({ stateMachineArn, name: 'x' })).toThrow(
      expect.objectContaining({ code: 'ExecutionAlreadyExists' }),
    );
  });

  it('rejects input that is not JSON with InvalidExecutionInput', () => {
    const { sfn } = harness();
    const { stateMachineArn } = sfn.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    expect(() => sfn.startExecution({ stateMachineArn, input: '{' })).toThrow(
      expect.objectContaining({ code: 'InvalidExecutionInput' }),
    );
  });

  it('reports a missing state machine as StateMachineDoesNotExist', () => {
    const { sfn } = harness();
    expect(() =>
      sfn.startExecution({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:none' }),
    ).toThrow(expect.objectContaining({ code: 'StateMachineDoesNotExist' }));
  });
});

describe('listExecutions and getExecutionHistory', () => {
  it('pages newest first with nextToken and filters by status', async () => {
    const h = harness();
    const { stateMachineArn } = h.sfn.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    const arns = ['a', 'b', 'c'].map((name) => h.sfn.startExecution({ stateMachineArn, name }).executionArn);
    await Promise.all(arns.map((arn) => h.sfn.waitForExecution(arn)));
    const first = h.sfn.listExecutions({ stateMachineArn, maxResults: 2 });
    expect(first.items.map((item) => item.name)).toEqual(['c', 'b']);
    const second = h.sfn.listExecutions({ stateMachineArn, maxResults: 2, nextToken: first.nextToken });
    expect(second.items.map((item) => item.name)).toEqual(['a']);
    expect(second.nextToken).toBeUndefined();
    expect(h.sfn.listExecutions({ stateMachineArn, statusFilter: 'FAILED' }).items).toEqual([]);
    expect(() => h.sfn.listExecutions({ stateMachineArn, nextToken: 'garbage' })).toThrow(
      expect.objectContaining({ code: 'InvalidToken' }),
    );
  });

  it('returns history in reverse order and without data when asked', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass' }), { secret: 1 });
    const page = h.sfn.getExecutionHistory(result.arn, {
      reverseOrder: true,
      includeExecutionData: false,
      maxResults: 1,
    });
    expect(page.items).toEqual([
      {
        id: 4,
        previousEventId: 3,
        timestamp: result.stopDate,
        type: 'ExecutionSucceeded',
        details: { executionSucceededEventDetails: {} },
      },
    ]);
    expect(page.nextToken).toBeDefined();
  });

  it('fails an execution whose history would exceed maxHistoryEvents', async () => {
    const result = await harness([], { maxHistoryEvents: 10 }).run(
      single({ Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } }),
      [1, 2, 3, 4],
    );
    expect(result).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
  });
});
