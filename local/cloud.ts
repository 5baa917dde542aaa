import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type FanoutConfig, loadConfig } from '../config';
import { ledgerTableDefinition } from '../run';
import { type BatchServiceControl, startBatchService } from './batch';
import type { InImageOptions } from './container';
import { localDefinition, statemachineDir } from './definitions';
import { ensureTable, startDynamoDb } from './dynamodb';
import { createLocalStepFunctions, s3ObjectStore } from './engine';
import { startStepFunctionsEndpoint } from './engine/endpoint';
import { createDefaultIntegrations } from './engine/integrations';
import type { StepFunctionsService } from './engine/types';
import { lambdaLogger } from './lambda-log';
import { reportingStarts } from './private/execution-starts';
import { generateLocalCredentials, type LocalCredentials } from './private/sigv4.mjs';
import { startS3Server } from './s3';
import { startSnsServer } from './sns';

export { localDefinition, statemachineDir } from './definitions';

export interface LocalCloudOptions {
  /** State directory (ledger, objects, logs, run records). @default '.fanout' */
  dir?: string;
  /** @default the repository's fanout.config.json */
  config?: FanoutConfig;
  /** vCPUs the local compute environments share. @default config.local.vcpus */
  vcpus?: number;
  /** Working directory of job processes. @default process.cwd() */
  jobCwd?: string;
  /** File mode creation mask of job processes (the CLI keeps the user's while its own files are private). @default inherited */
  jobUmask?: number;
  /**
   * Runs every job in its job definition's image with this engine (`fanout run --in-image`),
   * whose launcher then resolves the kwargs in the container. Prepare the images first
   * (`prepareJobImage`). @default jobs run as processes of this machine
   */
  inImage?: InImageOptions;
  /**
   * Called with the ARN of every execution StartExecution or RedriveExecution sets running
   * through the Step Functions endpoint (`fanout local serve` keeps their run records); not for
   * the children a Distributed Map starts. @default none
   */
  onExecutionStarted?: (executionArn: string) => void;
}

export interface LocalEndpoints {
  stepfunctions: string;
  batch: string;
  dynamodb: string;
  s3: string;
  sns: string;
}

/** A running local cloud: every service on 127.0.0.1, the Lambdas in-process. */
export interface LocalCloud {
  readonly dir: string;
  readonly config: FanoutConfig;
  readonly region: string;
  readonly endpoints: LocalEndpoints;
  /**
   * The key pair every endpoint requires (SigV4), made for this local cloud when it started;
   * its own clients, the Lambdas and the jobs sign with it.
   */
  readonly credentials: LocalCredentials;
  readonly clients: { sfn: SFNClient; batch: BatchClient; dynamodb: DynamoDBClient; s3: S3Client; sns: SNSClient };
  /** In-process handle, for numbers the AWS APIs do not return (billed transitions). */
  readonly engine: StepFunctionsService;
  /** Counters and waits of the Batch service (processes spawned, idle), which runs in a child process. */
  readonly batch: BatchServiceControl;
  /** ARN of the Map path state machine (`fanout-map` by default). */
  readonly mapStateMachineArn: string;
  /** ARN of the array path state machine (`fanout-array` by default). */
  readonly arrayStateMachineArn: string;
  /** ARN of the SNS topic run summaries go to. */
  readonly topicArn: string;
  /**
   * Resolves when a service in a process of its own (dynalite, Batch) ends without `stop()`:
   * killed or crashed. Never resolves otherwise.
   */
  readonly serviceFailure?: Promise<ServiceFailure>;
  stop(): Promise<void>;
}

/** A local service whose process ended on its own. */
export interface ServiceFailure {
  /** e.g. `DynamoDB (dynalite)`, `Batch`. */
  readonly service: string;
  /** e.g. `exited with SIGKILL`. */
  readonly why: string;
}

