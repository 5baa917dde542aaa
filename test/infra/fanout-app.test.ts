import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it, vi } from 'vitest';
import { CONTEXT, createFanoutApp } from '../../infra';
import { SKIP_BUNDLING } from './helpers';

vi.setConfig({ testTimeout: 120_000 });

interface ValidationReport {
  pluginReports: { pluginName: string; conclusion: string; violations: unknown[]; suppressedViolations?: unknown[] }[];
}

/**
 * Synthesizes the app (cdk-nag runs as a validation plugin) and returns its validation report.
 * No lookup may be left for the CLI: it would need AWS credentials.
 */
function synthReport(app: ReturnType<typeof createFanoutApp>['app']): ValidationReport {
  const assembly = app.synth();
  expect(assembly.manifest.missing ?? []).toEqual([]);
  return JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

/** Synth succeeded (a finding fails it) and no plugin, cdk-nag included, reports a violation. */
function expectNagClean(report: ValidationReport): void {
  for (const plugin of report.pluginReports) {
    expect(plugin.conclusion, plugin.pluginName).toBe('success');
    expect(plugin.violations, plugin.pluginName).toEqual([]);
  }
}

describe('the fanout app', () => {
  it('synthesizes the configuration file with no cdk-nag finding left unacknowledged', () => {
    const { app, stack } = createFanoutApp({ context: SKIP_BUNDLING, env: {} });
    expectNagClean(synthReport(app));
    expect(stack.stackName).toBe('Fanout');
    expect(stack.region).toBe('us-east-1');
    expect(stack.account).toBe('000000000000');
    // The names the local cloud uses, from the same file.
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Batch::JobQueue', { JobQueueName: 'fanout-high', Priority: 100 });
    template.hasResourceProperties('AWS::DynamoDB::Table', { TableName: 'fanout-ledger' });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-map' });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineName: 'fanout-array' });
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: 'fanout-data-000000000000-us-east-1' });
  });

  it('runs the AwsSolutions checks: an unacknowledged finding fails synth', () => {
    const { app, stack } = createFanoutApp({ context: SKIP_BUNDLING, env: {} });
    new s3.Bucket(stack, 'Unchecked');
    expect(() => app.synth()).toThrow(/Fanout\/Unchecked\/Resource[\s\S]*AwsSolutions-S10/);
  });

  it('stays cdk-nag clean with every option on: array path, schedule, e-mail, VPC endpoints', () => {
    const inputFile = join(mkdtempSync(join(tmpdir(), 'fanout-app-')), 'nightly.json');
    writeFileSync(inputFile, JSON.stringify({ replicas: { count: 10 }, command: ['echo', '{replica}'] }));
    const { app, stack } = createFanoutApp({
      context: {
        ...SKIP_BUNDLING,
        [CONTEXT.schedule]: 'cron(0 2 * * ? *)',
        [CONTEXT.scheduleTimeZone]: 'Europe/Paris',
        [CONTEXT.scheduleInput]: inputFile,
        [CONTEXT.notificationEmails]: 'ops@example.com, oncall@example.com',
        [CONTEXT.vpcEndpoints]: 'true',
        [CONTEXT.stackName]: 'FanoutNightly',
      },
      env: { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' },
    });
    expectNagClean(synthReport(app));
    const template = Template.fromStack(stack);
    expect(stack.stackName).toBe('FanoutNightly');
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
    });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 4);
    template.hasOutput('ArrayStateMachineArn', {});
  });

  it('names a context value that breaks its rule', () => {
    expect(() => createFanoutApp({ context: { ...SKIP_BUNDLING, [CONTEXT.vpcEndpoints]: 'yes' }, env: {} })).toThrow(
      'fanout:vpcEndpoints must be true or false (received "yes")',
    );
    expect(() =>
      createFanoutApp({ context: { ...SKIP_BUNDLING, [CONTEXT.schedule]: 'rate(1 day)' }, env: {} }),
    ).toThrow(/fanout:scheduleInput is required with fanout:schedule/);
  });
});
