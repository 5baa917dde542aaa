/**
 * Stands a synthesized stack up on the local cloud (docs/rehearse.md): every resource from the
 * template, every Lambda from its staged bundle in its own process, every state machine from
 * its staged definition, and every call signed by the role that makes it and checked against
 * that role's policies.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { startBatchService } from '../batch';
import type { LocalCloud } from '../cloud';
import { startDynamoDb } from '../dynamodb';
import { createLocalStepFunctions, s3ObjectStore } from '../engine';
import { startStepFunctionsEndpoint } from '../engine/endpoint';
import { createDefaultIntegrations, type LambdaHandler } from '../engine/integrations';
import type { StepFunctionsService, TaskIntegration } from '../engine/types';
import type { LocalCredentials } from '../private/sigv4.mjs';
import { startS3Server } from '../s3';
import { startSnsServer } from '../sns';
import { readCloudAssembly } from './assembly';
import type { Denial } from './denial';
import { RehearsalError } from './errors';
import { Authority } from './private/authority';
import { startLambdaProcess } from './private/lambda-process';
import { roleRoutedIntegrations } from './private/routing';
import { describeStack, type RehearsedStack } from './stack';

/** What a rehearsal does not rehearse, said up front and in its output. */
export const NOT_REHEARSED: readonly string[] = [
  'container images are not pulled: jobs run as processes of this machine',
  'VPC networking, security groups and endpoints are not modelled',
  'service quotas and throttling are not enforced',
  'KMS key policies are not evaluated, and nothing is encrypted',
  'CloudWatch Logs, alarms and X-Ray are not written',
  'DynamoDB time to live is not applied',
  "a Distributed Map's redrive of its Map Run is not rehearsed (the local engine has no redrive)",
  "the user's own permissions are not rehearsed: the CLI acts as an administrator",
];

export interface RehearsalOptions {
  /** The cloud assembly (`cdk synth` output). */
  readonly cdkOut: string;
  /** The stack, when the assembly has several. */
  readonly stackName?: string;
  /** State directory of the rehearsal. */
  readonly dir: string;
  /** Working directory of job processes. @default process.cwd() */
  readonly jobCwd?: string;
  /** File mode creation mask of job processes. @default inherited */
  readonly jobUmask?: number;
}

/** A rehearsal: a local cloud built from the template, with the calls IAM denied. */
export interface Rehearsal extends LocalCloud {
  readonly stack: RehearsedStack;
  /** Calls IAM denied so far, also those the stack's code absorbed. */
  readonly denials: readonly Denial[];
}

/**
 * Stands the stack of `options.cdkOut` up; `stop()` takes it down.
 * @example const rehearsal = await startRehearsal({ cdkOut: 'cdk.out', dir: '.fanout/rehearsal' });
 */