/**
 * Starts DynamoDB (dynalite), S3, SNS, Batch and the Step Functions engine on
 * 127.0.0.1, creates the ledger table, bucket, topic and the `fanout-map` and
 * `fanout-array` state machines, and registers the Lambda handlers in-process.
 *
 * Nothing global is changed: the handlers receive the local clients as dependencies, and
 * job processes get the endpoints in their own environment.
 * @example const cloud = await startLocalCloud({ dir: '.fanout' }); ...; await cloud.stop();
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const dir = resolve(options.dir ?? '.fanout');
  const config = options.config ?? loadConfig();
  const { region, accountId } = config;
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const closers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  };
  const credentials = generateLocalCredentials();
  try {
    const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb'), credentials });
    closers.push(() => dynamo.close());
    const s3 = await startS3Server({ dir: join(dir, 's3'), credentials });
    closers.push(() => s3.close());
    const sns = await startSnsServer({ dir: join(dir, 'sns'), region, accountId, credentials });
    closers.push(() => sns.close());

    // A copy: the SDK marks the credentials objects it is given.
    const clientConfig = { region, credentials: { ...credentials } };
    const dynamodbClient = new DynamoDBClient({ ...clientConfig, endpoint: dynamo.url });
    const s3Client = new S3Client({ ...clientConfig, endpoint: s3.url, forcePathStyle: true });
    const snsClient = new SNSClient({ ...clientConfig, endpoint: sns.url });

    // Jobs reach the local services the way a container reaches AWS with its task
    // role: through endpoint and credential variables in their environment.
    const jobServiceEnvironment: Record<string, string> = {
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    };
    const batchService = await startBatchService({
      config,
      credentials,
      stateDir: dir,
      ...(options.vcpus === undefined ? {} : { vcpus: options.vcpus }),
      cwd: options.jobCwd ?? process.cwd(),
      ...(options.jobUmask === undefined ? {} : { jobUmask: options.jobUmask }),
      jobEnvironment: jobServiceEnvironment,
      // The job entrypoint's own resolution (an array child's item from the manifest, kwargs,
      // `{name}` placeholders), loaded by the service's child process, since a function cannot
      // cross into it.
      prepareInvocationModule: options.inImage
        ? {
            module: new URL('./container/in-image.ts', import.meta.url).href,
            exportName: 'containerInvocation',
            options: { ...options.inImage },
          }
        : {
            module: new URL('../job/array-item.ts', import.meta.url).href,
            exportName: 'resolveJobInvocation',
          },
    });
    closers.push(() => batchService.close());
    const batchClient = new BatchClient({ ...clientConfig, endpoint: batchService.url });

    await ensureTable(dynamodbClient, ledgerTableDefinition(config.ledgerTable));
    await s3Client
      .send(new HeadBucketCommand({ Bucket: config.bucket }))
      .catch(() => s3Client.send(new CreateBucketCommand({ Bucket: config.bucket })));
    const topic = await snsClient.send(new CreateTopicCommand({ Name: config.notificationTopic }));
    const topicArn = topic.TopicArn ?? `arn:aws:sns:${region}:${accountId}:${config.notificationTopic}`;

    let engine: StepFunctionsService | undefined;
    const handlers = await loadLambdaHandlers({
      s3: s3Client,
      batch: batchClient,
      ledger: DynamoDBDocumentClient.from(dynamodbClient),
      sns: snsClient,
      tableName: config.ledgerTable,
      bucket: config.bucket,
      topicArn,
      stateDir: dir,
      minTimeoutSeconds: config.local.minTimeoutSeconds,
    });
    engine = createLocalStepFunctions({
      region,
      accountId,
      objectStore: s3ObjectStore(s3Client),
      integrations: createDefaultIntegrations({
        handlers,
        batch: batchClient,
        dynamodb: dynamodbClient,
        s3: s3Client,
        sns: snsClient,
        // The states integration is created before the engine it starts executions on.
        service: () => engine as StepFunctionsService,
      }),
    });
    const served = options.onExecutionStarted ? reportingStarts(engine, options.onExecutionStarted) : engine;
    const endpoint = await startStepFunctionsEndpoint({ service: served, credentials });
    closers.push(() => endpoint.close());
    const sfnClient = new SFNClient({ ...clientConfig, endpoint: endpoint.url });

    const machine = engine.createStateMachine({
      name: config.mapStateMachine,
      definition: localDefinition(join(statemachineDir, 'map.asl.json'), config),
      roleArn: `arn:aws:iam::${accountId}:role/fanout-local`,
      type: 'STANDARD',
    });
    const arrayMachine = engine.createStateMachine({
      name: config.arrayStateMachine,
      definition: localDefinition(join(statemachineDir, 'array.asl.json'), config),
      roleArn: `arn:aws:iam::${accountId}:role/fanout-local`,
      type: 'STANDARD',
    });

    return {
      dir,
      config,
      region,
      endpoints: {
        stepfunctions: endpoint.url,
        batch: batchService.url,
        dynamodb: dynamo.url,
        s3: s3.url,
        sns: sns.url,
      },
      credentials,
      clients: { sfn: sfnClient, batch: batchClient, dynamodb: dynamodbClient, s3: s3Client, sns: snsClient },
      engine,
      batch: batchService.service,
      mapStateMachineArn: machine.stateMachineArn,
      arrayStateMachineArn: arrayMachine.stateMachineArn,
      topicArn,
      serviceFailure: new Promise<ServiceFailure>((resolveFailure) => {
        void dynamo.died?.then((why) => resolveFailure({ service: 'DynamoDB (dynalite)', why }));
        void batchService.died?.then((why) => resolveFailure({ service: 'Batch', why }));
      }),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

type Handler = (event: unknown, context: object) => Promise<unknown>;

interface LambdaWiring {
  s3: S3Client;
  batch: BatchClient;
  ledger: DynamoDBDocumentClient;
  sns: SNSClient;
  tableName: string;
  bucket: string;
  topicArn: string;
  /** Where the handlers' logs go (`<stateDir>/lambdas/`). */
  stateDir: string;
  /** The least job timeout Prepare accepts here (`local.minTimeoutSeconds`). */
  minTimeoutSeconds: number;
}

