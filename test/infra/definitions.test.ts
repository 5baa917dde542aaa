import validator from 'asl-validator';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { FanoutInfraError } from '../../infra';
import { mapDefinitionPath } from '../../statemachine';
import { ARRAY_FIXTURES, fixture, onlyResource, orchestratorStack, renderValue, roleStatements } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

/** The definition as Step Functions receives it: the file with the template's substitutions applied. */
function substituted(template: Template, stateMachineName: string, file: string): string {
  const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: stateMachineName });
  const values = machine.DefinitionSubstitutions as Record<string, Parameters<typeof renderValue>[0]>;
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

function tempDefinition(definition: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fanout-infra-')), 'machine.asl.json');
  writeFileSync(file, JSON.stringify(definition));
  return file;
}

describe('state machine definitions', () => {
  it('deploys map.asl.json with every placeholder substituted into valid ASL', () => {
    expectValidAsl(substituted(orchestratorStack().template(), 'fanout-map', mapDefinitionPath));
  });

  it('deploys the array definition, with Collect, when its files exist', () => {
    const template = orchestratorStack(ARRAY_FIXTURES).template();
    expectValidAsl(substituted(template, 'fanout-array', ARRAY_FIXTURES.arrayDefinitionFile));
    template.hasOutput('ArrayStateMachineArn', {});
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: Match.stringLikeRegexp('^FanoutArrayStateMachine') } }],
    });

    const [, collect] = onlyResource(template, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('array job') });
    const collectActions = roleStatements(template, collect.Role['Fn::GetAtt'][0]).flatMap((statement) => statement.Action);
    expect(collectActions).toEqual(
      expect.arrayContaining(['batch:ListJobs', 'batch:DescribeJobs', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:BatchWriteItem', 'dynamodb:Query', 's3:GetObject']),
    );

    // The array machine's role follows its own states: .sync Batch, the ledger update, its four functions, no Distributed Map.
    const [, machine] = onlyResource(template, 'AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-array' });
    const statements = roleStatements(template, machine.RoleArn['Fn::GetAtt'][0]);
    const actions = statements.flatMap((statement) => statement.Action);
    expect(actions).toEqual(expect.arrayContaining(['batch:SubmitJob', 'batch:DescribeJobs', 'batch:TerminateJob', 'dynamodb:UpdateItem', 'lambda:InvokeFunction']));
    expect(actions.filter((action: string) => action.startsWith('states:') || action.startsWith('s3:'))).toEqual([]);
    const invoked = statements.find((statement) => statement.Action === 'lambda:InvokeFunction')?.Resource.map((resource: any) => resource['Fn::GetAtt'][0]);
    expect(invoked).toHaveLength(4);
    expect(invoked).toEqual(expect.arrayContaining([expect.stringMatching(/^FanoutCollectFunction/)]));
  });

  it('fails synth naming a placeholder no value exists for', () => {
    const file = tempDefinition({
      StartAt: 'Go',
      States: { Go: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: '${ReportFunctionArn}' }, End: true } },
    });
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(FanoutInfraError);
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(/placeholders without a value: \$\{ReportFunctionArn\}; known placeholders are DataBucket, JobDefinitionArn/);
  });

  it('fails synth when the array definition needs Collect and there is no Collect handler', () => {
    expect(() => orchestratorStack({ arrayDefinitionFile: ARRAY_FIXTURES.arrayDefinitionFile })).toThrow(/array\.asl\.json has placeholders without a value: \$\{CollectFunctionArn\}/);
  });

  it('refuses a Task whose service it grants nothing for, naming the state', () => {
    const file = tempDefinition({ StartAt: 'Send', States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: {}, End: true } } });
    expect(() => orchestratorStack({ mapDefinitionFile: file })).toThrow(/state Send calls "arn:aws:states:::sqs:sendMessage"/);
  });

  it('names a definition file that does not exist', () => {
    expect(() => orchestratorStack({ arrayDefinitionFile: fixture('missing.asl.json') })).toThrow(/arrayDefinitionFile must name an existing file \(received ".*missing\.asl\.json"\)/);
  });
});
