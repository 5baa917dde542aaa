import { describe, expect, it } from 'vitest';
import { ServiceError, StatesError } from '../../../../local/engine/errors';
import { createStatesIntegration } from '../../../../local/engine/integrations';
import type { ExecutionDescription, Json, StepFunctionsService } from '../../../../local/engine/types';
import { taskRequest } from './helpers';

const CHILD_MACHINE = 'arn:aws:states:eu-west-1:111122223333:stateMachine:fanout-child';
const CHILD = 'arn:aws:states:eu-west-1:111122223333:execution:fanout-child:item-7';

/** Just enough of the engine for startExecution: records starts and stops, finishes executions on demand. */
function childEngine() {
  const started: Array<{ stateMachineArn: string; name?: string | undefined; input?: string | undefined }> = [];
  const stopped: string[] = [];
  let finish!: (execution: ExecutionDescription) => void;
  const done = new Promise<ExecutionDescription>((resolve) => (finish = resolve));
  const unused = (): never => {
    throw new Error('not used by the states integration');
  };
  const service: StepFunctionsService = {
    startExecution(request) {
      if (request.stateMachineArn.endsWith(':missing')) {
        throw new ServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${request.stateMachineArn}'`,
        );
      }
      started.push(request);
      return { executionArn: CHILD, startDate: 1_704_067_200_000 };
    },
    waitForExecution: () => done,
    stopExecution(executionArn) {
      stopped.push(executionArn);
      return { stopDate: 1_704_067_260_000 };
    },
    createStateMachine: unused,
    describeStateMachine: unused,
    listStateMachines: unused,
    deleteStateMachine: unused,
    describeExecution: unused,
    listExecutions: unused,
    redriveExecution: unused,
    getExecutionHistory: unused,
    describeMapRun: unused,
    listMapRuns: unused,
  };
  return { service, started, stopped, finish };
}

function execution(
  status: ExecutionDescription['status'],
  extra: Partial<ExecutionDescription> = {},
): ExecutionDescription {
  return {
    executionArn: CHILD,
    stateMachineArn: CHILD_MACHINE,
    name: 'item-7',
    status,
    startDate: 1_704_067_200_000,
    stopDate: 1_704_067_230_000,
    input: '{"seed":7}',
    stateTransitions: 3,
    ...extra,
  };
}

function run(engine: ReturnType<typeof childEngine>, action: string, parameters: Json, signal?: AbortSignal) {
  const integration = createStatesIntegration({ service: () => engine.service });
  return integration.invoke(taskRequest({ resource: `arn:aws:states:::states:${action}`, action, parameters, signal }));
}

describe('states integration', () => {
  it('starts the child with its input serialized and returns ExecutionArn and StartDate', async () => {
    const engine = childEngine();
    const output = await run(engine, 'startExecution', {
      StateMachineArn: CHILD_MACHINE,
      Name: 'item-7',
      Input: { seed: 7 },
    });
    expect(engine.started).toEqual([{ stateMachineArn: CHILD_MACHINE, name: 'item-7', input: '{"seed":7}' }]);
    expect(output).toMatchObject({
      ExecutionArn: CHILD,
      StartDate: 1_704_067_200_000,
      SdkHttpMetadata: { HttpStatusCode: 200 },
    });
  });

  it('passes a string Input unchanged and an absent Input as {}', async () => {
    const engine = childEngine();
    await run(engine, 'startExecution', { StateMachineArn: CHILD_MACHINE, Input: '{"a":1}' });
    await run(engine, 'startExecution', { StateMachineArn: CHILD_MACHINE });
    expect(engine.started.map((start) => start.input)).toEqual(['{"a":1}', '{}']);
  });

  it('returns the DescribeExecution output with Output as a string for .sync', async () => {
    const engine = childEngine();
    const result = run(engine, 'startExecution.sync', { StateMachineArn: CHILD_MACHINE, Input: { seed: 7 } });
    engine.finish(execution('SUCCEEDED', { output: '{"exitCode":0}' }));
    // Field set of the .sync output as recorded from AWS.
    await expect(result).resolves.toEqual({
      ExecutionArn: CHILD,
      Input: '{"seed":7}',
      InputDetails: { Included: true },
      Name: 'item-7',
      Output: '{"exitCode":0}',
      OutputDetails: { Included: true },
      StartDate: 1_704_067_200_000,
      StateMachineArn: CHILD_MACHINE,
      Status: 'SUCCEEDED',
      StopDate: 1_704_067_230_000,
    });
  });

  it('parses Input and Output for .sync:2', async () => {
    // docs: step-functions/latest/dg/connect-stepfunctions.html (.sync returns a string, .sync:2 JSON).
    const engine = childEngine();
    const result = run(engine, 'startExecution.sync:2', { StateMachineArn: CHILD_MACHINE });
    engine.finish(execution('SUCCEEDED', { output: '{"exitCode":0}' }));
    await expect(result).resolves.toMatchObject({ Input: { seed: 7 }, Output: { exitCode: 0 } });
  });

  it('fails with States.TaskFailed and the described child as cause when the child fails', async () => {
    const engine = childEngine();
    const result = run(engine, 'startExecution.sync:2', { StateMachineArn: CHILD_MACHINE });
    engine.finish(execution('FAILED', { error: 'States.TaskFailed', cause: 'job failed' }));
    const error = await result.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(StatesError);
    expect((error as StatesError).error).toBe('States.TaskFailed');
    expect(JSON.parse((error as StatesError).cause)).toMatchObject({
      Status: 'FAILED',
      Error: 'States.TaskFailed',
      Cause: 'job failed',
      ExecutionArn: CHILD,
    });
  });

  it('stops the child and rejects with the abort reason when aborted', async () => {
    const engine = childEngine();
    const controller = new AbortController();
    const result = run(engine, 'startExecution.sync', { StateMachineArn: CHILD_MACHINE }, controller.signal);
    const reason = new StatesError('States.Timeout', 'Task timed out');
    controller.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(engine.stopped).toEqual([CHILD]);
  });

  it('names service errors StepFunctions.<Code>Exception', async () => {
    await expect(
      run(childEngine(), 'startExecution', { StateMachineArn: `${CHILD_MACHINE.replace('fanout-child', 'missing')}` }),
    ).rejects.toMatchObject({
      error: 'StepFunctions.StateMachineDoesNotExistException',
      cause: expect.stringMatching(
        /^State Machine Does Not Exist: '.*:missing' \(Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist; Request ID: .+; Proxy: null\)$/,
      ),
    });
  });
});
