import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { FanoutInfraError } from '../../infra';
import { ARRAY_PLACEHOLDERS, arrayDefinitionPath, MAP_PLACEHOLDERS, mapDefinitionPath } from '../../statemachine';
import {
  fixture,
  getAttOf,
  objectOf,
  onlyResource,
  orchestratorStack,
  renderValue,
  roleActions,
  roleStatements,
  tempDefinition,
} from './helpers';

vi.setConfig({ testTimeout: 60_000 });

/** The definition as Step Functions receives it: the file with the template's substitutions applied. */
function substituted(template: Template, stateMachineName: string, file: string): string {
  const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
    StateMachineName: stateMachineName,
  });
  const values = objectOf(machine.DefinitionSubstitutions);
  return readFileSync(file, 'utf8').replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : renderValue(value);
  });
}

function expectValidAsl(text: string): void {
  expect(text).not.toContain('${');
  const result = validator(JSON.parse(text), { checkArn: false, checkPaths: true });
  expect(result.errors).toEqual([]);
  expect(result.isValid).toBe(true);
}

describe('state machine definitions', () => {
  it('deploys map.asl.json with every placeholder substituted into valid ASL', () => {
    expectValidAsl(substituted(orchestratorStack().template(), 'fanout-map', mapDefinitionPath));
  });

  it('deploys array.asl.json with every placeholder substituted into valid ASL, its output and its alarm', () => {
    const template = orchestratorStack().template();
    expectValidAsl(substituted(template, 'fanout-array', arrayDefinitionPath));
    template.hasOutput('ArrayStateMachineArn', { Value: { Ref: Match.stringLikeRegexp('^FanoutArrayStateMachine') } });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('^FanoutArrayStateMachine') } }],
    });
  });

  it('fails synth naming a placeholder no value exists for, and every placeholder that has one', () => {
    const file = tempDefinition({
      StartAt: 'Go',
      States: {
        Go: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: '${ReportFunctionArn}' },
          End: true,
        },
      },
    });
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(FanoutInfraError);
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(
      'has placeholders without a value: ${ReportFunctionArn}; known placeholders are CollectFunctionArn, DataBucket, JobDefinitionArn, JobQueueHighArn, ' +
        'JobQueueLowArn, LedgerTableName, NoticesTopicArn, NotifyFunctionArn, PrepareFunctionArn, RetryFunctionArn, SummarizeFunctionArn',
    );
  });

  it('fails synth when a definition invokes Collect and the array path, which deploys Collect, is off', () => {
    const file = tempDefinition({
      StartAt: 'Collect',
      States: {
        Collect: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: '${CollectFunctionArn}', Payload: {} },
          End: true,
        },
      },
    });
    expect(() => orchestratorStack({ arrayPath: false, mapDefinitionFile: file })).toThrow(
      'has placeholders without a value: ${CollectFunctionArn}; known placeholders are DataBucket, JobDefinitionArn, ',
    );
    // The same definition deploys once Collect exists.
    expect(() => orchestratorStack({ mapDefinitionFile: file })).not.toThrow();
  });

  it('refuses array path files when the array path is off, naming the prop', () => {
    expect(() => orchestratorStack({ arrayPath: false, arrayDefinitionFile: arrayDefinitionPath })).toThrow(
      /^arrayDefinitionFile must not be set when arrayPath is false \(received ".*array\.asl\.json"\)$/,
    );
    expect(() => orchestratorStack({ arrayPath: false, collectEntry: 'lambdas/collect.ts' })).toThrow(
      'collectEntry must not be set when arrayPath is false (received "lambdas/collect.ts")',
    );
  });

  it('refuses a Task whose service it grants nothing for, naming the state', () => {
    const file = tempDefinition({
      StartAt: 'Send',
      States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: {}, End: true } },
    });
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(
      /state Send calls "arn:aws:states:::sqs:sendMessage"/,
    );
  });

  it('names a definition file that does not exist', () => {
    expect(() => orchestratorStack({ arrayDefinitionFile: fixture('missing.asl.json') })).toThrow(
      /arrayDefinitionFile must name an existing file \(received ".*missing\.asl\.json"\)/,
    );
  });

  it('names a Collect entry that does not exist', () => {
    expect(() => orchestratorStack({ collectEntry: fixture('missing.ts') })).toThrow(
      /collectEntry must name an existing file \(received ".*missing\.ts"\)/,
    );
  });
});

