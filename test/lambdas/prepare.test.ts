import 'aws-sdk-client-mock-vitest/extend';
import { Readable } from 'node:stream';
import {
  BatchClient,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  type JobStatus,
  ListJobsCommand,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPrepareHandler, type PrepareDependencies } from '../../lambdas/prepare';
import { EnvironmentVariableError, EventError, FanoutInputError } from '../../lambdas/shared/errors';
import { manifestLine } from '../../lambdas/shared/manifest';
import { LedgerWriteError, NEVER_STARTED_STATUS_REASON } from '../../run';
import { CapturingLogger } from './log-capture';

const region = 'us-east-1';
const s3Mock = mockClient(S3Client);
const batchMock = mockClient(BatchClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

const executionArn = 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-1';
const now = new Date('2025-01-02T03:04:05.000Z');

function makeHandler(overrides: Partial<PrepareDependencies> = {}) {
  return createPrepareHandler({
    s3: new S3Client({ region }),
    batch: new BatchClient({ region }),
    ledger: DynamoDBDocumentClient.from(new DynamoDBClient({ region })),
    tableName: 'fanout-ledger',
    bucket: 'fanout-data',
    now: () => now,
    sleep: async () => undefined,
    random: () => 0.5,
    logger: new CapturingLogger(logLines),
    ...overrides,
  });
}

let logLines: Array<Record<string, unknown>> = [];

function event(input: unknown, executionName = 'sweep-1') {
  return { input, executionName, executionArn };
}

function body(text: string) {
  return Readable.from([Buffer.from(text)]) as never;
}

function expectNothingWritten(): void {
  expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  expect(ledgerMock).not.toHaveReceivedCommand(PutCommand);
  expect(ledgerMock).not.toHaveReceivedCommand(BatchWriteCommand);
}

beforeEach(() => {
  batchMock.on(DescribeJobQueuesCommand).resolves({
    jobQueues: [
      {
        jobQueueName: 'fanout-high',
        jobQueueArn: 'arn:q',
        priority: 1,
        state: 'ENABLED',
        computeEnvironmentOrder: [],
      },
    ],
  });
  batchMock.on(DescribeJobDefinitionsCommand).resolves({
    jobDefinitions: [
      {
        jobDefinitionName: 'fanout-job',
        jobDefinitionArn: 'arn:d:1',
        revision: 1,
        status: 'ACTIVE',
        type: 'container',
        containerProperties: { command: ['old'] },
      },
      {
        jobDefinitionName: 'fanout-job',
        jobDefinitionArn: 'arn:d:2',
        revision: 2,
        status: 'ACTIVE',
        type: 'container',
        containerProperties: { command: ['sh', '-c', 'echo default'] },
      },
    ],
  });
  ledgerMock.on(PutCommand).resolves({});
  ledgerMock.on(BatchWriteCommand).resolves({});
  s3Mock.on(PutObjectCommand).resolves({});
});

afterEach(() => {
  s3Mock.reset();
  batchMock.reset();
  ledgerMock.reset();
  logLines = [];
});

describe('prepare', () => {
  it('logs the accepted input once, with the run id, the execution and the item count', async () => {
    await makeHandler()(event({ replicas: { count: 40 } }));
    expect(logLines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'input accepted',
        runId: 'sweep-1',
        execution: executionArn,
        path: 'map',
        round: 1,
        itemCount: 40,
      }),
    ]);
  });

  it('logs a refused input with its issues, and nothing else', async () => {
    await expect(makeHandler()(event({ replicas: { count: 0 } }))).rejects.toThrow(FanoutInputError);
    expect(logLines).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'input refused',
        execution: executionArn,
        issues: [expect.objectContaining({ path: 'replicas.count' })],
      }),
    ]);
  });

  it('writes the header row, the manifest and one PENDING row per item, and returns the prepared run', async () => {
    const prepared = await makeHandler()(
      event({
        items: [
          { id: 'a', x: 1 },
          { id: 'b', x: 2, idempotent: false },
        ],
        command: ['run', '{x}'],
        maxConcurrency: 5,
      }),
    );

    expect(prepared).toEqual({
      runId: 'sweep-1',
      path: 'map',
      round: 1,
      itemCount: 2,
      executionArn,
      createdAt: '2025-01-02T03:04:05.000Z',
      manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
      resultPrefix: 'runs/sweep-1/results',
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job:2',
      command: ['run', '{x}'],
      environment: {},
      jobTimeout: {},
      // Left out rather than null: the state machines test the fields with IsPresent.
      scheduling: {},
      maxConcurrency: 5,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      retry: { rounds: 1, maxAttempts: 3 },
      idempotent: true,
    });
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: 'fanout-ledger',
      // The header row is the prepared run plus the row's own fields, nothing more.
      // Uncommitted until the manifest and every row are written (docs/failure-points.md).
      Item: { ...prepared, itemId: '#run', kind: 'run', status: 'RUNNING', executionName: 'sweep-1', planned: false },
      // A new run id, this very execution's (a retried Prepare), or a plan abandoned 15 minutes ago.
      ConditionExpression:
        'attribute_not_exists(#runId) OR #executionArn = :executionArn OR (#planned = :false AND #createdAt < :abandonedBefore)',
      ExpressionAttributeNames: {
        '#runId': 'runId',
        '#executionArn': 'executionArn',
        '#planned': 'planned',
        '#createdAt': 'createdAt',
      },
      ExpressionAttributeValues: {
        ':executionArn': executionArn,
        ':false': false,
        ':abandonedBefore': '2025-01-02T02:49:05.000Z',
      },
      ReturnValues: 'ALL_OLD',
    });
    expect(s3Mock).toHaveReceivedCommandExactlyOnceWith(PutObjectCommand, {
      Bucket: 'fanout-data',
      Key: 'runs/sweep-1/manifest.jsonl',
      ContentType: 'application/jsonl',
      Body:
        '{"itemId":"a","jobName":"sweep-1-a","kwargs":{"x":1},"idempotent":true}\n' +
        '{"itemId":"b","jobName":"sweep-1-b","kwargs":{"x":2},"idempotent":false}\n',
    });
    const pending = (itemId: string, x: number, idempotent: boolean) => ({
      PutRequest: {
        Item: {
          runId: 'sweep-1',
          itemId,
          status: 'PENDING',
          idempotent,
          attempt: 1,
          round: 1,
          jobName: `sweep-1-${itemId}`,
          kwargs: `{"x":${x}}`,
          createdAt: '2025-01-02T03:04:05.000Z',
        },
      },
    });
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(BatchWriteCommand, {
      RequestItems: { 'fanout-ledger': [pending('a', 1, true), pending('b', 2, false)] },
    });
    // The commit point comes last: header, manifest, rows, then planned.
    expect(ledgerMock).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: 'fanout-ledger',
      Key: { runId: 'sweep-1', itemId: '#run' },
      UpdateExpression: 'SET #planned = :true',
      ConditionExpression: '#executionArn = :executionArn',
      ExpressionAttributeNames: { '#planned': 'planned', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: { ':true': true, ':executionArn': executionArn },
    });
    const order = ledgerMock.calls().map((call) => call.args[0].constructor.name);
    expect(order).toEqual(['PutCommand', 'BatchWriteCommand', 'UpdateCommand']);
  });

  it('passes a threshold the input leaves out as one failures can never exceed', async () => {
    const prepared = await makeHandler()(event({ replicas: { count: 40 }, toleratedFailureCount: 3 }));
    expect(prepared).toMatchObject({ toleratedFailurePercentage: 100, toleratedFailureCount: 3 });
  });

  it('gives a failFast run thresholds of 0 and no retry round, and records failFast', async () => {
    const prepared = await makeHandler()(
      event({ replicas: { count: 4 }, failFast: true, retry: { rounds: 2, maxAttempts: 5 } }),
    );
    expect(prepared).toMatchObject({
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      retry: { rounds: 0, maxAttempts: 5 },
      failFast: true,
    });
  });

  it('writes the header before the manifest and the rows', async () => {
    const order: string[] = [];
    ledgerMock.on(PutCommand).callsFake(() => order.push('header'));
    s3Mock.on(PutObjectCommand).callsFake(() => order.push('manifest'));
    ledgerMock.on(BatchWriteCommand).callsFake(() => order.push('rows'));
    await makeHandler()(event({ replicas: { count: 3 } }));
    expect(order).toEqual(['header', 'manifest', 'rows']);
  });

  it("uses the job definition's own command when the input has none, so every child passes an explicit one", async () => {
    const prepared = await makeHandler()(event({ replicas: { count: 1 } }));
    expect(prepared.command).toEqual(['sh', '-c', 'echo default']);
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobDefinitionsCommand, {
      jobDefinitionName: 'fanout-job',
      status: 'ACTIVE',
    });
    expect(batchMock).toHaveReceivedCommandWith(DescribeJobQueuesCommand, { jobQueues: ['fanout-high'] });
  });

  it('looks a pinned job definition up by name:revision', async () => {
    batchMock.on(DescribeJobDefinitionsCommand, { jobDefinitions: ['fanout-job:1'] }).resolves({
      jobDefinitions: [
        {
          jobDefinitionName: 'fanout-job',
          jobDefinitionArn: 'arn:d:1',
          revision: 1,
          status: 'ACTIVE',
          type: 'container',
          containerProperties: { command: ['old'] },
        },
      ],
    });
    const prepared = await makeHandler()(event({ replicas: { count: 1 }, jobDefinition: 'fanout-job:1' }));
    expect(prepared).toMatchObject({ jobDefinition: 'fanout-job:1', command: ['old'] });
  });

  it('writes rows in BatchWriteItem chunks of 25', async () => {
    await makeHandler()(event({ replicas: { count: 60 } }));
    expect(ledgerMock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    const sizes = ledgerMock
      .commandCalls(BatchWriteCommand)
      .map((call) => call.args[0].input.RequestItems?.['fanout-ledger']?.length);
    expect(sizes.sort()).toEqual([10, 25, 25]);
  });

  it('re-sends unprocessed rows with backoff until every row is written', async () => {
    const sleep = vi.fn(async () => undefined);
    const unprocessed = [{ PutRequest: { Item: { runId: 'sweep-1', itemId: '1' } } }];
    ledgerMock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { 'fanout-ledger': unprocessed } })
      .resolvesOnce({ UnprocessedItems: { 'fanout-ledger': unprocessed } })
      .resolves({});
    await makeHandler({ sleep })(event({ replicas: { count: 2 } }));
    expect(ledgerMock).toHaveReceivedCommandTimes(BatchWriteCommand, 3);
    expect(ledgerMock).toHaveReceivedNthCommandWith(BatchWriteCommand, 2, {
      RequestItems: { 'fanout-ledger': unprocessed },
    });
    expect(ledgerMock).toHaveReceivedNthCommandWith(BatchWriteCommand, 3, {
      RequestItems: { 'fanout-ledger': unprocessed },
    });
    // Full jitter with random() = 0.5: half of 50 ms * 2^attempt.
    expect(sleep.mock.calls).toEqual([[50], [100]]);
  });

  it('fails with LedgerWriteError when rows stay unprocessed', async () => {
    ledgerMock.on(BatchWriteCommand).resolves({
      UnprocessedItems: { 'fanout-ledger': [{ PutRequest: { Item: { runId: 'sweep-1', itemId: '0' } } }] },
    });
    await expect(makeHandler()(event({ replicas: { count: 1 } }))).rejects.toThrow(LedgerWriteError);
    expect(ledgerMock).toHaveReceivedCommandTimes(BatchWriteCommand, 10);
  });

  it.each([
    ['an unknown key', { items: [{}], extra: 1 }, 'extra: unknown key'],
    ['two sources', { items: [{}], replicas: { count: 2 } }, 'exactly one item source is allowed'],
    ['duplicate ids', { items: [{ id: 'x' }, { id: 'x' }] }, 'items.1.id: duplicate item id, already used by items.0'],
    ['an oversized item', { items: [{ blob: 'x'.repeat(9000) }] }, 'items.0: its Batch container overrides'],
    ['a bad runId', { items: [{}], runId: 'no spaces' }, 'runId: runId must be 1-64'],
    ['a non-boolean grid idempotent', { grid: { idempotent: ['yes'] } }, 'grid.idempotent.0: each value becomes'],
    ['a grid id Batch cannot name a job with', { grid: { id: ['a b'] } }, 'grid.id.0: each value becomes'],
    ['an empty command argument', { items: [{}], command: ['echo', ''] }, 'command.1: an argument of command'],
    [
      'a kwarg nested 5,000 levels deep',
      { items: [{ x: JSON.parse(`${'['.repeat(5000)}${']'.repeat(5000)}`) }] },
      'items.0.x: must nest arrays and objects at most 32 levels deep',
    ],
  ])('rejects %s with FanoutInputError and writes nothing', async (_label, input, message) => {
    const rejection = makeHandler()(event(input));
    await expect(rejection).rejects.toThrow(FanoutInputError);
    await expect(rejection).rejects.toThrow(message);
    expectNothingWritten();
  });

  it('checks item sizes with the command taken from the job definition', async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({
      jobDefinitions: [
        {
          jobDefinitionName: 'fanout-job',
          jobDefinitionArn: 'arn:d:3',
          revision: 3,
          status: 'ACTIVE',
          type: 'container',
          containerProperties: { command: ['x'.repeat(7000)] },
        },
      ],
    });
    await expect(makeHandler()(event({ items: [{ p: 'y'.repeat(300) }] }))).rejects.toThrow(
      /items\.0: its Batch container overrides .* at most 7168/,
    );
    expectNothingWritten();
  });

  it('refuses to overwrite a run started by another execution', async () => {
    ledgerMock
      .on(PutCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const rejection = makeHandler()(event({ items: [{}], runId: 'taken' }));
    await expect(rejection).rejects.toThrow(FanoutInputError);
    await expect(rejection).rejects.toThrow('runId: a run with this id already exists in ledger fanout-ledger');
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
    expect(ledgerMock).not.toHaveReceivedCommand(BatchWriteCommand);
  });

  it('rejects an unknown job queue before writing', async () => {
    batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [] });
    await expect(makeHandler()(event({ items: [{}], jobQueue: 'nope' }))).rejects.toThrow(
      'jobQueue: no job queue has this name (received "nope")',
    );
    expectNothingWritten();
  });

  describe('fair share', () => {
    const fairShareQueue = {
      jobQueueName: 'fanout-teams',
      jobQueueArn: 'arn:aws:batch:us-east-1:000000000000:job-queue/fanout-teams',
      priority: 1,
      state: 'ENABLED' as const,
      schedulingPolicyArn: 'arn:aws:batch:us-east-1:000000000000:scheduling-policy/fanout-teams',
      computeEnvironmentOrder: [],
    };

    it('passes the shareIdentifier and schedulingPriority on to the jobs of a fair-share queue', async () => {
      batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [fairShareQueue] });
      const prepared = await makeHandler()(
        event({ items: [{}], jobQueue: 'fanout-teams', shareIdentifier: 'teamA', schedulingPriority: 7 }),
      );
      expect(prepared).toMatchObject({
        jobQueue: 'fanout-teams',
        scheduling: { shareIdentifier: 'teamA', schedulingPriority: 7 },
      });
      expect(ledgerMock).toHaveReceivedCommandWith(PutCommand, {
        Item: expect.objectContaining({
          itemId: '#run',
          scheduling: { shareIdentifier: 'teamA', schedulingPriority: 7 },
        }),
      });
    });

    it('leaves the priority out, not null, for a shared run without one', async () => {
      batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [fairShareQueue] });
      const prepared = await makeHandler()(event({ items: [{}], jobQueue: 'fanout-teams', shareIdentifier: 'teamA' }));
      expect(prepared.scheduling).toStrictEqual({ shareIdentifier: 'teamA' });
    });

    it('rejects a schedulingPriority without a shareIdentifier before writing', async () => {
      // Batch applies the priority only on fair-share queues (docs: batch/latest/APIReference/API_SubmitJob.html).
      await expect(makeHandler()(event({ items: [{}], schedulingPriority: 7 }))).rejects.toThrow(
        'schedulingPriority: schedulingPriority needs a shareIdentifier',
      );
      expectNothingWritten();
    });

    it('rejects a run on a fair-share queue without a shareIdentifier before writing', async () => {
      batchMock.on(DescribeJobQueuesCommand).resolves({ jobQueues: [fairShareQueue] });
      await expect(makeHandler()(event({ items: [{}], jobQueue: 'fanout-teams' }))).rejects.toThrow(
        'shareIdentifier: is required: job queue "fanout-teams" has the fair-share scheduling policy arn:aws:batch:us-east-1:000000000000:scheduling-policy/fanout-teams',
      );
      expectNothingWritten();
    });

    it('rejects a shareIdentifier for a queue without a scheduling policy before writing', async () => {
      await expect(makeHandler()(event({ items: [{}], shareIdentifier: 'teamA' }))).rejects.toThrow(
        'shareIdentifier: can only be given for a job queue with a fair-share scheduling policy; job queue "fanout-high" has none (received "teamA")',
      );
      expectNothingWritten();
    });
  });

  it('rejects a disabled job queue', async () => {
    batchMock.on(DescribeJobQueuesCommand).resolves({
      jobQueues: [
        {
          jobQueueName: 'fanout-high',
          jobQueueArn: 'arn:q',
          priority: 1,
          state: 'DISABLED',
          computeEnvironmentOrder: [],
        },
      ],
    });
    await expect(makeHandler()(event({ items: [{}] }))).rejects.toThrow('the job queue is DISABLED');
  });

  it('rejects a job definition that is missing or has no command when the input gives none', async () => {
    batchMock.on(DescribeJobDefinitionsCommand).resolves({ jobDefinitions: [] });
    await expect(makeHandler()(event({ items: [{}] }))).rejects.toThrow(
      'jobDefinition: no ACTIVE job definition matches',
    );
    batchMock.on(DescribeJobDefinitionsCommand).resolves({
      jobDefinitions: [
        {
          jobDefinitionName: 'fanout-job',
          jobDefinitionArn: 'arn:d:1',
          revision: 1,
          status: 'ACTIVE',
          type: 'container',
          containerProperties: {},
        },
      ],
    });
    await expect(makeHandler()(event({ items: [{}] }))).rejects.toThrow(
      'command: command is not given and job definition fanout-job has no command',
    );
    expectNothingWritten();
  });

  it('rejects an event without an execution ARN', async () => {
    await expect(makeHandler()({ input: { items: [{}] }, executionName: 'x' })).rejects.toThrow(EventError);
  });

  it('names the missing environment variable', async () => {
    const handler = createPrepareHandler(
      { s3: new S3Client({ region }), batch: new BatchClient({ region }) },
      { BUCKET: 'fanout-data' },
    );
    await expect(handler(event({ items: [{}] }))).rejects.toThrow(EnvironmentVariableError);
    await expect(handler(event({ items: [{}] }))).rejects.toThrow('environment variable TABLE_NAME is required');
  });
});

