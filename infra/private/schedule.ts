import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { FanoutInfraError } from '../errors';
import type { FanoutSchedule, FanoutScheduleOptions } from '../fanout-orchestrator-props';
import { acknowledgeWildcards } from './nag';

interface ScheduledStarterProps extends FanoutScheduleOptions {
  readonly target: sfn.IStateMachine;
  readonly logRetention: logs.RetentionDays;
  readonly stateMachineName: string;
}

const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,35}$/;

/**
 * EventBridge Scheduler cannot name the execution it starts after the scheduled time: the
 * time it substitutes (`<aws.scheduler.scheduled-time>`, e.g. `2022-03-22T18:59:43Z`) has
 * colons, which execution names and run ids do not allow, and its templated Step Functions
 * target takes no name at all. So the schedule starts this small state machine, which turns the
 * time into `<prefix>-2022-03-22T185943Z` and starts the map execution under that name with
 * that run id. A second delivery of the same scheduled time asks for the same name: Step
 * Functions answers with the running execution (same name and input) or
 * ExecutionAlreadyExists (closed), which ends the starter successfully. Either way the run
 * happens once.
 */
export class ScheduledStarter extends Construct implements FanoutSchedule {
  readonly schedule: scheduler.Schedule;
  readonly stateMachine: sfn.StateMachine;

  constructor(scope: Construct, id: string, props: ScheduledStarterProps) {
    super(scope, id);
    const prefix = props.runIdPrefix ?? 'scheduled';
    if (!PREFIX.test(prefix))
      throw FanoutInfraError.of(
        'schedule.runIdPrefix',
        'must be 1-36 letters, digits, hyphens or underscores, starting with a letter or digit',
        prefix,
      );
    if (typeof props.input !== 'object' || props.input === null || Array.isArray(props.input)) {
      throw FanoutInfraError.of('schedule.input', 'must be an execution input object', props.input);
    }
    if (Object.hasOwn(props.input, 'runId')) {
      throw FanoutInfraError.of(
        'schedule.input.runId',
        'must not be set: a scheduled run is named after its scheduled time so that it cannot start twice',
        props.input.runId,
      );
    }

    const nameRun = new sfn.Pass(this, 'NameRun', {
      comment:
        'Scheduled time 2022-03-22T18:59:43Z becomes run id <prefix>-2022-03-22T185943Z (no colons: execution names forbid them).',
      parameters: {
        'parts.$': "States.StringSplit($.scheduledTime, ':')",
      },
      resultPath: '$.time',
    });
    const buildInput = new sfn.Pass(this, 'BuildInput', {
      parameters: {
        'runId.$': `States.Format('${prefix}-{}{}{}', States.ArrayGetItem($.time.parts, 0), States.ArrayGetItem($.time.parts, 1), States.ArrayGetItem($.time.parts, 2))`,
      },
      resultPath: '$.run',
    });
    const mergeInput = new sfn.Pass(this, 'MergeRunId', {
      parameters: {
        'runId.$': '$.run.runId',
        'input.$': 'States.JsonMerge($.input, $.run, false)',
      },
      resultPath: '$.run',
    });
    const start = new tasks.StepFunctionsStartExecution(this, 'StartRun', {
      stateMachine: props.target,
      integrationPattern: sfn.IntegrationPattern.REQUEST_RESPONSE,
      name: sfn.JsonPath.stringAt('$.run.runId'),
      input: sfn.TaskInput.fromJsonPathAt('$.run.input'),
      associateWithParent: false,
      resultSelector: { 'executionArn.$': '$.ExecutionArn' },
    });
    const alreadyStarted = new sfn.Succeed(this, 'AlreadyStarted', {
      comment: 'Another delivery of this scheduled time already started the run.',
    });
    const failed = new sfn.Fail(this, 'StartFailed', { errorPath: '$.error.Error', causePath: '$.error.Cause' });
    const duplicate = new sfn.Choice(this, 'Duplicate')
      .when(sfn.Condition.stringMatches('$.error.Error', '*ExecutionAlreadyExists*'), alreadyStarted)
      .otherwise(failed);
    start.addCatch(duplicate, { errors: ['States.ALL'], resultPath: '$.error' });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(nameRun.next(buildInput).next(mergeInput).next(start)),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    acknowledgeWildcards(this.stateMachine.role, [
      {
        finding: 'Resource::*',
        reason:
          'CloudWatch Logs delivery and X-Ray tracing calls of Step Functions support no resource-level permissions',
      },
    ]);

    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.expression,
      enabled: props.enabled ?? true,
      ...(props.description ? { description: props.description } : {}),
      target: new targets.StepFunctionsStartExecution(this.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({
          scheduledTime: scheduler.ContextAttribute.scheduledTime,
          input: props.input,
        }),
      }),
    });
  }
}