describe('roles derived from Batch states without .sync', () => {
  const lambdaTask = (placeholder: string, next: string | undefined) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { FunctionName: `\${${placeholder}}`, 'Payload.$': '$' },
    ResultPath: `$.${placeholder}`,
    ...(next ? { Next: next } : { End: true }),
  });
  /** An array job submitted and left running: Step Functions does not wait for it. */
  const submitArray = {
    Type: 'Task',
    Resource: 'arn:aws:states:::batch:submitJob',
    Parameters: {
      'JobName.$': '$.array.jobName',
      'JobQueue.$': '$.jobQueue',
      'JobDefinition.$': '$.jobDefinition',
      ArrayProperties: { 'Size.$': '$.array.size' },
    },
    ResultSelector: { 'JobId.$': '$.JobId' },
    End: true,
  };
  const submitArrays = (next: string) => ({
    Type: 'Map',
    ItemsPath: '$.prepared.arrays',
    ItemSelector: {
      'array.$': '$$.Map.Item.Value',
      'jobQueue.$': '$.prepared.jobQueue',
      'jobDefinition.$': '$.prepared.jobDefinition',
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: 'INLINE' },
      StartAt: 'SubmitArrayJob',
      States: { SubmitArrayJob: submitArray },
    },
    ResultPath: '$.dependsOn',
    Next: next,
  });
  /** Collect retried while children run: a Retry names an error, it calls nothing. */
  const collect = {
    ...lambdaTask('CollectFunctionArn', 'Notify'),
    Retry: [{ ErrorEquals: ['Fanout.ChildrenStillRunning'], IntervalSeconds: 60, BackoffRate: 1, MaxAttempts: 100 }],
  };
  const arrayRole = (template: Template) => {
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', {
      StateMachineName: 'fanout-array',
    });
    return getAttOf(machine.RoleArn);
  };
  /** The role's actions but Step Functions' own log delivery and X-Ray calls. */
  const stateActions = (template: Template) =>
    roleActions(template, arrayRole(template)).filter((action) => !/^(logs|xray):/.test(action));

  it('grants batch:SubmitJob alone for a submitJob without .sync: no DescribeJobs, TerminateJob or events rule', () => {
    // docs: step-functions/latest/dg/batch-iam.html ("Request Response": batch:SubmitJob only)
    const file = tempDefinition({
      StartAt: 'Prepare',
      States: {
        Prepare: lambdaTask('PrepareFunctionArn', 'SubmitArrays'),
        SubmitArrays: submitArrays('Collect'),
        Collect: collect,
        Notify: lambdaTask('NotifyFunctionArn', undefined),
      },
    });
    const template = orchestratorStack({ arrayDefinitionFile: file }).template();
    expectValidAsl(substituted(template, 'fanout-array', file));
    expect(stateActions(template)).toEqual(['batch:SubmitJob', 'lambda:InvokeFunction']);
    expect(roleStatements(template, arrayRole(template))).toContainEqual({
      Action: 'batch:SubmitJob',
      Effect: 'Allow',
      Resource: [
        { 'Fn::GetAtt': [expect.stringMatching(/Queuefanouthigh/), 'JobQueueArn'] },
        { 'Fn::GetAtt': [expect.stringMatching(/Queuefanoutlow/), 'JobQueueArn'] },
        expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':job-definition/fanout-job:*'])] }),
      ],
    });
  });

  it('grants the .sync set once when arrays are left running and one .sync job depends on them', () => {
    const file = tempDefinition({
      StartAt: 'Prepare',
      States: {
        Prepare: lambdaTask('PrepareFunctionArn', 'SubmitArrays'),
        SubmitArrays: submitArrays('Aggregate'),
        Aggregate: {
          Type: 'Task',
          Resource: 'arn:aws:states:::batch:submitJob.sync',
          Parameters: {
            'JobName.$': '$.prepared.runId',
            'JobQueue.$': '$.prepared.jobQueue',
            'JobDefinition.$': '$.prepared.jobDefinition',
            'DependsOn.$': '$.dependsOn',
          },
          ResultPath: '$.aggregate',
          Next: 'Collect',
        },
        Collect: collect,
        Notify: lambdaTask('NotifyFunctionArn', undefined),
      },
    });
    const template = orchestratorStack({ arrayDefinitionFile: file }).template();
    expectValidAsl(substituted(template, 'fanout-array', file));
    expect(stateActions(template)).toEqual([
      'batch:DescribeJobs',
      'batch:SubmitJob',
      'batch:TerminateJob',
      'events:DescribeRule',
      'events:PutRule',
      'events:PutTargets',
      'lambda:InvokeFunction',
    ]);
  });

  it('has a value for every placeholder the map and array definitions declare', () => {
    const placeholders = [...new Set([...MAP_PLACEHOLDERS, ...ARRAY_PLACEHOLDERS])];
    const file = tempDefinition({
      StartAt: 'Values',
      States: {
        Values: {
          Type: 'Pass',
          Parameters: Object.fromEntries(placeholders.map((name) => [name, `\${${name}}`])),
          End: true,
        },
      },
    });
    const [, machine] = onlyResource(
      orchestratorStack({ arrayDefinitionFile: file }).template(),
      'AWS::StepFunctions::StateMachine',
      { StateMachineName: 'fanout-array' },
    );
    expect(Object.keys(objectOf(machine.DefinitionSubstitutions)).sort()).toEqual(placeholders.sort());
  });
});
