import { resolve } from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DEFAULT_JOB_DEFINITION } from '../lambdas/shared';
import { FanoutInfraError } from './errors';
import type { FanoutOrchestratorProps, FanoutPath, FanoutSchedule } from './fanout-orchestrator-props';
import { asIBucket, asITable, asIVpc } from './private/cdk-interfaces';
import { createComputeEnvironments, createJobDefinitions, createJobQueues, queuesByPriority } from './private/compute';
import { DEFAULT_COMPUTE_ENVIRONMENTS, DEFAULT_JOB_QUEUES } from './private/defaults';
import { createHandlers } from './private/handlers';
import { addVpcEndpoints, createVpc } from './private/network';
import { arrayPathFiles, REPOSITORY_ROOT } from './private/repository';
import { ScheduledStarter } from './private/schedule';
import { createStateMachine } from './private/state-machine';
import type { MachineAccess } from './private/state-machine-grants';
import { createDataBucket, createLedger, createNoticesTopic } from './private/storage';
import { checkName, validateBatchProps } from './private/validate';

/**
 * Everything fanout runs on in one AWS account and region: Batch (VPC, Fargate and Fargate Spot
 * compute environments, queues, job definitions), the DynamoDB ledger, the data bucket, the
 * handlers of `lambdas/`, the state machines of `statemachine/` (map, and array unless
 * `arrayPath` is false), the notices topic, failure alarms and an optional schedule.
 *
 * @example
 * const orchestrator = new FanoutOrchestrator(stack, 'Fanout', { notificationEmails: ['ops@example.com'] });
 * orchestrator.grantStartExecution(someRole);
 */
export class FanoutOrchestrator extends Construct {
  readonly vpc: ec2.IVpc;
  readonly ledger: dynamodb.Table;
  readonly dataBucket: s3.Bucket;
  readonly noticesTopic: sns.Topic;
  readonly jobQueues: ReadonlyMap<string, batch.JobQueue>;
  readonly jobDefinitions: ReadonlyMap<string, batch.EcsJobDefinition>;
  readonly jobLogGroup: logs.LogGroup;
  /** The handlers by name (`Prepare`, `Retry`, `Summarize`, `Notify`, and `Collect` with the array path). */
  readonly functions: ReadonlyMap<string, lambda.Function>;
  readonly mapStateMachine: sfn.StateMachine;
  /** Present unless `arrayPath` is false. */
  readonly arrayStateMachine?: sfn.StateMachine;
  readonly schedule?: FanoutSchedule;
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FanoutOrchestratorProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const computeSpecs = props.computeEnvironments ?? DEFAULT_COMPUTE_ENVIRONMENTS;
    const queueSpecs = props.jobQueues ?? DEFAULT_JOB_QUEUES;
    const definitionSpecs = props.jobDefinitions ?? [{ name: DEFAULT_JOB_DEFINITION }];
    const mapName = props.mapStateMachineName ?? 'fanout-map';
    const arrayName = props.arrayStateMachineName ?? 'fanout-array';
    validateBatchProps(computeSpecs, queueSpecs, definitionSpecs, props.schedulingPolicies ?? []);
    checkName('mapStateMachineName', mapName);
    checkName('arrayStateMachineName', arrayName);
    const arrayPath = arrayPathFiles(props);

    // ---- Data: the ledger, the data bucket, the notices topic ----
    this.ledger = createLedger(
      this,
      props.ledgerTableName ?? 'fanout-ledger',
      props.ledgerTimeToLiveAttribute ?? 'expiresAt',
      removalPolicy,
    );
    this.dataBucket = createDataBucket(this, props, removalPolicy);
    this.noticesTopic = createNoticesTopic(
      this,
      props.notificationTopicName ?? 'fanout-notices',
      props.notificationEmails ?? [],
    );

    // ---- Batch ----
    this.vpc = props.vpc ?? asIVpc(createVpc(this, props.maxAzs ?? 2, logRetention));
    const environments = createComputeEnvironments(
      this,
      computeSpecs,
      this.vpc,
      props.vpc ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
    );
    if (props.vpcEndpoints) addVpcEndpoints(this, this.vpc, [...environments.values()]);
    const queues = createJobQueues(this, queueSpecs, environments, props.schedulingPolicies ?? []);
    this.jobQueues = queues;
    const { logGroup: jobLogGroup, definitions } = createJobDefinitions(this, definitionSpecs, {
      jobRole: props.jobRole,
      jobImage: props.jobImage,
      dataBucket: asIBucket(this.dataBucket),
      logRetention,
      // Public subnets without NAT: a task needs a public IP to pull its image and send logs.
      assignPublicIp: !props.vpc,
    });
    this.jobLogGroup = jobLogGroup;
    this.jobDefinitions = definitions;

