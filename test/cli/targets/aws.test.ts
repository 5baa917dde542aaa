import 'aws-sdk-client-mock-vitest/extend';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand, ExecutionDoesNotExist, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cloudWatchLogUrl,
  executionArnOf,
  openAwsTarget,
  readStackOutputs,
  resolveRegion,
  runOfExecution,
} from '../../../cli/targets';
import {
  describedExecution,
  describeStacks,
  executionArn,
  headerRow,
  ledgerTable,
  logGroup,
  mapStateMachineArn,
  region,
  stackOutputs,
  startDate,
  stopDate,
} from '../aws-stack';

const cloudFormationMock = mockClient(CloudFormationClient);
const sfnMock = mockClient(SFNClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  cloudFormationMock.reset();
  sfnMock.reset();
  ledgerMock.reset();
});

const cloudFormation = () => new CloudFormationClient({ region });

describe('readStackOutputs', () => {
  it('reads every output of the stack by key', async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ ArrayStateMachineArn: `${mapStateMachineArn}-array` })));
    const outputs = await readStackOutputs(cloudFormation(), 'Fanout', region);
    expect(outputs).toEqual(stackOutputs({ ArrayStateMachineArn: `${mapStateMachineArn}-array` }));
    expect(cloudFormationMock).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, { StackName: 'Fanout' });
  });

  it('names the stack and its region when the stack does not exist', async () => {
    // docs: AWSCloudFormation/latest/APIReference/API_DescribeStacks.html: "If the stack doesn't exist, a ValidationError is returned."
    cloudFormationMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: 'Stack with id Sweeps does not exist',
        $metadata: {},
      }),
    );
    await expect(readStackOutputs(cloudFormation(), 'Sweeps', region)).rejects.toThrow(
      'stack Sweeps does not exist in eu-west-1; deploy it, or name the deployed stack with --stack and its region with --region',
    );
  });

  it('names the stack, its status and the key when an output the CLI needs is missing', async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ LedgerTableName: undefined }), 'UPDATE_ROLLBACK_COMPLETE'));
    await expect(readStackOutputs(cloudFormation(), 'Fanout', region)).rejects.toThrow(
      'stack Fanout in eu-west-1 (UPDATE_ROLLBACK_COMPLETE) has no output LedgerTableName; the CLI needs MapStateMachineArn, LedgerTableName, DataBucketName, JobLogGroupName, Region',
    );
  });

  it('accepts a stack without the optional outputs', async () => {
    const required = stackOutputs({
      NoticesTopicArn: undefined,
      JobQueueHighArn: undefined,
      JobQueueLowArn: undefined,
      JobDefinitionArn: undefined,
    });
    cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks(required));
    await expect(readStackOutputs(cloudFormation(), 'Fanout', region)).resolves.toEqual(required);
  });

  it('refuses a state machine output that is not a state machine ARN, naming the key and the value', async () => {
    cloudFormationMock
      .on(DescribeStacksCommand)
      .resolves(describeStacks(stackOutputs({ MapStateMachineArn: 'Fanout-MapStateMachine' })));
    await expect(readStackOutputs(cloudFormation(), 'Fanout', region)).rejects.toThrow(
      'stack Fanout output MapStateMachineArn must be a state machine ARN (arn:<partition>:states:<region>:<account>:stateMachine:<name>); received "Fanout-MapStateMachine"',
    );
  });

  it('says what else went wrong reading the stack (credentials, permissions)', async () => {
    cloudFormationMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        message: 'User is not authorized to perform: cloudformation:DescribeStacks',
        $metadata: {},
      }),
    );
    await expect(readStackOutputs(cloudFormation(), 'Fanout', region)).rejects.toThrow(
      'cannot read stack Fanout in eu-west-1 (CloudFormation DescribeStacks): AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks',
    );
  });
});

describe('resolveRegion', () => {
  const never = async (): Promise<string | undefined> => {
    throw new Error('the SDK chain is not asked when --region is given');
  };

  it('takes --region first, then the SDK chain, then the configuration file', async () => {
    await expect(resolveRegion('ap-southeast-2', never, () => 'us-east-1')).resolves.toBe('ap-southeast-2');
    await expect(
      resolveRegion(
        undefined,
        async () => 'eu-central-1',
        () => 'us-east-1',
      ),
    ).resolves.toBe('eu-central-1');
    await expect(
      resolveRegion(
        undefined,
        async () => undefined,
        () => 'us-east-1',
      ),
    ).resolves.toBe('us-east-1');
  });

  it('opens the stack in the region the SDK chain gives when --region is absent', async () => {
    cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
    const target = await openAwsTarget({}, async () => region);
    await target.close();
    expect(target.stack).toBe('Fanout');
    expect(target.where).toBe('stack Fanout (eu-west-1)');
    expect(cloudFormationMock).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, { StackName: 'Fanout' });
  });
});

