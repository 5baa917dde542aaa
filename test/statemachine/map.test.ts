import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { JSONPath } from 'jsonpath-plus';
import { describe, expect, it } from 'vitest';
import { summarizeEventSchema } from '../../lambdas/summarize';
import { evaluateChoiceRule } from '../../local/engine/expressions';
import type { PreparedRun } from '../../run';
import {
  DefinitionSubstitutionError,
  loadMapDefinition,
  MAP_PLACEHOLDERS,
  mapDefinitionPath,
  substituteDefinition,
} from '../../statemachine';
import { applyTemplate, choiceTarget, type Machine, type State, successors } from './asl';

const values = {
  PrepareFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-prepare',
  RetryFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-retry',
  SummarizeFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-summarize',
  NotifyFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-notify',
  LedgerTableName: 'fanout-ledger',
  DataBucket: 'fanout-data',
};
const rawText = readFileSync(mapDefinitionPath, 'utf8');
const definition = JSON.parse(loadMapDefinition(values)) as Machine & Record<string, unknown>;
const fanOut = definition.States.FanOut as State;
const child = fanOut.ItemProcessor as Machine;
/** The Distributed Maps ChooseFanOut picks from, and the suffix of their item processors' state names. */
const FAN_OUT_VARIANTS: [string, string][] = [
  ['FanOut', ''],
  ['FanOutInShare', 'InShare'],
  ['FanOutInSharePrioritized', 'InSharePrioritized'],
];

function reachable(machine: Machine, from: string): Set<string> {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...successors(machine.States[name] as State));
  }
  return seen;
}

const prepared: PreparedRun = {
  runId: 'sweep-1',
  path: 'map',
  round: 1,
  itemCount: 1,
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:sweep-1',
  createdAt: '2025-01-02T03:04:05.000Z',
  manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
  resultPrefix: 'runs/sweep-1/results',
  jobQueue: 'fanout-high',
  jobDefinition: 'fanout-job:2',
  command: ['sim', '{seed}'],
  environment: { PYTHONPATH: 'src' },
  jobTimeout: { AttemptDurationSeconds: 900 },
  scheduling: {},
  maxConcurrency: 1000,
  toleratedFailurePercentage: 0,
  toleratedFailureCount: 0,
  retry: { rounds: 1, maxAttempts: 3 },
  idempotent: true,
};
const current = {
  manifest: prepared.manifest,
  round: 1,
  itemCount: 1,
  toleratedFailurePercentage: 0,
  toleratedFailureCount: 0,
};
const manifestItem = { itemId: '0', jobName: 'sweep-1-0', kwargs: { seed: 7 }, idempotent: true };