    // ---- Handlers ----
    const functions = createHandlers(this, {
      ledger: asITable(this.ledger),
      dataBucket: asIBucket(this.dataBucket),
      noticesTopic: this.noticesTopic,
      sourceBuckets: props.sourceBuckets ?? [],
      collectEntry: arrayPath?.collectEntry,
      logRetention,
    });
    this.functions = new Map(
      [...functions].map(([placeholder, fn]) => [placeholder.replace(/FunctionArn$/, ''), fn.function]),
    );

    // ---- State machines ----
    const defaultDefinition =
      definitions.get(DEFAULT_JOB_DEFINITION) ?? ([...definitions.values()][0] as batch.EcsJobDefinition);
    const [highQueue, lowQueue] = queuesByPriority(queueSpecs, queues);
    const known: Record<string, string> = {
      ...Object.fromEntries([...functions].map(([placeholder, fn]) => [placeholder, fn.functionArn])),
      LedgerTableName: this.ledger.tableName,
      DataBucket: this.dataBucket.bucketName,
      NoticesTopicArn: this.noticesTopic.topicArn,
      JobQueueHighArn: highQueue.jobQueueArn,
      JobQueueLowArn: lowQueue.jobQueueArn,
      JobDefinitionArn: defaultDefinition.jobDefinitionArn,
    };
    const access: MachineAccess = {
      functions,
      ledger: asITable(this.ledger),
      bucket: asIBucket(this.dataBucket),
      topic: this.noticesTopic,
      queues,
      definitions,
    };
    const machine = (machineId: string, name: string, file: string) =>
      createStateMachine(this, machineId, name, file, known, access, logRetention);
    this.mapStateMachine = machine(
      'MapStateMachine',
      mapName,
      props.mapDefinitionFile ?? resolve(REPOSITORY_ROOT, 'statemachine', 'map.asl.json'),
    );
    if (arrayPath) this.arrayStateMachine = machine('ArrayStateMachine', arrayName, arrayPath.definitionFile);

    // ---- Triggers, alarms, outputs ----
    if (props.schedule) {
      this.schedule = new ScheduledStarter(this, 'Schedule', {
        ...props.schedule,
        target: this.mapStateMachine,
        logRetention,
        stateMachineName: `${mapName}-scheduled`,
      });
    }
    this.alarms = this.stateMachines().map(([path, stateMachine]) => {
      const alarm = new cloudwatch.Alarm(this, `${path === 'map' ? 'Map' : 'Array'}ExecutionsFailed`, {
        alarmDescription: `A ${path} path execution of fanout failed (ExecutionsFailed >= 1 in 5 minutes)`,
        metric: stateMachine.metricFailed({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(this.noticesTopic));
      return alarm;
    });

    if (props.outputs ?? true) {
      const output = (key: string, value: string, description: string) =>
        new CfnOutput(this, key, { value, description }).overrideLogicalId(key);
      output('MapStateMachineArn', this.mapStateMachine.stateMachineArn, 'The map path state machine');
      if (this.arrayStateMachine)
        output('ArrayStateMachineArn', this.arrayStateMachine.stateMachineArn, 'The array path state machine');
      output('LedgerTableName', this.ledger.tableName, 'The run ledger');
      output('DataBucketName', this.dataBucket.bucketName, 'Manifests and Map results (runs/<runId>/)');
      output('NoticesTopicArn', this.noticesTopic.topicArn, 'Run summaries and alarms');
      output('JobQueueHighArn', highQueue.jobQueueArn, 'The highest-priority job queue');
      output('JobQueueLowArn', lowQueue.jobQueueArn, 'The lowest-priority job queue');
      output('JobDefinitionArn', defaultDefinition.jobDefinitionArn, 'The default job definition');
      output('JobLogGroupName', this.jobLogGroup.logGroupName, "The jobs' CloudWatch log group");
      output('Region', stack.region, 'The region of the stack');
    }
  }

  /** The deployed state machines, map first. */
  stateMachines(): [FanoutPath, sfn.StateMachine][] {
    return this.arrayStateMachine
      ? [
          ['map', this.mapStateMachine],
          ['array', this.arrayStateMachine],
        ]
      : [['map', this.mapStateMachine]];
  }

  /**
   * Lets another principal (a service's role, a CI user) start runs: `states:StartExecution`
   * on the state machines of `paths`, by default every deployed one. Both, because a run's path
   * is chosen per run (`fanout run --path`) and an array run's retry starts the array machine.
   * @example orchestrator.grantStartExecution(ciRole, ['map']) // map runs only
   */
  grantStartExecution(grantee: iam.IGrantable, paths?: readonly FanoutPath[]): iam.Grant[] {
    const deployed = this.stateMachines();
    for (const path of paths ?? []) {
      if (!deployed.some(([name]) => name === path)) {
        throw FanoutInfraError.of(
          'grantStartExecution paths',
          `must name deployed paths (${deployed.map(([name]) => name).join(', ')})`,
          path,
        );
      }
    }
    return deployed
      .filter(([path]) => paths === undefined || paths.includes(path))
      .map(([, stateMachine]) => stateMachine.grantStartExecution(grantee));
  }
}
