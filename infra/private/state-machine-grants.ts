import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FanoutInfraError } from '../errors';
import type { DefinitionNeeds } from './definition';
import type { FanoutFunction } from './function';
import { resourceFinding } from './nag';
import { RUN_OBJECTS_PREFIX } from './storage';

/** The deployed resources a state machine's placeholders may name. */
export interface MachineAccess {
  readonly functions: ReadonlyMap<string, FanoutFunction>;
  readonly ledger: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly topic: sns.ITopic;
  readonly queues: ReadonlyMap<string, batch.JobQueue>;
  readonly definitions: ReadonlyMap<string, batch.EcsJobDefinition>;
}

/** What a state machine's role is given. */
interface Grants {
  readonly statements: iam.PolicyStatement[];
  /** cdk-nag IAM5 findings the statements raise, with their reasons. */
  readonly findings: { finding: string; reason: string }[];
}

/**
 * The IAM statements a state machine's role needs for what its states call (`needs`, from
 * `analyzeDefinition`), each on the narrowest resource this stack can name: Lambda invokes,
 * Batch submits and what `.sync` adds (DescribeJobs, TerminateJob, the managed events rule),
 * SDK reads, the ledger, the run objects, the topic and its key, and a Distributed Map's
 * children. Every wildcard comes with the cdk-nag finding it raises and why it is needed.
 */
export function statementsFor(
  scope: Construct,
  name: string,
  file: string,
  needs: DefinitionNeeds,
  access: MachineAccess,
): Grants {
  const stack = Stack.of(scope);
  const statements: iam.PolicyStatement[] = [];
  const findings: { finding: string; reason: string }[] = [];
  const wildcard = (arn: string, reason: string): string => {
    findings.push({ finding: resourceFinding(scope, arn), reason });
    return arn;
  };
  // Step Functions' own log delivery and X-Ray calls, which CDK adds to every logged and traced machine.
  const anyResource = [
    'CloudWatch Logs delivery (logs:*LogDelivery, PutResourcePolicy, Describe*) and X-Ray tracing calls support no resource-level permissions',
  ];
  const functionArns = [...needs.functionPlaceholders].map((placeholder) => {
    const fn = access.functions.get(placeholder);
    if (!fn) throw new FanoutInfraError(`${file} invokes \${${placeholder}}, but no such function is deployed`);
    return fn.functionArn;
  });
  if (functionArns.length > 0)
    statements.push(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: functionArns }));

  if (needs.batchSubmit) {
    // Queues and job definitions are named by the run input, so every one of this stack is allowed;
    // `:*` covers the revisions a redeploy registers (docs: batch/latest/userguide/batch-supported-iam-actions-resources.html).
    const definitionArns = [...access.definitions.keys()].map((definition) =>
      wildcard(
        stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: `${definition}:*` }),
        `Runs pin the revision of job definition ${definition} that was latest when they started; every revision a deploy registers must stay submittable`,
      ),
    );
    statements.push(
      new iam.PolicyStatement({
        actions: ['batch:SubmitJob'],
        resources: [...[...access.queues.values()].map((queue) => queue.jobQueueArn), ...definitionArns],
      }),
    );
  }
  if (needs.batchSync) {
    // What .sync needs (docs: step-functions/latest/dg/batch-iam.html). TerminateJob is how Step
    // Functions stops the job when the execution (or a Map child) is stopped; CDK adds it only for
    // states it builds itself, not for a definition read from a file.
    anyResource.push('batch:DescribeJobs supports no resource-level permissions (.sync polls the job with it)');
    const jobs = wildcard(
      stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' }),
      'Job ids exist only once .sync submitted them; TerminateJob is limited to jobs of this account and region',
    );
    statements.push(
      new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [jobs] }),
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({
            service: 'events',
            resource: 'rule',
            resourceName: 'StepFunctionsGetEventsForBatchJobsRule',
          }),
        ],
      }),
    );
  }
  const batchReads = [...needs.batchReads].filter((action) => !(needs.batchSync && action === 'batch:DescribeJobs'));
  if (batchReads.length > 0) {
    anyResource.push(`${batchReads.join(', ')} support no resource-level permissions`);
    statements.push(new iam.PolicyStatement({ actions: batchReads, resources: ['*'] }));
  }
  if (needs.dynamodbActions.size > 0) {
    statements.push(
      new iam.PolicyStatement({ actions: [...needs.dynamodbActions], resources: [access.ledger.tableArn] }),
    );
  }
  if (needs.s3ObjectActions.size > 0) {
    const objects = wildcard(
      access.bucket.arnForObjects(`${RUN_OBJECTS_PREFIX}*`),
      `Manifests and ResultWriter output are keyed ${RUN_OBJECTS_PREFIX}<runId>/... with run ids chosen per execution`,
    );
    statements.push(new iam.PolicyStatement({ actions: [...needs.s3ObjectActions], resources: [objects] }));
  }
  if (needs.s3ListBucket)
    statements.push(new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [access.bucket.bucketArn] }));
  if (needs.snsPublish) {
    statements.push(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [access.topic.topicArn] }));
    if (access.topic.masterKey) {
      findings.push({
        finding: 'Action::kms:GenerateDataKey*',
        reason:
          "Publishing to an encrypted topic needs the GenerateDataKey family on the topic's key; the statement names that one key",
      });
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: [access.topic.masterKey.keyArn],
        }),
      );
    }
  }
  if (needs.distributedMapLabels.length > 0) {
    // A Distributed Map starts its children as executions of this very state machine
    // (docs: step-functions/latest/dg/iam-policies-eg-dist-map.html). The ARNs are built from
    // the name, as the role cannot refer to the state machine it belongs to.
    const execution = (resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    statements.push(
      new iam.PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          wildcard(
            execution(`${name}:*`),
            `The Distributed Map follows and stops the child executions it starts, whose names it generates`,
          ),
        ],
      }),
      // Redriving the parent redrives its failed Map Run: the children are executions of `<name>/<label>`.
      new iam.PolicyStatement({
        actions: ['states:RedriveExecution'],
        resources: needs.distributedMapLabels.map((label) =>
          wildcard(
            execution(`${name}/${label ?? '*'}:*`),
            `Redriving a run redrives the failed children of its Map Run ${label ?? ''}, whose names Step Functions generates`,
          ),
        ),
      }),
    );
  }
  findings.push({ finding: 'Resource::*', reason: anyResource.join('; ') });
  return { statements, findings };
}