describe('map.asl.json', () => {
  it('is valid Amazon States Language', () => {
    // The validator writes a QueryLanguage into every state; give it a copy.
    const result = validator(structuredClone(definition) as never, { checkArn: false, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it.each(FAN_OUT_VARIANTS)(
    'runs exactly two states per item on the happy path in %s: SubmitJob, RecordOutcome',
    (mapName, suffix) => {
      // Billed per item: 1 transition for the child start + 1 per state = 3, the design budget
      // (docs/map-path.md, "Cost per item"; step-functions/latest/dg/state-map-distributed.html).
      const processor = (definition.States[mapName] as State).ItemProcessor as Machine;
      const path: string[] = [];
      let name: string | undefined = processor.StartAt;
      while (name !== undefined) {
        path.push(name);
        const state = processor.States[name] as State;
        expect(state.Type, name).not.toBe('Choice');
        name = state.End ? undefined : state.Next;
      }
      expect(path).toEqual([`SubmitJob${suffix}`, `RecordOutcome${suffix}`]);
      expect(processor.States[`SubmitJob${suffix}`]?.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
      expect(processor.States[`RecordOutcome${suffix}`]?.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
    },
  );

  it('chooses the Distributed Map once per round in the parent, from the scheduling Prepare emits', () => {
    const choose = definition.States.ChooseFanOut as State;
    expect(definition.States.Prepare?.Next).toBe('ChooseFanOut');
    const target = (scheduling: PreparedRun['scheduling']) =>
      choiceTarget(choose, { prepared: { ...prepared, scheduling }, current });
    expect(target({})).toBe('FanOut');
    expect(target({ shareIdentifier: 'teamA' })).toBe('FanOutInShare');
    expect(target({ shareIdentifier: 'teamA', schedulingPriority: 7 })).toBe('FanOutInSharePrioritized');
    // Each Map is reached only through the Choice: from Prepare and from the retry loop alike.
    const entries = Object.entries(definition.States).filter(([, state]) =>
      successors(state).some((next) => next.startsWith('FanOut')),
    );
    expect(entries.map(([name]) => name)).toEqual(['ChooseFanOut']);
  });

  it('runs the children as STANDARD executions of a Distributed Map reading the JSONL manifest', () => {
    expect(child).toMatchObject({ ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } });
    expect(fanOut.ItemReader).toEqual({
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSONL' },
      Parameters: { 'Bucket.$': '$.current.manifest.bucket', 'Key.$': '$.current.manifest.key' },
    });
    expect(fanOut.ResultWriter).toEqual({
      Resource: 'arn:aws:states:::s3:putObject',
      Parameters: { Bucket: 'fanout-data', 'Prefix.$': '$.prepared.resultPrefix' },
    });
    expect(fanOut).toMatchObject({
      MaxConcurrencyPath: '$.prepared.maxConcurrency',
      ToleratedFailurePercentagePath: '$.current.toleratedFailurePercentage',
      ToleratedFailureCountPath: '$.current.toleratedFailureCount',
      ResultPath: '$.fanOut',
    });
  });

  it('summarizes and notifies a run whose Map exceeded its failure threshold, then fails it', () => {
    expect(fanOut.Catch?.[0]).toEqual({
      ErrorEquals: ['States.ExceedToleratedFailureThreshold'],
      ResultPath: '$.fanOutError',
      Next: 'Summarize',
    });
    expect(definition.States.Summarize?.Next).toBe('Notify');
    expect(definition.States.Notify?.Next).toBe('RunOutcome');
    expect(definition.States.RunOutcome).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.fanOutError', IsPresent: true, Next: 'RunFailed' },
        { Variable: '$.aggregateError', IsPresent: true, Next: 'AggregateFailed' },
      ],
      Default: 'RunSucceeded',
    });
    expect(definition.States.RunFailed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.fanOutError.Error',
      CausePath: '$.fanOutError.Cause',
    });
  });

  it('lets invalid input fail the execution at Prepare: no Catch, no retry of FanoutInputError', () => {
    const prepare = definition.States.Prepare as State;
    expect(prepare.Catch).toBeUndefined();
    expect(JSON.stringify(prepare.Retry)).not.toContain('FanoutInputError');
    expect(prepare.Parameters.Payload).toEqual({
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
    });
    expect(prepare.ResultSelector).toEqual({
      'prepared.$': '$.Payload',
      current: {
        'manifest.$': '$.Payload.manifest',
        'round.$': '$.Payload.round',
        'itemCount.$': '$.Payload.itemCount',
        'toleratedFailurePercentage.$': '$.Payload.toleratedFailurePercentage',
        'toleratedFailureCount.$': '$.Payload.toleratedFailureCount',
      },
    });
  });

  // "Unhandled errors in Lambda are reported as Lambda.Unknown ... These include out-of-memory
  // errors and function timeouts" (Step Functions developer guide, "Handle Lambda service
  // exceptions"). A second try of Prepare or Retry in the same execution finishes what a killed
  // first try wrote (docs/failure-points.md), so both are retried after one.
  it('retries Prepare and Retry after a function timeout or crash (Lambda.Unknown), since a second try finishes the first', () => {
    for (const name of ['Prepare', 'Retry']) {
      const errors = ((definition.States[name] as State).Retry as Array<{ ErrorEquals: string[] }>).flatMap(
        (retrier) => retrier.ErrorEquals,
      );
      expect(errors, name).toContain('Lambda.Unknown');
    }
  });

  it('retries Batch throttling with capped, fully jittered backoff and catches every other failure', () => {
    const submit = child.States.SubmitJob as State;
    expect(submit.Retry).toHaveLength(1);
    expect(submit.Retry[0].ErrorEquals).toEqual(
      expect.arrayContaining(['Batch.TooManyRequestsException', 'Batch.ServerException']),
    );
    expect(submit.Retry[0]).toMatchObject({
      JitterStrategy: 'FULL',
      MaxDelaySeconds: expect.any(Number),
      IntervalSeconds: expect.any(Number),
      BackoffRate: expect.any(Number),
      MaxAttempts: expect.any(Number),
    });
    expect(submit.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ClassifyFailure' }]);
  });

  it('ends every failure path in a ledger write and then a Fail state, so the Map counts the item as failed', () => {
    const failurePath = reachable(child, 'ClassifyFailure');
    const terminals = [...failurePath].filter(
      (name) => ['Fail', 'Succeed'].includes(child.States[name]?.Type) || child.States[name]?.End,
    );
    expect(terminals).toEqual(['ItemFailed']);
    expect(child.States.ItemFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
    const recorders = [...failurePath].filter(
      (name) => child.States[name]?.Resource === 'arn:aws:states:::dynamodb:updateItem',
    );
    expect(recorders.sort()).toEqual(['RecordJobFailure', 'RecordTaskError']);
    for (const name of recorders) {
      expect(child.States[name]?.Parameters.UpdateExpression).toMatch(
        /^SET #status = :failed, #failureClass = :failureClass, #error = :error, #cause = :cause/,
      );
      expect(child.States[name]?.Next).toBe('ItemFailed');
    }
  });

  it('makes every ledger write conditional so nothing moves an item backwards', () => {
    for (const name of ['RecordOutcome', 'RecordJobFailure', 'RecordTaskError']) {
      const parameters = child.States[name]?.Parameters;
      expect(parameters.TableName).toBe('fanout-ledger');
      expect(parameters.ConditionExpression).toBe(
        'attribute_exists(#itemId) AND #status <> :succeeded AND #status <> :abandoned AND #round <= :round',
      );
      expect(parameters.ExpressionAttributeValues[':succeeded']).toEqual({ S: 'SUCCEEDED' });
      expect(parameters.ExpressionAttributeValues[':abandoned']).toEqual({ S: 'ABANDONED' });
      expect(child.States[name]?.Catch[0].ErrorEquals).toEqual(['DynamoDB.ConditionalCheckFailedException']);
    }
  });

  it('uses exactly the expression names and values each ledger write declares (DynamoDB rejects unused ones)', () => {
    for (const name of ['RecordOutcome', 'RecordJobFailure', 'RecordTaskError']) {
      const parameters = child.States[name]?.Parameters;
      const expressions = `${parameters.UpdateExpression} ${parameters.ConditionExpression}`;
      const usedNames = new Set(expressions.match(/#[A-Za-z]+/g));
      const usedValues = new Set(expressions.match(/:[A-Za-z]+/g));
      expect(new Set(Object.keys(parameters.ExpressionAttributeNames)), name).toEqual(usedNames);
      expect(
        new Set(Object.keys(parameters.ExpressionAttributeValues).map((key) => key.replace(/\.\$$/, ''))),
        name,
      ).toEqual(usedValues);
    }
  });

  it("passes the run's shareIdentifier and schedulingPriority to every item's SubmitJob and to the aggregation job", () => {
    // docs: batch/latest/APIReference/API_SubmitJob.html (shareIdentifier, schedulingPriorityOverride)
    const scheduled = {
      ...prepared,
      scheduling: { shareIdentifier: 'teamA', schedulingPriority: 7 },
      aggregate: { jobName: 'sweep-1-aggregate', command: ['reduce'], kwargs: '{}' },
    };
    const state = { prepared: scheduled, current };
    const map = definition.States[choiceTarget(definition.States.ChooseFanOut as State, state)] as State;
    const childInput = applyTemplate(map.ItemSelector, state, {
      Map: { Item: { Index: 0, Value: manifestItem } },
    }) as Record<string, unknown>;
    const processor = map.ItemProcessor as Machine;
    const request = applyTemplate(processor.States[processor.StartAt]?.Parameters, childInput, {}) as State;
    expect(request).toMatchObject({ ShareIdentifier: 'teamA', SchedulingPriorityOverride: 7 });
    const aggregateState = choiceTarget(definition.States.ChooseAggregate as State, state);
    const aggregate = applyTemplate(definition.States[aggregateState]?.Parameters, state, {}) as State;
    expect(aggregate).toMatchObject({ ShareIdentifier: 'teamA', SchedulingPriorityOverride: 7 });
  });

  it('finds every field it reads in what Prepare returns and what the manifest holds', () => {
    const state = { prepared, current };
    applyTemplate(fanOut.ItemReader.Parameters, state, {});
    applyTemplate(fanOut.ResultWriter.Parameters, state, {});
    for (const path of [
      fanOut.MaxConcurrencyPath,
      fanOut.ToleratedFailurePercentagePath,
      fanOut.ToleratedFailureCountPath,
    ]) {
      expect(JSONPath({ path, json: state, wrap: true })).toHaveLength(1);
    }
    const childInput = applyTemplate(fanOut.ItemSelector, state, {
      Map: { Item: { Index: 0, Value: manifestItem } },
    }) as Record<string, unknown>;
    expect(childInput).toEqual({
      runId: 'sweep-1',
      round: 1,
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job:2',
      environment: { PYTHONPATH: 'src' },
      timeout: { AttemptDurationSeconds: 900 },
      scheduling: {},
      command: ['sim', '{seed}'],
      itemId: '0',
      jobName: 'sweep-1-0',
      kwargs: { seed: 7 },
    });
    const request = applyTemplate(child.States.SubmitJob?.Parameters, childInput, {}) as State;
    expect(request).toMatchObject({
      JobName: 'sweep-1-0',
      JobQueue: 'fanout-high',
      JobDefinition: 'fanout-job:2',
      // docs: batch/latest/APIReference/API_SubmitJob.html (timeout overrides the job definition's)
      Timeout: { AttemptDurationSeconds: 900 },
      ContainerOverrides: { Command: ['sim', '{seed}'] },
    });
    // A run without a share sends neither field (a null would fail the state on AWS).
    expect(choiceTarget(definition.States.ChooseFanOut as State, state)).toBe('FanOut');
    expect(child.StartAt).toBe('SubmitJob');
    expect(request).not.toHaveProperty('ShareIdentifier');
    expect(request).not.toHaveProperty('SchedulingPriorityOverride');
    // Intrinsic functions are shown as the call they make (applyTemplate does not run them).
    expect(request.ContainerOverrides.Environment).toEqual([
      { Name: 'FANOUT_KWARGS', Value: '<States.JsonToString($.kwargs)>' },
      { Name: 'FANOUT_RUN_ID', Value: 'sweep-1' },
      { Name: 'FANOUT_ENVIRONMENT', Value: '<States.JsonToString($.environment)>' },
      { Name: 'FANOUT_ITEM_ID', Value: '0' },
    ]);

    const jobDetail = {
      JobId: 'job-1',
      Status: 'SUCCEEDED',
      StartedAt: 1,
      StoppedAt: 2,
      Container: { ExitCode: 0, LogStreamName: 'fanout-job/default/abc' },
    };
    const job = applyTemplate(child.States.SubmitJob?.ResultSelector, jobDetail, {});
    expect(job).toEqual({
      jobId: 'job-1',
      exitCode: 0,
      logStream: 'fanout-job/default/abc',
      startedAt: 1,
      stoppedAt: 2,
    });
    applyTemplate(
      child.States.RecordOutcome?.Parameters,
      { ...childInput, job },
      { State: { EnteredTime: '2025-01-02T03:04:05Z' } },
    );

    const error = { Error: 'Batch.ClientException', Cause: 'JobQueue fanout-high not found.' };
    applyTemplate(
      child.States.RecordTaskError?.Parameters,
      { ...childInput, error, failureClass: 'SUBMIT_ERROR' },
      { State: { EnteredTime: 'now' } },
    );
    const failure = {
      jobId: 'job-1',
      statusReason: 'Essential container in task exited',
      container: { Reason: '', LogStreamName: '' },
      exit: { code: 3, ledger: { N: '3' } },
    };
    applyTemplate(
      child.States.RecordJobFailure?.Parameters,
      { ...childInput, error, failure, failureClass: 'APP_ERROR' },
      { State: { EnteredTime: 'now' } },
    );

    const retry = definition.States.Retry as State;
    expect(applyTemplate(retry.Parameters, state, { Execution: { Id: prepared.executionArn } })).toMatchObject({
      Payload: { runId: 'sweep-1', round: 1, executionArn: prepared.executionArn },
    });
    const retried = {
      manifest: { bucket: 'b', key: 'k' },
      itemCount: 2,
      round: 2,
      abandonedCount: 0,
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 1,
    };
    expect(applyTemplate(retry.ResultSelector, { Payload: retried }, {})).toEqual({
      manifest: { bucket: 'b', key: 'k' },
      round: 2,
      itemCount: 2,
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 1,
    });
    expect(applyTemplate(definition.States.Prepare?.ResultSelector, { Payload: prepared }, {})).toEqual({
      prepared,
      current: {
        manifest: prepared.manifest,
        round: 1,
        itemCount: 1,
        toleratedFailurePercentage: 0,
        toleratedFailureCount: 0,
      },
    });

    expect(
      summarizeEventSchema.safeParse({
        prepared,
        fanOutError: { Error: 'States.ExceedToleratedFailureThreshold', Cause: 'exceeded' },
      }).success,
    ).toBe(true);
    expect(
      summarizeEventSchema.safeParse({
        prepared,
        fanOut: { MapRunArn: 'arn:maprun', ResultWriterDetails: { Bucket: 'b', Key: 'k' } },
      }).success,
    ).toBe(true);
  });

  it('recognises a failed job by its JSON job detail in the cause', () => {
    const rule = child.States.CheckJobDetail?.Choices[0];
    expect(rule).toMatchObject({ Variable: '$.error.Cause', Next: 'ParseFailedJob' });
    // StringMatches: `*` matches any characters; nothing else in this pattern is special.
    const pattern = new RegExp(
      `^${String(rule.StringMatches)
        .split('*')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    expect(pattern.test(JSON.stringify({ Attempts: [], JobId: 'j', Status: 'FAILED' }))).toBe(true);
    expect(pattern.test('Job queue fanout-high is DISABLED')).toBe(false);
  });
});

/** Follows a Choice state of the child the way the engine does: the first matching rule wins. */
function choose(stateName: string, input: Record<string, unknown>): string {
  const state = child.States[stateName] as State;
  const rule = (state.Choices as State[]).find((candidate) =>
    evaluateChoiceRule(candidate as never, input as never, {} as never),
  );
  return rule ? rule.Next : state.Default;
}

/** The failure class a failed job gets: ClassifyJobFailure, then the Pass state it leads to. */
function classOfFailedJob(statusReason: string, exitCode: number | undefined, containerReason = ''): string {
  const failure = { statusReason, container: { Reason: containerReason }, exit: { code: exitCode ?? -1 } };
  const target = child.States[choose('ClassifyJobFailure', { failure })] as State;
  expect(target.Next).toBe('RecordJobFailure');
  return target.Result;
}

describe('failure classes', () => {
  it.each([
    // Spot reclaims (docs: batch/latest/userguide/job_states.html and the Spot pages quote these reasons).
    ['Host EC2 (instance i-0123456789abcdef0) terminated.', 143, '', 'SPOT_INTERRUPTED'],
    ['Your Spot Task was interrupted.', undefined, '', 'SPOT_INTERRUPTED'],
    ['Job attempt duration exceeded timeout', 137, '', 'TIMEOUT'],
    ['Terminated by Step Functions', 143, '', 'ABORTED'],
    [
      'Essential container in task exited',
      137,
      'OutOfMemoryError: Container killed due to memory usage',
      'OUT_OF_MEMORY',
    ],
    ['Essential container in task exited', 137, 'OOM killed', 'OUT_OF_MEMORY'],
    ['Essential container in task exited', 137, '', 'APP_ERROR'],
    ['Essential container in task exited', 1, '', 'APP_ERROR'],
    ['Essential container in task exited', 0, '', 'UNKNOWN'],
    ['', undefined, '', 'UNKNOWN'],
  ] as const)(
    'classifies a job failed with %j, exit code %s and container reason %j',
    (statusReason, exitCode, containerReason, expected) => {
      expect(classOfFailedJob(statusReason, exitCode, containerReason)).toBe(expected);
    },
  );

  it('classifies Batch API errors as SUBMIT_ERROR and any other task error as UNKNOWN', () => {
    const classOf = (error: string) =>
      (child.States[choose('ClassifyTaskError', { error: { Error: error, Cause: '' } })] as State).Result;
    expect(classOf('Batch.ClientException')).toBe('SUBMIT_ERROR');
    expect(classOf('Batch.TooManyRequestsException')).toBe('SUBMIT_ERROR');
    expect(classOf('States.TaskFailed')).toBe('UNKNOWN');
    expect(classOf('States.Timeout')).toBe('UNKNOWN');
  });

  it('writes the derived class, not a constant, in both failure writers', () => {
    for (const name of ['RecordJobFailure', 'RecordTaskError']) {
      expect(child.States[name]?.Parameters.ExpressionAttributeValues[':failureClass']).toEqual({
        'S.$': '$.failureClass',
      });
    }
  });
});

describe('retry rounds', () => {
  it('goes from each FanOut Map to Retry while rounds remain, and back through ChooseFanOut when Retry claimed items', () => {
    for (const [mapName] of FAN_OUT_VARIANTS) expect(definition.States[mapName]?.Next, mapName).toBe('RetryRoundLeft');
    const roundLeft = definition.States.RetryRoundLeft as State;
    expect(roundLeft).toEqual({
      Type: 'Choice',
      Comment: expect.any(String),
      Choices: [
        { Variable: '$.current.round', NumericLessThanEqualsPath: '$.prepared.retry.rounds', Next: 'Retry' },
        { Variable: '$.prepared.aggregate', IsPresent: true, Next: 'ChooseAggregate' },
      ],
      Default: 'Summarize',
    });
    const retry = definition.States.Retry as State;
    expect(retry).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: values.RetryFunctionArn,
        Payload: { 'runId.$': '$.prepared.runId', 'round.$': '$.current.round' },
      },
      ResultPath: '$.current',
      Next: 'RetryClaimedItems',
    });
    expect(definition.States.RetryClaimedItems).toEqual({
      Type: 'Choice',
      Choices: [
        // One Choice transition per round, not per item: the run's scheduling never changes between rounds.
        { Variable: '$.current.itemCount', NumericGreaterThan: 0, Next: 'ChooseFanOut' },
        { Variable: '$.prepared.aggregate', IsPresent: true, Next: 'ChooseAggregate' },
      ],
      Default: 'Summarize',
    });
  });

  it('ends the rounds when a round exceeds its failure threshold: the Map Catch goes to Summarize, not to Retry', () => {
    for (const [mapName] of FAN_OUT_VARIANTS)
      for (const catcher of (definition.States[mapName] as State).Catch as State[])
        expect(catcher.Next, mapName).toBe('Summarize');
  });

  it('runs retry.rounds retry rounds after the first pass, and no more', () => {
    const rule = (definition.States.RetryRoundLeft as State).Choices[0];
    const retryAfter = (round: number, rounds: number) =>
      evaluateChoiceRule(rule, { current: { round }, prepared: { retry: { rounds } } } as never, {} as never);
    expect([1, 2, 3].map((round) => retryAfter(round, 2))).toEqual([true, true, false]);
    expect(retryAfter(1, 0)).toBe(false);
  });
});

describe('substituteDefinition', () => {
  it('lists every placeholder the definition holds', () => {
    const found = new Set([...rawText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]));
    expect(found).toEqual(new Set(MAP_PLACEHOLDERS));
  });

  it('leaves no placeholder once every value is given', () => {
    expect(substituteDefinition(rawText, values)).not.toMatch(/\$\{/);
  });

  it('names every placeholder left without a value', () => {
    const { DataBucket: _bucket, LedgerTableName: _table, ...partial } = values;
    expect(() => substituteDefinition(rawText, partial)).toThrow(DefinitionSubstitutionError);
    expect(() => substituteDefinition(rawText, partial)).toThrow(
      'definition placeholders without a value: ${LedgerTableName}, ${DataBucket}',
    );
  });

  it('escapes values for the JSON string they land in', () => {
    expect(JSON.parse(substituteDefinition('{"a":"${X}"}', { X: 'quote " and \\ backslash' }))).toEqual({
      a: 'quote " and \\ backslash',
    });
  });
});

describe('aggregation job', () => {
  it("runs only after the last round, as one .sync job on the run's queue and pinned job definition", () => {
    const aggregate = definition.States.Aggregate as State;
    expect(aggregate).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::batch:submitJob.sync',
      Parameters: {
        'JobName.$': '$.prepared.aggregate.jobName',
        'JobQueue.$': '$.prepared.jobQueue',
        'JobDefinition.$': '$.prepared.jobDefinition',
        ContainerOverrides: {
          'Command.$': '$.prepared.aggregate.command',
          Environment: expect.arrayContaining([{ Name: 'FANOUT_KWARGS', 'Value.$': '$.prepared.aggregate.kwargs' }]),
        },
      },
      ResultPath: '$.aggregate',
      Next: 'Summarize',
    });
    expect(aggregate.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.aggregateError', Next: 'Summarize' },
    ]);
    // Only the two ends of the round loop lead to it, through the Choice of its share variant; a
    // failed fan-out goes straight to Summarize.
    const into = (target: string) =>
      Object.entries(definition.States)
        .filter(([, state]) => successors(state).includes(target))
        .map(([name]) => name);
    expect(into('ChooseAggregate')).toEqual(['RetryRoundLeft', 'RetryClaimedItems']);
    expect(into('Aggregate')).toEqual(['ChooseAggregate']);
  });

  it('fails the run with Fanout.AggregateFailed and the cause Summarize recorded', () => {
    expect(definition.States.AggregateFailed).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      Error: 'Fanout.AggregateFailed',
      CausePath: '$.outcome.summary.error.cause',
    });
  });
});