describe('prepare with an S3 source', () => {
  it('reads a .jsonl manifest line by line, skipping blank lines', async () => {
    s3Mock
      .on(GetObjectCommand, { Bucket: 'inputs', Key: 'sweep.jsonl' })
      .resolves({ Body: body('{"id":"a","n":1}\n\n{"n":2}\r\n') });
    const prepared = await makeHandler()(event({ source: 's3://inputs/sweep.jsonl' }));
    expect(prepared.itemCount).toBe(2);
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Body: '{"itemId":"a","jobName":"sweep-1-a","kwargs":{"n":1},"idempotent":true}\n{"itemId":"1","jobName":"sweep-1-1","kwargs":{"n":2},"idempotent":true}\n',
    });
  });

  it('names the line of a malformed .jsonl entry and writes nothing', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"n":1}\n{"n":\n["not an object"]\n') });
    const rejection = makeHandler()(event({ source: 's3://inputs/sweep.jsonl' }));
    await expect(rejection).rejects.toThrow(/source line 2: is not valid JSON/);
    await expect(rejection).rejects.toThrow(/source line 3: Invalid input: expected object, received array/);
    expectNothingWritten();
  });

  it('reads a .json array', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('[{"n":1},{"n":2},{"n":3}]') });
    expect((await makeHandler()(event({ source: 's3://inputs/items.json' }))).itemCount).toBe(3);
  });

  it('rejects a .json source that is not an array', async () => {
    s3Mock.on(GetObjectCommand).resolves({ Body: body('{"n":1}') });
    await expect(makeHandler()(event({ source: 's3://inputs/items.json' }))).rejects.toThrow(
      'must hold a JSON array of items',
    );
  });

  it('reads one item per object under a prefix, across pages, in key order', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolvesOnce({
        Contents: [{ Key: 'p/' }, { Key: 'p/a.json' }, { Key: 'p/b.json' }],
        IsTruncated: true,
        NextContinuationToken: 't1',
      })
      .resolvesOnce({ Contents: [{ Key: 'p/c.json' }], IsTruncated: false });
    for (const name of ['a', 'b', 'c']) {
      s3Mock
        .on(GetObjectCommand, { Bucket: 'inputs', Key: `p/${name}.json` })
        .resolves({ Body: body(`{"name":"${name}"}`) });
    }
    await makeHandler()(event({ source: 's3://inputs/p/' }));
    expect(s3Mock).toHaveReceivedNthCommandWith(ListObjectsV2Command, 2, {
      Bucket: 'inputs',
      Prefix: 'p/',
      ContinuationToken: 't1',
    });
    const manifest = String(s3Mock.commandCalls(PutObjectCommand)[0]?.args[0].input.Body);
    expect(
      manifest
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).kwargs.name),
    ).toEqual(['a', 'b', 'c']);
  });

  it('rejects an empty prefix', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    await expect(makeHandler()(event({ source: 's3://inputs/none/' }))).rejects.toThrow(
      'source: no objects under the prefix s3://inputs/none/',
    );
  });

  it('turns an unreadable source into a FanoutInputError on source', async () => {
    s3Mock
      .on(GetObjectCommand)
      .rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    const rejection = makeHandler()(event({ source: 's3://inputs/missing.jsonl' }));
    await expect(rejection).rejects.toThrow(FanoutInputError);
    await expect(rejection).rejects.toThrow('source: cannot read s3://inputs/missing.jsonl: NoSuchKey');
    expectNothingWritten();
  });
});