describe('cloudWatchLogUrl', () => {
  it('links the stream in the log group on the CloudWatch console, path segments encoded as the console does', () => {
    expect(cloudWatchLogUrl('eu-west-1', logGroup, 'fanout-job/default/4f6a2b8c')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Faws$252Fbatch$252Ffanout-jobs/log-events/fanout-job$252Fdefault$252F4f6a2b8c',
    );
  });

  it('uses the console of the partition', () => {
    expect(cloudWatchLogUrl('cn-north-1', '/aws/batch/job', 'a')).toMatch(
      /^https:\/\/console\.amazonaws\.cn\/cloudwatch\/home\?region=cn-north-1#/,
    );
    expect(cloudWatchLogUrl('us-gov-west-1', '/aws/batch/job', 'a')).toMatch(
      /^https:\/\/console\.amazonaws-us-gov\.com\/cloudwatch\/home\?region=us-gov-west-1#/,
    );
  });
});

describe('executions of a run', () => {
  it('derives an execution ARN from the state machine ARN and the name', () => {
    expect(executionArnOf(mapStateMachineArn, 'sweep-7')).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:Fanout-MapStateMachine7A3B5C1D-Xy12Ab34Cd56:sweep-7',
    );
  });

  it('tells the run of an execution from its input: retryOf, resumeOf, runId, else its name', () => {
    expect(runOfExecution({ name: 'sweep-7-retry-1', input: '{"retryOf":"sweep-7"}' })).toEqual({
      runId: 'sweep-7',
      retryOf: 'sweep-7',
    });
    expect(runOfExecution({ name: 'sweep-7-resume-x', input: '{"resumeOf":"sweep-7"}' })).toEqual({ runId: 'sweep-7' });
    expect(runOfExecution({ name: 'nightly-2026-03-02', input: '{"runId":"sweep-7","items":[{}]}' })).toEqual({
      runId: 'sweep-7',
    });
    expect(runOfExecution({ name: 'sweep-8', input: '{"items":[{}]}' })).toEqual({ runId: 'sweep-8' });
  });

  async function openTarget() {
    cloudFormationMock.on(DescribeStacksCommand).resolves(describeStacks());
    return openAwsTarget({ region });
  }

  it('reads a run started under another name (the console) through its header row', async () => {
    const target = await openTarget();
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') })
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    sfnMock.on(DescribeExecutionCommand, { executionArn: executionArn('nightly-2026-03-02') }).resolves(
      describedExecution('nightly-2026-03-02', {
        status: 'SUCCEEDED',
        stopDate: new Date('2026-03-02T10:01:00.000Z'),
        input: '{"runId":"sweep-7","items":[{}]}',
      }),
    );
    ledgerMock.on(GetCommand).resolves({
      Item: headerRow('sweep-7', {
        executionArn: executionArn('nightly-2026-03-02'),
        executionName: 'nightly-2026-03-02',
      }),
    });

    const record = await target.readRun('sweep-7');
    await target.close();
    expect(record).toEqual({
      runId: 'sweep-7',
      path: 'map',
      status: 'SUCCEEDED',
      error: null,
      cause: null,
      stateTransitions: null,
      executionArn: executionArn('nightly-2026-03-02'),
      startedAt: '2026-03-02T10:00:00.000Z',
      stoppedAt: '2026-03-02T10:01:00.000Z',
      durationSeconds: 60,
    });
    expect(ledgerMock).toHaveReceivedCommandWith(GetCommand, {
      TableName: ledgerTable,
      Key: { runId: 'sweep-7', itemId: '#run' },
      ConsistentRead: true,
    });
  });

  it('finds the running executions of a run, its retries included, and not those of a run whose id starts alike', async () => {
    const target = await openTarget();
    sfnMock
      .on(ListExecutionsCommand)
      .resolvesOnce({
        executions: [
          {
            executionArn: executionArn('sweep-7-retry-2'),
            stateMachineArn: mapStateMachineArn,
            name: 'sweep-7-retry-2',
            status: 'RUNNING',
            startDate,
          },
          {
            executionArn: executionArn('sweep-70'),
            stateMachineArn: mapStateMachineArn,
            name: 'sweep-70',
            status: 'RUNNING',
            startDate,
          },
        ],
        nextToken: 'page-2',
      })
      .resolvesOnce({
        executions: [
          {
            executionArn: executionArn('sweep-7-retry-x'),
            stateMachineArn: mapStateMachineArn,
            name: 'sweep-7-retry-x',
            status: 'RUNNING',
            startDate,
          },
        ],
      });
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-2') })
      .resolves(describedExecution('sweep-7-retry-2', { input: '{"retryOf":"sweep-7"}' }));
    // A run of its own whose id happens to start with "sweep-7-retry-".
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7-retry-x') })
      .resolves(describedExecution('sweep-7-retry-x'));
    sfnMock
      .on(DescribeExecutionCommand, { executionArn: executionArn('sweep-7') })
      .resolves(describedExecution('sweep-7', { status: 'FAILED', stopDate }));
    ledgerMock.on(GetCommand).resolves({ Item: headerRow('sweep-7') });

    await expect(target.runningExecutions('sweep-7')).resolves.toEqual([executionArn('sweep-7-retry-2')]);
    await target.close();
    expect(sfnMock).toHaveReceivedNthCommandWith(ListExecutionsCommand, 1, {
      stateMachineArn: mapStateMachineArn,
      statusFilter: 'RUNNING',
      maxResults: 1000,
    });
    expect(sfnMock).toHaveReceivedNthCommandWith(ListExecutionsCommand, 2, {
      stateMachineArn: mapStateMachineArn,
      statusFilter: 'RUNNING',
      maxResults: 1000,
      nextToken: 'page-2',
    });
  });
});
