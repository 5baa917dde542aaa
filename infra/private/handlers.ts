import { RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { FAILED_ITEMS_INDEX } from '../../run';
import { FanoutFunction } from './function';
import { lambdaEntry, REPOSITORY_ROOT } from './repository';
import { RUN_OBJECTS_PREFIX } from './storage';

/** What the handlers of `lambdas/` work on. */
interface HandlersOptions {
  readonly ledger: dynamodb.ITable;
  readonly dataBucket: s3.IBucket;
  readonly noticesTopic: sns.ITopic;
  /** Buckets Prepare may read `source` items from, besides the data bucket. */
  readonly sourceBuckets: readonly s3.IBucket[];
  /** The Collect handler's entry, or undefined without the array path (then no Collect). */
  readonly collectEntry: string | undefined;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The handlers the state machines invoke, keyed by their definitions' placeholder
 * (`PrepareFunctionArn`, ...), each granted exactly the calls its code makes.
 */
export function createHandlers(scope: Construct, options: HandlersOptions): Map<string, FanoutFunction> {
  const { ledger, dataBucket } = options;
  const functionProps = {
    projectRoot: REPOSITORY_ROOT,
    logRetention: options.logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  };
  const handler = (name: string, description: string, entry = lambdaEntry(name.toLowerCase())) =>
    new FanoutFunction(scope, name, { ...functionProps, entry, description });
  const runObjects = `${RUN_OBJECTS_PREFIX}*`;
  const runWhy = `Run objects are keyed ${RUN_OBJECTS_PREFIX}<runId>/... with run ids chosen per execution; access stays under that prefix of the stack's own bucket`;
  const sourceWhy = 'Execution inputs may name any object or prefix of this bucket as their item source';
  const prepare = handler('Prepare', 'Validates a run input, writes its manifest and ledger rows')
    .useLedger(
      ledger,
      // DeleteItem: a resume clears the header of a run whose Prepare died before its manifest (docs/failure-points.md).
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:Query',
      ],
      [FAILED_ITEMS_INDEX],
    )
    // `source` items may sit anywhere in the data bucket; manifests are written under runs/.
    .useDataBucket(dataBucket, {
      objectActions: ['s3:GetObject'],
      objectPattern: '*',
      list: true,
      why: sourceWhy,
    })
    .readBucket(dataBucket, { objectActions: ['s3:PutObject'], objectPattern: runObjects, why: runWhy })
    .useBatch([
      'batch:DescribeJobQueues',
      'batch:DescribeJobDefinitions',
      'batch:ListJobs',
      'batch:DescribeJobs',
      'batch:TerminateJob',
    ]);
  for (const source of options.sourceBuckets)
    prepare.readBucket(source, { objectActions: ['s3:GetObject'], objectPattern: '*', list: true, why: sourceWhy });
  const retry = handler('Retry', "Claims a round's safe failures and writes the next round's manifest")
    .useLedger(ledger, ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], [FAILED_ITEMS_INDEX])
    .useDataBucket(dataBucket, { objectActions: ['s3:PutObject'], objectPattern: runObjects, why: runWhy });
  const summarize = handler('Summarize', "Counts a run's ledger rows and writes its outcome")
    .useLedger(ledger, ['dynamodb:Query', 'dynamodb:UpdateItem'])
    // Reads a failed Map Run's ResultWriter files; the bucket comes from the event.
    .readBucket(dataBucket, {
      objectActions: ['s3:GetObject'],
      objectPattern: runObjects,
      list: true,
      why: runWhy,
    });
  const notify = handler('Notify', 'Publishes the run summary').useTopic(options.noticesTopic);
  const functions = new Map<string, FanoutFunction>([
    ['PrepareFunctionArn', prepare],
    ['RetryFunctionArn', retry],
    ['SummarizeFunctionArn', summarize],
    ['NotifyFunctionArn', notify],
  ]);
  if (options.collectEntry !== undefined) {
    // Exactly the calls lambdas/collect.ts makes: DescribeJobs of the children, the round's
    // manifest (its bucket and key come from the event, Prepare wrote it under runs/), one
    // conditional UpdateItem per item and for the header, a Query counting the run's rows.
    const collect = handler('Collect', "Records an array job's children in the ledger", options.collectEntry)
      .useLedger(ledger, ['dynamodb:UpdateItem', 'dynamodb:Query'])
      .readBucket(dataBucket, { objectActions: ['s3:GetObject'], objectPattern: runObjects, why: runWhy })
      .useBatch(['batch:DescribeJobs']);
    functions.set('CollectFunctionArn', collect);
  }
  return functions;
}