describe('manifestLine', () => {
  it('splices the kwargs JSON in unchanged', () => {
    const line = manifestLine({ itemId: '1', jobName: 'r-1', kwargsJson: '{"a":[1,{"b":null}]}', idempotent: false });
    expect(JSON.parse(line)).toEqual({
      itemId: '1',
      jobName: 'r-1',
      kwargs: { a: [1, { b: null }] },
      idempotent: false,
    });
  });
});

describe('prepare with retryOf', () => {
  const retryArn = 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-1-retry-1';
  const header = {
    runId: 'sweep-1',
    itemId: '#run',
    kind: 'run',
    path: 'map',
    status: 'FAILED',
    round: 2,
    itemCount: 10,
    executionArn,
    executionName: 'sweep-1',
    createdAt: '2025-01-01T00:00:00.000Z',
    manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
    resultPrefix: 'runs/sweep-1/results',
    jobQueue: 'fanout-high',
    jobDefinition: 'fanout-job:2',
    command: ['run', '{x}'],
    maxConcurrency: 5,
    toleratedFailurePercentage: 10,
    toleratedFailureCount: 10,
    retry: { rounds: 1, maxAttempts: 3 },
    idempotent: true,
  };
  const failedRow = (itemId: string, extra: Record<string, unknown>) => ({
    runId: 'sweep-1',
    itemId,
    status: 'FAILED',
    attempt: 1,
    round: 1,
    jobName: `sweep-1-${itemId}`,
    kwargs: '{"x":1}',
    failedRunId: 'sweep-1',
    ...extra,
  });
  const retryEvent = { input: { retryOf: 'sweep-1' }, executionName: 'sweep-1-retry-1', executionArn: retryArn };
  const handler = () => makeHandler({ newId: () => 'id-1' });

  beforeEach(() => {
    ledgerMock.on(GetCommand).resolves({ Item: header });
    ledgerMock.on(UpdateCommand).resolves({});
  });

  it("claims the earlier run's candidates with the Retry rule, writes no new rows, and runs them as the next round of that run", async () => {
    ledgerMock.on(QueryCommand).resolves({
      Items: [
        failedRow('a', { idempotent: true, failureClass: 'APP_ERROR' }),
        failedRow('b', { idempotent: false, failureClass: 'APP_ERROR' }),
        failedRow('c', { idempotent: false, failureClass: 'SUBMIT_ERROR' }),
      ],
    });
    const prepared = await handler()(retryEvent);

    expect(prepared).toMatchObject({
      runId: 'sweep-1',
      round: 3,
      itemCount: 10,
      executionArn: retryArn,
      createdAt: '2025-01-02T03:04:05.000Z',
      manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/retries/round-3-id-1.jsonl' },
      jobDefinition: 'fanout-job:2',
      // The run's 10 % of 10 items, as a count: a retry round exceeds it only past the run's allowance.
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 1,
      retryOf: 'sweep-1',
      retriedItemCount: 2,
    });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: 'runs/sweep-1/retries/round-3-id-1.jsonl',
      Body:
        '{"itemId":"a","jobName":"sweep-1-a-a2","kwargs":{"x":1},"idempotent":true}\n' +
        '{"itemId":"c","jobName":"sweep-1-c-a2","kwargs":{"x":1},"idempotent":false}\n',
    });
    expect(ledgerMock).not.toHaveReceivedCommand(PutCommand);
    expect(ledgerMock).not.toHaveReceivedCommand(BatchWriteCommand);
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'a' },
      ExpressionAttributeValues: expect.objectContaining({ ':retrying': 'RETRYING', ':round': 3, ':nextAttempt': 2 }),
    });
    expect(ledgerMock).not.toHaveReceivedCommandWith(UpdateCommand, { Key: { runId: 'sweep-1', itemId: 'b' } });
  });

  it("re-runs the items in the run's own share, with its priority; a run from before shares gets none", async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [] });
    // This header has no scheduling: its run was prepared before runs could name a share.
    expect((await handler()(retryEvent)).scheduling).toStrictEqual({});
    ledgerMock.on(GetCommand).resolves({
      Item: { ...header, jobQueue: 'fanout-teams', scheduling: { shareIdentifier: 'teamA', schedulingPriority: 3 } },
    });
    expect(await handler()(retryEvent)).toMatchObject({
      jobQueue: 'fanout-teams',
      scheduling: { shareIdentifier: 'teamA', schedulingPriority: 3 },
    });
  });

  it("records the execution in the run's header as a retry and marks the run RUNNING", async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [] });
    await handler()(retryEvent);
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: '#run' },
      UpdateExpression: 'SET #status = :running, #retries = list_append(if_not_exists(#retries, :none), :lineage)',
      ExpressionAttributeValues: {
        ':running': 'RUNNING',
        ':none': [],
        ':lineage': [{ executionArn: retryArn, startedAt: '2025-01-02T03:04:05.000Z' }],
      },
    });
  });

  it('with nothing to retry writes an empty manifest, so the Map runs zero items', async () => {
    ledgerMock.on(QueryCommand).resolves({ Items: [failedRow('b', { idempotent: false, failureClass: 'APP_ERROR' })] });
    const prepared = await handler()(retryEvent);
    expect(prepared).toMatchObject({
      retriedItemCount: 0,
      manifest: { key: 'runs/sweep-1/retries/round-3-id-1.jsonl' },
    });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: 'runs/sweep-1/retries/round-3-id-1.jsonl',
      Body: '',
    });
  });

  it('rejects an unknown run with FanoutInputError naming retryOf, writing nothing', async () => {
    ledgerMock.on(GetCommand).resolves({});
    await expect(handler()({ ...retryEvent, input: { retryOf: 'nope' } })).rejects.toThrow(
      /retryOf: no run with this id in ledger fanout-ledger \(received "nope"\)/,
    );
    expect(ledgerMock).not.toHaveReceivedCommand(UpdateCommand);
    expect(s3Mock).not.toHaveReceivedCommand(PutObjectCommand);
  });
});

