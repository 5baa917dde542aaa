import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeRule, acknowledgeWildcards, resourceFinding } from './nag';

/** Access to a bucket's objects. */
interface BucketAccess {
  readonly objectActions: readonly string[];
  readonly objectPattern: string;
  /** Adds `s3:ListBucket` on the bucket. */
  readonly list?: boolean;
  /** Why the pattern needs its wildcard (the cdk-nag acknowledgment's reason). */
  readonly why: string;
}

/** Settings every handler shares. */
interface FanoutFunctionProps {
  /** The handler's source file (exports `handler`). */
  readonly entry: string;
  /** Repository root: the lock file and tsconfig live there. */
  readonly projectRoot: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly description: string;
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
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    // Written out rather than through the AWSLambdaBasicExecutionRole managed policy, which
    // allows writing to every log group of the account.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
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
      timeout: Duration.minutes(5),
      memorySize: 512,
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
    acknowledgeRule(
      this.function,
      'AwsSolutions-L1',
      'nodejs22.x is the runtime the handlers are built and tested for (esbuild target node22, CI on Node 22); moving to a newer one is a tested change, not a drift',
    );
  }

  /** The function's ARN (for `${...FunctionArn}` placeholders and invoke grants). */
  get functionArn(): string {
    return this.function.functionArn;
  }

  /** `TABLE_NAME` plus exactly these DynamoDB actions on the table (and on the named indexes for Query). */
  useLedger(table: ITable, actions: readonly string[], queryIndexes: readonly string[] = []): this {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    const resources = [table.tableArn];
    if (actions.includes('dynamodb:Query'))
      resources.push(...queryIndexes.map((index) => `${table.tableArn}/index/${index}`));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...actions], resources }));
    return this;
  }

  /**
   * `BUCKET` (the data bucket), with the object actions under `objectPattern` and optionally
   * listing; `why` says why the pattern has a wildcard (acknowledged for cdk-nag).
   */
  useDataBucket(bucket: IBucket, access: BucketAccess): this {
    this.function.addEnvironment('BUCKET', bucket.bucketName);
    return this.readBucket(bucket, access);
  }

  /** Access to a bucket without naming it in the environment (a bucket the event names). */
  readBucket(bucket: IBucket, access: BucketAccess): this {
    const objects = bucket.arnForObjects(access.objectPattern);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...access.objectActions], resources: [objects] }),
    );
    if (access.objectPattern.includes('*'))
      acknowledgeWildcards(this.role, [{ finding: resourceFinding(this, objects), reason: access.why }]);
    if (access.list)
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
      );
    return this;
  }

  /** `TOPIC_ARN` and `sns:Publish` on it (plus the topic key, when it has one). */
  useTopic(topic: ITopic): this {
    this.function.addEnvironment('TOPIC_ARN', topic.topicArn);
    topic.grantPublish(this.role);
    if (topic.masterKey) {
      acknowledgeWildcards(this.role, [
        {
          finding: 'Action::kms:GenerateDataKey*',
          reason:
            "Publishing to an encrypted topic needs the GenerateDataKey family on the topic's key (docs: sns/latest/dg/sns-key-management.html); the statement names that one key",
        },
      ]);
    }
    return this;
  }

  /**
   * Batch calls. `DescribeJobQueues`, `DescribeJobDefinitions`, `ListJobs` and `DescribeJobs`
   * take no resource in IAM (docs: service-authorization list_awsbatch.html); `TerminateJob`
   * is limited to jobs of this account and region.
   */
  useBatch(actions: readonly string[]): this {
    const reads = actions.filter((action) => action !== 'batch:TerminateJob');
    if (reads.length > 0) {
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: reads, resources: ['*'] }));
      acknowledgeWildcards(this.role, [
        {
          finding: 'Resource::*',
          reason: `${reads.join(', ')} support no resource-level permissions (docs: service-authorization/latest/reference/list_awsbatch.html)`,
        },
      ]);
    }
    if (actions.includes('batch:TerminateJob')) {
      const jobs = Stack.of(this).formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [jobs] }));
      acknowledgeWildcards(this.role, [
        {
          finding: resourceFinding(this, jobs),
          reason:
            'Job ids are generated when the jobs are submitted; the resource is limited to jobs of this account and region',
        },
      ]);
    }
    return this;
  }
}