export async function startRehearsal(options: RehearsalOptions): Promise<Rehearsal> {
  const stack = describeStack(readCloudAssembly(options.cdkOut, options.stackName));
  const { region, account } = stack.resolver;
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const authority = new Authority(stack);
  const credentials = authority.userCredentials;

  const closers: Array<() => Promise<void> | void> = [];
  const stop = async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
  };
  try {
    const dynamo = await startDynamoDb({
      dir: join(dir, 'dynamodb'),
      credentials,
      inProcess: true,
      access: authority.access('dynamodb'),
    });
    closers.push(() => dynamo.close());
    const s3 = await startS3Server({ dir: join(dir, 's3'), region, credentials, access: authority.access('s3') });
    closers.push(() => s3.close());
    const sns = await startSnsServer({
      dir: join(dir, 'sns'),
      region,
      accountId: account,
      credentials,
      access: authority.access('sns'),
    });
    closers.push(() => sns.close());

    const endpointsEnvironment = (role: LocalCredentials) => ({
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: role.accessKeyId,
      AWS_SECRET_ACCESS_KEY: role.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SNS: sns.url,
    });
    const jobEnvironment = stack.jobRoleArn ? endpointsEnvironment(authority.credentialsOf(stack.jobRoleArn)) : {};
    const batch = await startBatchService({
      config: stack.config,
      stateDir: dir,
      credentials,
      inProcess: true,
      access: authority.access('batch'),
      cwd: options.jobCwd ?? process.cwd(),
      ...(options.jobUmask === undefined ? {} : { jobUmask: options.jobUmask }),
      jobEnvironment,
      prepareInvocationModule: {
        module: new URL('../../job/array-item.ts', import.meta.url).href,
        exportName: 'resolveJobInvocation',
      },
    });
    closers.push(() => batch.close());

    const user = { region, credentials: { ...credentials } };
    const dynamodbClient = new DynamoDBClient({ ...user, endpoint: dynamo.url });
    const s3Client = new S3Client({ ...user, endpoint: s3.url, forcePathStyle: true });
    const snsClient = new SNSClient({ ...user, endpoint: sns.url });
    const batchClient = new BatchClient({ ...user, endpoint: batch.url });
    for (const table of stack.tables) await dynamodbClient.send(new CreateTableCommand(table));
    for (const bucket of stack.buckets) await s3Client.send(new CreateBucketCommand({ Bucket: bucket.name }));
    for (const topic of stack.topics) await snsClient.send(new CreateTopicCommand({ Name: topic.name }));

    const handlers = new Map<string, LambdaHandler>();
    for (const fn of stack.functions) {
      const running = await startLambdaProcess(
        fn,
        {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...fn.environment,
          ...endpointsEnvironment(authority.credentialsOf(fn.roleArn)),
          AWS_ENDPOINT_URL_BATCH: batch.url,
          AWS_LAMBDA_FUNCTION_NAME: fn.name,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        join(dir, 'lambdas'),
      );
      closers.push(() => running.stop());
      handlers.set(fn.name, running.handler);
    }

    let engine: StepFunctionsService | undefined;
    const service = () => engine as StepFunctionsService;
    const integrationsOf = (roleArn: string): TaskIntegration[] => {
      const role = { region, credentials: { ...authority.credentialsOf(roleArn) } };
      return createDefaultIntegrations({
        handlers,
        batch: new BatchClient({ ...role, endpoint: batch.url }),
        dynamodb: new DynamoDBClient({ ...role, endpoint: dynamo.url }),
        s3: new S3Client({ ...role, endpoint: s3.url, forcePathStyle: true }),
        sns: new SNSClient({ ...role, endpoint: sns.url }),
        service,
      });
    };
    const readerRole = stack.stateMachines.find((machine) => /"ItemReader"|"ResultWriter"/.test(machine.definition));
    const objectStoreClient = readerRole
      ? new S3Client({
          region,
          credentials: { ...authority.credentialsOf(readerRole.roleArn) },
          endpoint: s3.url,
          forcePathStyle: true,
        })
      : s3Client;
    engine = createLocalStepFunctions({
      region,
      accountId: account,
      authorize: ({ roleArn, action, resource }) => authority.check(roleArn, { action, resource }),
      objectStore: s3ObjectStore(objectStoreClient),
      integrations: roleRoutedIntegrations(
        stack.stateMachines.map((machine) => machine.roleArn),
        integrationsOf,
        authority,
        stack,
      ),
    });
    const endpoint = await startStepFunctionsEndpoint({
      service: engine,
      credentials,
      access: authority.access('states'),
    });
    closers.push(() => endpoint.close());
    for (const machine of stack.stateMachines) {
      engine.createStateMachine({
        name: machine.name,
        definition: machine.definition,
        roleArn: machine.roleArn,
        type: machine.type,
      });
    }

    const arnOf = (output: string, fallback: string | undefined) => stack.outputs[output] ?? fallback;
    const mapStateMachineArn = arnOf('MapStateMachineArn', stack.stateMachines[0]?.arn);
    if (!mapStateMachineArn) throw new RehearsalError('the template has no state machine to run');
    const arrayStateMachineArn = arnOf(
      'ArrayStateMachineArn',
      stack.stateMachines.find((machine) => machine.arn !== mapStateMachineArn)?.arn,
    );
    return {
      dir,
      config: stack.config,
      region,
      endpoints: { stepfunctions: endpoint.url, batch: batch.url, dynamodb: dynamo.url, s3: s3.url, sns: sns.url },
      credentials,
      clients: {
        sfn: new SFNClient({ ...user, endpoint: endpoint.url }),
        batch: batchClient,
        dynamodb: dynamodbClient,
        s3: s3Client,
        sns: snsClient,
      },
      engine,
      batch: batch.service,
      mapStateMachineArn,
      arrayStateMachineArn: arrayStateMachineArn ?? mapStateMachineArn,
      topicArn: stack.outputs.NoticesTopicArn ?? stack.topics[0]?.arn ?? '',
      stack,
      denials: authority.denials,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
