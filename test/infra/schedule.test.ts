import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { describe, expect, it, vi } from 'vitest';
import type { FanoutPath } from '../../infra';
import { RUN_ID_PATTERN } from '../../lambdas/shared';
import { createLocalStepFunctions, MemoryObjectStore } from '../../local/engine';
import { at, getAttOf, objectOf, onlyResource, orchestratorStack, renderValue, stringOf } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

const nightly = {
  expression: ScheduleExpression.cron({ minute: '0', hour: '2' }),
  input: { replicas: { count: 100 }, command: ['python3', 'simulate.py', '{replica}'] },
  runIdPrefix: 'nightly',
};

describe('the schedule', () => {
  it('starts the scheduled starter with the scheduled time and the run input', () => {
    const template = orchestratorStack({ schedule: nightly }).template();
    const [starter] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
      StateMachineName: 'fanout-map-scheduled',
    });
    const [, schedule] = onlyResource(template, 'AWS::Scheduler::Schedule');
    expect(schedule.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(at(schedule, 'Target', 'Arn')).toEqual({ Ref: starter });
    // docs: scheduler/latest/UserGuide/managing-schedule-context-attributes.html
    expect(JSON.parse(stringOf(at(schedule, 'Target', 'Input')))).toEqual({
      scheduledTime: '<aws.scheduler.scheduled-time>',
      input: nightly.input,
    });
  });

  it('lets the starter start the map state machine only', () => {
    const template = orchestratorStack({ schedule: nightly }).template();
    const [, starter] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
      StateMachineName: 'fanout-map-scheduled',
    });
    const [map] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-map' });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: getAttOf(starter.RoleArn) }],
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: map } }]),
      },
    });
  });

  it('names each run after its scheduled time, so a second delivery asks for the same execution', async () => {
    const template = orchestratorStack({ schedule: nightly }).template();
    const [, starter] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
      StateMachineName: 'fanout-map-scheduled',
    });
    const definition = JSON.parse(renderValue(objectOf(starter.DefinitionString, 'a Fn::Join')));
    expect(definition.States.StartRun).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution',
      Parameters: { 'Name.$': '$.run.runId', 'Input.$': '$.run.input' },
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Duplicate' }],
    });
    expect(definition.States.Duplicate.Choices[0]).toEqual({
      Variable: '$.error.Error',
      StringMatches: '*ExecutionAlreadyExists*',
      Next: 'AlreadyStarted',
    });

    // Runs the naming states on the local engine: everything before StartRun.
    const naming = { StartAt: definition.StartAt, States: { ...definition.States } };
    naming.States.MergeRunId = { ...naming.States.MergeRunId, End: true };
    delete naming.States.MergeRunId.Next;
    for (const name of ['StartRun', 'Duplicate', 'AlreadyStarted', 'StartFailed']) delete naming.States[name];
    const engine = createLocalStepFunctions({ integrations: [], objectStore: new MemoryObjectStore() });
    const { stateMachineArn } = engine.createStateMachine({
      name: 'naming',
      definition: JSON.stringify(naming),
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });
    const run = async (scheduledTime: string) => {
      const { executionArn } = engine.startExecution({
        stateMachineArn,
        input: JSON.stringify({ scheduledTime, input: nightly.input }),
      });
      const done = await engine.waitForExecution(executionArn);
      expect(done.status).toBe('SUCCEEDED');
      return JSON.parse(done.output as string).run;
    };
    const first = await run('2026-11-22T02:00:00Z');
    expect(first).toEqual({
      runId: 'nightly-2026-11-22T020000Z',
      input: { ...nightly.input, runId: 'nightly-2026-11-22T020000Z' },
    });
    expect(first.runId).toMatch(RUN_ID_PATTERN);
    expect(await run('2026-11-22T02:00:00Z')).toEqual(first);
    expect((await run('2026-11-23T02:00:00Z')).runId).toBe('nightly-2026-11-23T020000Z');
  });

  it('refuses a scheduled input that sets its own runId', () => {
    expect(() => orchestratorStack({ schedule: { ...nightly, input: { ...nightly.input, runId: 'fixed' } } })).toThrow(
      /schedule\.input\.runId must not be set: a scheduled run is named after its scheduled time/,
    );
  });

  it('refuses a run id prefix that would make run ids invalid', () => {
    expect(() =>
      orchestratorStack({
        schedule: { ...nightly, expression: ScheduleExpression.rate(Duration.hours(6)), runIdPrefix: 'night ly' },
      }),
    ).toThrow(/schedule\.runIdPrefix must be 1-36 letters, digits, hyphens or underscores.*\(received "night ly"\)/);
  });
});

describe('grantStartExecution', () => {
  const callerPolicy = (props: Parameters<typeof orchestratorStack>[0], paths?: readonly FanoutPath[]) => {
    const { stack, orchestrator, template } = orchestratorStack(props);
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    orchestrator.grantStartExecution(role, paths);
    const rendered = template();
    const machine = (name: string) => ({
      Ref: onlyResource(rendered, 'AWS::StepFunctions::StateMachine', { StateMachineName: name })[0],
    });
    const [, policy] = onlyResource(rendered, 'AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
    });
    return { statements: at(policy, 'PolicyDocument', 'Statement'), machine };
  };

  it('lets another principal start runs on both paths: a run picks its path, an array retry starts the array machine', () => {
    const { statements, machine } = callerPolicy({});
    expect(statements).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: machine('fanout-map') },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: machine('fanout-array') },
    ]);
  });

  it('limits the grant to the paths asked for', () => {
    const { statements, machine } = callerPolicy({}, ['map']);
    expect(statements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: machine('fanout-map') }]);
  });

  it('grants the map state machine only when the array path is not deployed', () => {
    const { statements, machine } = callerPolicy({ arrayPath: false });
    expect(statements).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: machine('fanout-map') }]);
  });

  it('refuses a path that is not deployed, naming it', () => {
    const { stack, orchestrator } = orchestratorStack({ arrayPath: false });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    expect(() => orchestrator.grantStartExecution(role, ['array'])).toThrow(
      'grantStartExecution paths must name deployed paths (map) (received "array")',
    );
  });
});
