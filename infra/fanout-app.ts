import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Fn, RemovalPolicy, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks } from 'cdk-nag';
import { defaultConfigPath, loadConfig } from '../config';
import { propsFromConfig } from './config';
import { FanoutInfraError } from './errors';
import { FanoutOrchestrator } from './fanout-orchestrator';
import type { FanoutOrchestratorProps } from './fanout-orchestrator-props';

/**
 * Context keys the app reads (`cdk deploy -c key=value`, or `context` in cdk.json). Everything
 * else comes from the configuration file.
 */
export const CONTEXT = {
  /** Configuration file. Default: fanout.config.json at the repository root. */
  config: 'fanout:config',
  /** Stack name. Default: Fanout. */
  stackName: 'fanout:stackName',
  /** Comma-separated e-mail addresses subscribed to the notices topic. */
  notificationEmails: 'fanout:notificationEmails',
  /** Schedule expression, e.g. `cron(0 2 * * ? *)` or `rate(6 hours)`; needs scheduleInput. */
  schedule: 'fanout:schedule',
  /** IANA time zone of a cron schedule, e.g. Europe/Paris. Default: UTC. */
  scheduleTimeZone: 'fanout:scheduleTimeZone',
  /** File with the execution input of each scheduled run. */
  scheduleInput: 'fanout:scheduleInput',
  /** Start of each scheduled run's id. Default: scheduled. */
  scheduleRunIdPrefix: 'fanout:scheduleRunIdPrefix',
  /** `true` adds VPC endpoints for S3, ECR and CloudWatch Logs. */
  vpcEndpoints: 'fanout:vpcEndpoints',
  /** A registry image for every job definition instead of the one built from job/. */
  jobImage: 'fanout:jobImage',
  /** `destroy` deletes the ledger and the data bucket with the stack. Default: retain. */
  removalPolicy: 'fanout:removalPolicy',
} as const;

/** Feature flags the app sets itself, so `cdk synth` and the tests build the same stack. */
const FEATURE_FLAGS = {
  /** Access logs delivered under a bucket policy rather than an ACL. */
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
} as const;

export interface FanoutAppOptions {
  /** Context values, as `-c` would give them. */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Environment variables (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION). @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Extra props layered over the configuration's (tests use it for fixture definitions). */
  readonly overrides?: Partial<FanoutOrchestratorProps>;
}

/**
 * The CDK app: one stack (default name `Fanout`) holding one `FanoutOrchestrator` built from the
 * configuration file, checked by cdk-nag's AWS Solutions rules. The account and region come from
 * the CLI's CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION, else from the configuration file, so
 * `cdk synth` needs no credentials.
 * @example const { app } = createFanoutApp(); app.synth();
 */
export function createFanoutApp(options: FanoutAppOptions = {}): {
  app: App;
  stack: Stack;
  orchestrator: FanoutOrchestrator;
} {
  const app = new App({ context: { ...FEATURE_FLAGS, ...options.context } });
  const context = (key: string): string | undefined => {
    const value = app.node.tryGetContext(key) as unknown;
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const env = options.env ?? process.env;
  const config = loadConfig(context(CONTEXT.config) ?? defaultConfigPath);
  const account = env.CDK_DEFAULT_ACCOUNT ?? config.accountId;
  const region = env.CDK_DEFAULT_REGION ?? config.region;
  const stack = new FanoutStack(app, context(CONTEXT.stackName) ?? 'Fanout', {
    env: { account, region },
    description: 'fanout: Step Functions Distributed Map fanning out AWS Batch jobs, with a DynamoDB ledger',
  });

  const props: FanoutOrchestratorProps = {
    ...propsFromConfig(config, { account, region }),
    ...contextProps(context),
    ...options.overrides,
  };
  const orchestrator = new FanoutOrchestrator(stack, 'Orchestrator', props);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, orchestrator };
}

/**
 * A stack whose availability zones CloudFormation resolves (`Fn::GetAZs`) instead of a lookup
 * at synth time: with an account and region set, Stack would otherwise ask EC2, which needs
 * credentials. The new VPC takes the first `maxAzs` (2 by default) of these three.
 */
class FanoutStack extends Stack {
  override get availabilityZones(): string[] {
    return [0, 1, 2].map((index) => Fn.select(index, Fn.getAzs()));
  }
}

function contextProps(context: (key: string) => string | undefined): Partial<FanoutOrchestratorProps> {
  const props: { -readonly [K in keyof FanoutOrchestratorProps]?: FanoutOrchestratorProps[K] } = {};
  const emails = context(CONTEXT.notificationEmails);
  if (emails)
    props.notificationEmails = emails
      .split(',')
      .map((email) => email.trim())
      .filter(Boolean);
  const vpcEndpoints = context(CONTEXT.vpcEndpoints);
  if (vpcEndpoints !== undefined) {
    if (vpcEndpoints !== 'true' && vpcEndpoints !== 'false')
      throw FanoutInfraError.of(CONTEXT.vpcEndpoints, 'must be true or false', vpcEndpoints);
    props.vpcEndpoints = vpcEndpoints === 'true';
  }
  const removal = context(CONTEXT.removalPolicy);
  if (removal !== undefined) {
    if (removal !== 'destroy' && removal !== 'retain')
      throw FanoutInfraError.of(CONTEXT.removalPolicy, 'must be destroy or retain', removal);
    props.removalPolicy = removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  }
  const image = context(CONTEXT.jobImage);
  if (image) props.jobImage = ecs.ContainerImage.fromRegistry(image);
  const expression = context(CONTEXT.schedule);
  const inputFile = context(CONTEXT.scheduleInput);
  if (expression !== undefined || inputFile !== undefined) {
    if (expression === undefined)
      throw FanoutInfraError.of(CONTEXT.schedule, 'is required with fanout:scheduleInput', expression);
    if (inputFile === undefined)
      throw FanoutInfraError.of(
        CONTEXT.scheduleInput,
        'is required with fanout:schedule (a file with the execution input)',
        inputFile,
      );
    if (!/^(cron|rate|at)\(.+\)$/.test(expression))
      throw FanoutInfraError.of(CONTEXT.schedule, 'must be cron(...), rate(...) or at(...)', expression);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(readFileSync(resolve(inputFile), 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw FanoutInfraError.of(
        CONTEXT.scheduleInput,
        `must name a readable JSON file (${(error as Error).message})`,
        inputFile,
      );
    }
    const timeZone = context(CONTEXT.scheduleTimeZone);
    const prefix = context(CONTEXT.scheduleRunIdPrefix);
    props.schedule = {
      expression: scheduler.ScheduleExpression.expression(expression, timeZone ? TimeZone.of(timeZone) : undefined),
      input,
      ...(prefix ? { runIdPrefix: prefix } : {}),
    };
  }
  return props;
}