describe('prepare with resumeOf', () => {
  const resumeArn = 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-1-resume-x';
  const header = {
    runId: 'sweep-1',
    itemId: '#run',
    kind: 'run',
    path: 'map',
    status: 'RUNNING',
    round: 1,
    itemCount: 6,
    executionArn,
    executionName: 'sweep-1',
    createdAt: '2025-01-01T00:00:00.000Z',
    manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
    resultPrefix: 'runs/sweep-1/results',
    jobQueue: 'fanout-high',
    jobDefinition: 'fanout-job:2',
    command: ['run', '{x}'],
    maxConcurrency: 5,
    toleratedFailurePercentage: 100,
    toleratedFailureCount: 6,
    retry: { rounds: 1, maxAttempts: 3 },
    idempotent: true,
  };
  const pendingRow = (itemId: string, idempotent: boolean) => ({
    runId: 'sweep-1',
    itemId,
    status: 'PENDING',
    idempotent,
    attempt: 1,
    round: 1,
    jobName: `sweep-1-${itemId}`,
    kwargs: '{"x":1}',
  });
  const job = (itemId: string, status: JobStatus, extra: Record<string, unknown> = {}) => ({
    jobId: `job-${itemId}`,
    jobName: `sweep-1-${itemId}`,
    jobArn: `arn:job-${itemId}`,
    status,
    createdAt: 1,
    ...extra,
  });
  const lost = 'Host EC2 (instance local) terminated.';
  const resumeEvent = { input: { resumeOf: 'sweep-1' }, executionName: 'sweep-1-resume-x', executionArn: resumeArn };

  beforeEach(() => {
    ledgerMock.on(GetCommand).resolves({ Item: header });
    ledgerMock.on(UpdateCommand).resolves({});
    ledgerMock.on(QueryCommand).resolves({
      Items: [
        pendingRow('a', true),
        pendingRow('b', true),
        pendingRow('c', false),
        pendingRow('d', false),
        pendingRow('e', true),
        pendingRow('f', false),
      ],
    });
    // The FAILED write of a lost job returns the row as it now is, which the retry rule reads.
    for (const [itemId, idempotent] of [
      ['b', true],
      ['c', false],
      ['f', false],
    ] as const) {
      ledgerMock.on(UpdateCommand, { Key: { runId: 'sweep-1', itemId }, ReturnValues: 'ALL_NEW' }).resolves({
        Attributes: {
          ...pendingRow(itemId, idempotent),
          status: 'FAILED',
          failureClass: 'ABORTED',
          failedRunId: 'sweep-1',
          jobId: `job-${itemId}`,
        },
      });
    }
    batchMock.on(ListJobsCommand).resolves({
      jobSummaryList: [
        job('a', 'SUCCEEDED', { startedAt: 2, stoppedAt: 3, container: { exitCode: 0 } }),
        job('b', 'FAILED', { statusReason: lost }),
        job('c', 'FAILED', { statusReason: lost }),
        job('e', 'SUCCEEDED'),
        job('f', 'RUNNING'),
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        ...['a', 'b', 'c', 'f'].map((itemId) => ({
          ...job(itemId, 'FAILED'),
          jobQueue: 'q',
          jobDefinition: 'd',
          startedAt: undefined,
          container: {
            environment: [{ name: 'FANOUT_RUN_ID', value: 'sweep-1' }],
            logStreamName: `fanout-job/default/job-${itemId}`,
            ...(itemId === 'b' ? { reason: 'CannotInspectContainerError' } : {}),
          },
        })),
        // A job named like item e, but of another run whose id starts with `sweep-1-`: item e never started.
        {
          ...job('e', 'SUCCEEDED'),
          jobQueue: 'q',
          jobDefinition: 'd',
          startedAt: undefined,
          container: { environment: [{ name: 'FANOUT_RUN_ID', value: 'sweep-1-other' }] },
        },
      ],
    });
    batchMock.on(TerminateJobCommand).resolves({});
  });

  const handler = () => makeHandler({ newId: () => 'id-1' });

  // docs/failure-points.md: a job the local Batch service only queued did not run.
  it('runs a non-idempotent item whose job the Batch service reports as never started, instead of failing it as lost', async () => {
    batchMock.on(ListJobsCommand).resolves({
      jobSummaryList: [job('d', 'FAILED', { statusReason: NEVER_STARTED_STATUS_REASON })],
    });
    const prepared = await handler()(resumeEvent);
    expect(prepared).toMatchObject({ resumedItemCount: 6 });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: 'runs/sweep-1/retries/round-2-id-1.jsonl',
      Body: expect.stringContaining('{"itemId":"d","jobName":"sweep-1-d","kwargs":{"x":1},"idempotent":false}'),
    });
    expect(ledgerMock).not.toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'd' },
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'FAILED' }),
    });
  });

  // A job name alone does not tie a job to an item: run `sweep`, item `1-c` names a job `sweep-1-c` too.
  it("never takes another run's or another item's job of the same name for the item's own", async () => {
    const other = (runIdValue: string, itemIdValue: string) => ({
      ...job('c', 'SUCCEEDED', { jobId: `other-${runIdValue}-${itemIdValue}`, stoppedAt: 3 }),
      startedAt: 2,
      jobQueue: 'q',
      jobDefinition: 'd',
      container: {
        exitCode: 0,
        environment: [
          { name: 'FANOUT_RUN_ID', value: runIdValue },
          { name: 'FANOUT_ITEM_ID', value: itemIdValue },
        ],
      },
    });
    batchMock.on(ListJobsCommand).resolves({
      jobSummaryList: [
        job('c', 'FAILED', { statusReason: lost }),
        job('c', 'SUCCEEDED', { jobId: 'other-sweep-1-c', startedAt: 2, stoppedAt: 3 }),
        job('c', 'SUCCEEDED', { jobId: 'other-sweep-1-not-c', startedAt: 2, stoppedAt: 3 }),
      ],
    });
    batchMock.on(DescribeJobsCommand).resolves({
      jobs: [
        {
          ...job('c', 'FAILED'),
          jobQueue: 'q',
          jobDefinition: 'd',
          startedAt: 2,
          container: {
            environment: [
              { name: 'FANOUT_RUN_ID', value: 'sweep-1' },
              { name: 'FANOUT_ITEM_ID', value: 'c' },
            ],
          },
        },
        other('sweep', '1-c'),
        other('sweep-1', 'not-c'),
      ],
    });
    await handler()(resumeEvent);
    // c's own job was lost and c may not run twice: FAILED, not recovered from a namesake's success.
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'c' },
      ExpressionAttributeValues: expect.objectContaining({ ':failed': 'FAILED', ':failureClass': 'ABORTED' }),
    });
    expect(ledgerMock).not.toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'c' },
      ExpressionAttributeValues: expect.objectContaining({ ':succeeded': 'SUCCEEDED' }),
    });
  });

  it('records succeeded jobs, fails lost ones as ABORTED, and runs the never-started and the lost idempotent items as the next round', async () => {
    const prepared = await handler()(resumeEvent);
    expect(prepared).toMatchObject({
      runId: 'sweep-1',
      round: 2,
      resumeOf: 'sweep-1',
      resumedItemCount: 3,
      manifest: { key: 'runs/sweep-1/retries/round-2-id-1.jsonl' },
    });
    // docs: batch/latest/APIReference/API_ListJobs.html (JOB_NAME filter, trailing * wildcard)
    expect(batchMock).toHaveReceivedCommandWith(ListJobsCommand, {
      jobQueue: 'fanout-high',
      filters: [{ name: 'JOB_NAME', values: ['sweep-1-*'] }],
    });
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: 'runs/sweep-1/retries/round-2-id-1.jsonl',
      Body:
        '{"itemId":"b","jobName":"sweep-1-b-a2","kwargs":{"x":1},"idempotent":true}\n' +
        '{"itemId":"d","jobName":"sweep-1-d","kwargs":{"x":1},"idempotent":false}\n' +
        '{"itemId":"e","jobName":"sweep-1-e","kwargs":{"x":1},"idempotent":true}\n',
    });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'a' },
      ConditionExpression: '#status = :seenStatus AND #attempt = :seenAttempt',
      UpdateExpression: expect.stringContaining('#logStream = :logStream'),
      ExpressionAttributeValues: expect.objectContaining({
        ':succeeded': 'SUCCEEDED',
        ':jobId': 'job-a',
        ':exitCode': 0,
        ':logStream': 'fanout-job/default/job-a',
        ':seenStatus': 'PENDING',
        ':seenAttempt': 1,
      }),
    });
    for (const itemId of ['b', 'c', 'f']) {
      expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
        Key: { runId: 'sweep-1', itemId },
        ReturnValues: 'ALL_NEW',
        UpdateExpression: expect.stringMatching(/ REMOVE #startedAt, #stoppedAt$/),
        ExpressionAttributeValues: expect.objectContaining({
          ':failed': 'FAILED',
          ':failureClass': 'ABORTED',
          ':error': 'Fanout.OrchestratorLost',
          ':logStream': `fanout-job/default/job-${itemId}`,
          ':containerReason': itemId === 'b' ? 'CannotInspectContainerError' : '',
        }),
      });
    }
    // The lost idempotent item is claimed by the Retry rule; the others may not run twice.
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'b' },
      ExpressionAttributeValues: expect.objectContaining({ ':retrying': 'RETRYING', ':nextAttempt': 2, ':round': 2 }),
    });
    expect(ledgerMock).not.toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: 'c' },
      ExpressionAttributeValues: expect.objectContaining({ ':retrying': 'RETRYING' }),
    });
    // A job still running when its run is resumed is terminated: its outcome would reach nobody.
    expect(batchMock).toHaveReceivedCommandWith(TerminateJobCommand, { jobId: 'job-f' });
    expect(ledgerMock).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { runId: 'sweep-1', itemId: '#run' },
      UpdateExpression: 'SET #status = :running, #resumes = list_append(if_not_exists(#resumes, :none), :lineage)',
    });
  });

  it('leaves a row another writer moved since it was read', async () => {
    ledgerMock
      .on(UpdateCommand, { Key: { runId: 'sweep-1', itemId: 'd' } })
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const prepared = await handler()(resumeEvent);
    expect(prepared).toMatchObject({ resumedItemCount: 2 });
    expect(s3Mock).not.toHaveReceivedCommandWith(PutObjectCommand, { Body: expect.stringContaining('"itemId":"d"') });
  });

  it('rejects an unknown run with FanoutInputError naming resumeOf, and resumeOf given with other options', async () => {
    ledgerMock.on(GetCommand).resolves({});
    await expect(handler()({ ...resumeEvent, input: { resumeOf: 'nope' } })).rejects.toThrow(
      /resumeOf: no run with this id in ledger fanout-ledger \(a run whose process died before preparing it left nothing: run its input again\) \(received "nope"\)/,
    );
    await expect(handler()({ ...resumeEvent, input: { resumeOf: 'sweep-1', items: [{}] } })).rejects.toThrow(
      /items cannot be given with resumeOf/,
    );
    expect(ledgerMock).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('prepare for the array path', () => {
  const arrayEvent = (input: unknown, executionName = 'sweep-1') => ({
    ...event(input, executionName),
    path: 'array' as const,
  });

  it('writes the manifest, its offset index and one PENDING row per item, and plans one job per 10,000 items', async () => {
    const prepared = await makeHandler()(
      arrayEvent({ replicas: { count: 10_001 }, command: ['run', '{replica}'], retry: { maxAttempts: 2 } }),
    );

    expect(prepared).toMatchObject({
      path: 'array',
      itemCount: 10_001,
      manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
      index: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.idx' },
      arrays: [
        { jobName: 'sweep-1-array-r1-0', start: 0, size: 10_000 },
        { jobName: 'sweep-1-array-r1-1', start: 10_000, size: 1 },
      ],
      // An array job fails when any child fails; no Map concurrency, no automatic rounds.
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      maxConcurrency: 0,
      retry: { rounds: 0, maxAttempts: 2 },
    });
    const puts = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    const manifest = puts.find((put) => put.Key === 'runs/sweep-1/manifest.jsonl')?.Body as string;
    const index = puts.find((put) => put.Key === 'runs/sweep-1/manifest.idx')?.Body as Buffer;
    // N + 1 offsets of 8 bytes; entry i is where line i starts, entry N the manifest's length.
    expect(index).toHaveLength(8 * 10_002);
    const line = (i: number) =>
      manifest.slice(Number(index.readBigUInt64BE(8 * i)), Number(index.readBigUInt64BE(8 * (i + 1))) - 1);
    expect(JSON.parse(line(0))).toMatchObject({ itemId: '00000', kwargs: { replica: 0 } });
    expect(JSON.parse(line(10_000))).toMatchObject({ itemId: '10000', kwargs: { replica: 10_000 } });
    expect(Number(index.readBigUInt64BE(8 * 10_001))).toBe(Buffer.byteLength(manifest));
    expect(ledgerMock).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ itemId: '#run', path: 'array', arrays: prepared.arrays }),
    });
  });

  it('refuses the options an array job cannot honour, naming each, before anything is written', async () => {
    const input = {
      replicas: { count: 3 },
      toleratedFailurePercentage: 10,
      failFast: false,
      maxConcurrency: 5,
      retry: { rounds: 1 },
    };
    const error = await makeHandler()(arrayEvent(input)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FanoutInputError);
    expect((error as FanoutInputError).issues.map((issue) => `${issue.path} (${issue.received})`)).toEqual([
      'toleratedFailurePercentage (10)',
      'maxConcurrency (5)',
      'retry.rounds (1)',
    ]);
    expect((error as Error).message).toContain(
      'toleratedFailurePercentage: the array path has no failure threshold: an array job fails when any child fails',
    );
    expectNothingWritten();
  });

  it('retries an array run as a smaller indexed array, and refuses a run of the other path', async () => {
    const header = {
      runId: 'sweep-1',
      itemId: '#run',
      kind: 'run',
      path: 'array',
      status: 'FAILED',
      round: 1,
      itemCount: 3,
      createdAt: '2025-01-01T00:00:00.000Z',
      manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job:2',
      command: ['run'],
      maxConcurrency: 0,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      retry: { rounds: 0, maxAttempts: 3 },
      idempotent: true,
    };
    ledgerMock.on(GetCommand).resolves({ Item: header });
    ledgerMock.on(UpdateCommand).resolves({});
    const failed = (itemId: string) => ({
      runId: 'sweep-1',
      itemId,
      status: 'FAILED',
      attempt: 1,
      round: 1,
      idempotent: true,
      jobName: `sweep-1-${itemId}`,
      kwargs: `{"x":"${itemId}"}`,
      failedRunId: 'sweep-1',
    });
    ledgerMock.on(QueryCommand).resolves({ Items: [failed('2'), failed('0')] });
    const retryEvent = {
      input: { retryOf: 'sweep-1' },
      executionName: 'sweep-1-retry-1',
      executionArn,
      path: 'array' as const,
    };

    const prepared = await makeHandler({ newId: () => 'id-1' })(retryEvent);
    expect(prepared).toMatchObject({
      path: 'array',
      round: 2,
      manifest: { key: 'runs/sweep-1/retries/round-2-id-1.jsonl' },
      index: { key: 'runs/sweep-1/retries/round-2-id-1.idx' },
      arrays: [{ jobName: 'sweep-1-array-r2-0', start: 0, size: 2 }],
      retriedItemCount: 2,
      toleratedFailureCount: 0,
    });
    const index = s3Mock
      .commandCalls(PutObjectCommand)
      .find((call) => call.args[0].input.Key === 'runs/sweep-1/retries/round-2-id-1.idx')?.args[0].input.Body as Buffer;
    // New index 0 runs item 0, new index 1 runs item 2.
    const manifest =
      '{"itemId":"0","jobName":"sweep-1-0-a2","kwargs":{"x":"0"},"idempotent":true}\n{"itemId":"2","jobName":"sweep-1-2-a2","kwargs":{"x":"2"},"idempotent":true}\n';
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Key: 'runs/sweep-1/retries/round-2-id-1.jsonl',
      Body: manifest,
    });
    expect([0, 1, 2].map((i) => Number(index.readBigUInt64BE(8 * i)))).toEqual([
      0,
      manifest.indexOf('\n') + 1,
      manifest.length,
    ]);

    await expect(makeHandler()({ ...retryEvent, path: 'map' })).rejects.toThrow(
      'retryOf: the run ran on the array path; retry it with the array path\'s state machine (received "sweep-1")',
    );
    await expect(makeHandler()({ ...retryEvent, path: 'map', input: { resumeOf: 'sweep-1' } })).rejects.toThrow(
      'resumeOf: the run ran on the array path; resume it with the array path\'s state machine (received "sweep-1")',
    );
  });
});
