import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Settings every handler shares. */
export interface FanoutFunctionProps {
  /** The handler's source file (exports `handler`). */
  readonly entry: string;
  /** Repository root: the lock file and tsconfig live there. */
  readonly projectRoot: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly description: string;
  /** @default Duration.minutes(5) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
}

/**
 * A handler of `lambdas/` as deployed: Node.js 22 on ARM64, bundled locally by esbuild (no
 * Docker), JSON logs into its own log group with a retention, and a role of its own that
 * starts with nothing but writing those logs. Access is added through the `use...` methods,
 * each of which sets the environment variable the handler reads AND grants the calls it makes,
 * so the two cannot drift apart.
 */
export class FanoutFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: FanoutFunctionProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (fanout)`,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    // Written out rather than through the AWSLambdaBasicExecutionRole managed policy, which
    // allows writing to every log group of the account.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: `${props.projectRoot}/package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      timeout: props.timeout ?? Duration.minutes(5),
      memorySize: props.memorySize ?? 512,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK versions the tests ran against, not whatever the runtime ships.
        bundleAwsSDK: true,
      },
    });
  }

  /** The function's ARN (for `${...FunctionArn}` placeholders and invoke grants). */
  get functionArn(): string {
    return this.function.functionArn;
  }

  /** `TABLE_NAME` plus exactly these DynamoDB actions on the table (and on the named indexes for Query). */
  useLedger(table: ITable, actions: readonly string[], queryIndexes: readonly string[] = []): this {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    const resources = [table.tableArn];
    if (actions.includes('dynamodb:Query')) resources.push(...queryIndexes.map((index) => `${table.tableArn}/index/${index}`));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources }));
    return this;
  }

  /** `BUCKET` (the data bucket), with the object actions under `objectPattern` and optionally listing. */
  useDataBucket(bucket: IBucket, access: { objectActions: readonly string[]; objectPattern: string; list?: boolean }): this {
    this.function.addEnvironment('BUCKET', bucket.bucketName);
    return this.readBucket(bucket, access);
  }

  /** Access to a bucket without naming it in the environment (a bucket the event names). */
  readBucket(bucket: IBucket, access: { objectActions: readonly string[]; objectPattern: string; list?: boolean }): this {
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...access.objectActions], resources: [bucket.arnForObjects(access.objectPattern)] }));
    if (access.list) this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    return this;
  }

  /** `TOPIC_ARN` and `sns:Publish` on it (plus the topic key, when it has one). */
  useTopic(topic: ITopic): this {
    this.function.addEnvironment('TOPIC_ARN', topic.topicArn);
    topic.grantPublish(this.role);
    return this;
  }

  /**
   * Batch calls. `DescribeJobQueues`, `DescribeJobDefinitions`, `ListJobs` and `DescribeJobs`
   * take no resource in IAM (docs: service-authorization list_awsbatch.html); `TerminateJob`
   * is limited to jobs of this account and region.
   */
  useBatch(actions: readonly string[]): this {
    const reads = actions.filter((action) => action !== 'batch:TerminateJob');
    if (reads.length > 0) this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: reads, resources: ['*'] }));
    if (actions.includes('batch:TerminateJob')) {
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['batch:TerminateJob'],
          resources: [Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
        }),
      );
    }
    return this;
  }
}