/**
 * The Lambda functions of the stack, by function name, as the local lambda integration
 * resolves them. Each handler gets the local clients and names directly, as its
 * dependencies, so the process environment stays untouched and several local clouds can
 * live one after another in one process.
 */
async function loadLambdaHandlers(wiring: LambdaWiring): Promise<Map<string, Handler>> {
  const [prepare, retry, summarize, notify, collect] = await Promise.all([
    import('../lambdas/prepare'),
    import('../lambdas/retry'),
    import('../lambdas/summarize'),
    import('../lambdas/notify'),
    import('../lambdas/collect'),
  ]);
  const { s3, batch, ledger, sns, tableName, bucket, topicArn, stateDir, minTimeoutSeconds } = wiring;
  const logger = (name: string) => lambdaLogger(stateDir, name);
  return new Map<string, Handler>([
    [
      'fanout-prepare',
      prepare.createPrepareHandler({
        s3,
        batch,
        ledger,
        tableName,
        bucket,
        logger: logger('fanout-prepare'),
        minTimeoutSeconds,
        // One process writes a state folder (cli/state-lock.ts): an uncommitted plan is a dead one's.
        abandonedPrepareAfterSeconds: 0,
      }) as Handler,
    ],
    [
      'fanout-retry',
      retry.createRetryHandler({ s3, ledger, tableName, bucket, logger: logger('fanout-retry') }) as Handler,
    ],
    [
      'fanout-summarize',
      summarize.createSummarizeHandler({ ledger, s3, tableName, logger: logger('fanout-summarize') }) as Handler,
    ],
    ['fanout-notify', notify.createNotifyHandler({ sns, topicArn, logger: logger('fanout-notify') }) as Handler],
    [
      'fanout-collect',
      collect.createCollectHandler({ batch, s3, ledger, tableName, logger: logger('fanout-collect') }) as Handler,
    ],
  ]);
}
