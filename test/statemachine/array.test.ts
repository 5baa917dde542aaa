import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { ARRAY_PLACEHOLDERS, arrayDefinitionPath, arrayPathUsage, loadArrayDefinition } from '../../statemachine';
import { choiceTarget, type Machine, type State, successors } from './asl';

const values = {
  PrepareFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-prepare',
  CollectFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-collect',
  NotifyFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-notify',
  RetryFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fanout-retry',
  LedgerTableName: 'fanout-ledger',
  DataBucket: 'fanout-data',
};
const definition = JSON.parse(loadArrayDefinition(values)) as Machine & Record<string, unknown>;
const submitArrays = definition.States.SubmitArrays as State;
const iteration = submitArrays.ItemProcessor as Machine;
const startArrays = definition.States.StartArrays as State;

/** The states a run enters when every job succeeds, following Next (and a Choice's matching rule). */
function happyPath(machine: Machine, choose: (state: State) => string): string[] {
  const path: string[] = [];
  let name: string | undefined = machine.StartAt;
  while (name !== undefined) {
    path.push(name);
    const state = machine.States[name] as State;
    name = state.Type === 'Choice' ? choose(state) : state.End || state.Type === 'Succeed' ? undefined : state.Next;
  }
  return path;
}

describe('array.asl.json', () => {
  it('is valid Amazon States Language', () => {
    const result = validator(structuredClone(definition) as never, { checkArn: false, checkPaths: true });
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses only the placeholders the stack substitutes', () => {
    const used = new Set(
      [...readFileSync(arrayDefinitionPath, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1]),
    );
    for (const name of used) expect(ARRAY_PLACEHOLDERS).toContain(name);
  });

  it('tells Prepare it prepares an array run, with the execution input as on the map path', () => {
    expect(definition.States.Prepare?.Parameters.Payload).toEqual({
      'input.$': '$',
      'executionName.$': '$$.Execution.Name',
      'executionArn.$': '$$.Execution.Id',
      path: 'array',
    });
  });

  it('submits one .sync job per entry of the prepared arrays, as an array job only above one item', () => {
    expect(submitArrays.ItemsPath).toBe('$.prepared.arrays');
    expect(submitArrays.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'INLINE' });
    const chooseJob = iteration.States.ChooseSubmitJob as State;
    expect(iteration.StartAt).toBe('ChooseSubmitJob');
    expect(choiceTarget(chooseJob, { array: { size: 2 }, scheduling: {} })).toBe('SubmitArrayJob');
    expect(choiceTarget(chooseJob, { array: { size: 10_000 }, scheduling: {} })).toBe('SubmitArrayJob');
    expect(choiceTarget(chooseJob, { array: { size: 1 }, scheduling: {} })).toBe('SubmitSingleJob');
    const arrayJob = iteration.States.SubmitArrayJob as State;
    const singleJob = iteration.States.SubmitSingleJob as State;
    expect(arrayJob.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
    expect(singleJob.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
    expect(arrayJob.Parameters.ArrayProperties).toEqual({ 'Size.$': '$.array.size' });
    // Batch refuses arrays of size 1 (docs: batch/latest/userguide/array_jobs.html): the plain job has none.
    expect(singleJob.Parameters.ArrayProperties).toBeUndefined();
    const { ArrayProperties: _ignored, ...arrayWithoutSize } = arrayJob.Parameters;
    expect(singleJob.Parameters).toEqual(arrayWithoutSize);
    expect(arrayJob.Parameters.ContainerOverrides.Environment.map((entry: State) => entry.Name)).toEqual([
      'FANOUT_RUN_ID',
      'FANOUT_ENVIRONMENT',
      'FANOUT_MANIFEST',
      'FANOUT_MANIFEST_INDEX',
      'FANOUT_ARRAY_OFFSET',
    ]);
  });

  it('catches every failure of a job inside its iteration, so collection always runs', () => {
    const jobs = Object.keys(iteration.States).filter((name) => iteration.States[name]?.Type === 'Task');
    expect(jobs).toHaveLength(6);
    for (const name of jobs) {
      expect(iteration.States[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.array.error', Next: 'SubmissionFailed' },
      ]);
    }
    expect(iteration.States.SubmissionFailed).toMatchObject({ Type: 'Succeed', OutputPath: '$.array' });
    expect(submitArrays.Next).toBe('Collect');
    expect(definition.States.Collect?.Parameters).toEqual({
      FunctionName: values.CollectFunctionArn,
      Payload: { 'prepared.$': '$.prepared', 'arrays.$': '$.arrays', 'aggregation.$': '$.aggregation' },
    });
  });

  it('enters exactly the states the cost formula counts when every job succeeds', () => {
    const top = happyPath(definition, (state) =>
      state.Default === 'RunSucceeded' ? 'RunSucceeded' : (state.Default as string),
    );
    expect(top).toEqual(['Prepare', 'HasAggregate', 'SubmitArrays', 'Collect', 'Notify', 'RunOutcome', 'RunSucceeded']);
    const unshared = { array: { size: 2 }, scheduling: {} };
    const perJob = happyPath(iteration, (state) => choiceTarget(state, unshared));
    expect(perJob).toEqual(['ChooseSubmitJob', 'SubmitArrayJob']);
    const withAggregate = happyPath(definition, (state) =>
      state.Default === 'RunSucceeded'
        ? 'RunSucceeded'
        : state.Default === 'SubmitArrays'
          ? state.Choices[0].Next
          : (state.Default as string),
    );
    expect(withAggregate).toEqual([
      'Prepare',
      'HasAggregate',
      'StartArrays',
      'ChooseAggregate',
      'Aggregate',
      'Collect',
      'Notify',
      'RunOutcome',
      'RunSucceeded',
    ]);
    const perStartedJob = happyPath(startArrays.ItemProcessor as Machine, (state) => choiceTarget(state, unshared));
    expect(perStartedJob).toEqual(['ChooseStartJob', 'StartArrayJob']);
    for (const items of [1, 2, 10_000, 10_001, 100_000]) {
      const jobs = Math.ceil(items / 10_000);
      expect(arrayPathUsage(items).stateTransitions).toBe(top.length + jobs * perJob.length);
      expect(arrayPathUsage(items, true).stateTransitions).toBe(withAggregate.length + jobs * perStartedJob.length);
    }
  });

  it('fails the execution with the summary error when Collect says FAILED', () => {
    expect(definition.States.RunOutcome?.Choices).toEqual([
      { Variable: '$.outcome.summary.status', StringEquals: 'FAILED', Next: 'RunFailed' },
    ]);
    expect(definition.States.RunFailed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.outcome.summary.error.error',
      CausePath: '$.outcome.summary.error.cause',
    });
  });
});

describe('arrayPathUsage', () => {
  it('counts one submission per 10,000 items and two ledger writes per item', () => {
    expect(arrayPathUsage(1)).toEqual({
      stateTransitions: 9,
      submitJobCalls: 1,
      ledgerWrites: 4,
      lambdaInvocations: 3,
    });
    expect(arrayPathUsage(10_000)).toEqual({
      stateTransitions: 9,
      submitJobCalls: 1,
      ledgerWrites: 20_002,
      lambdaInvocations: 3,
    });
    expect(arrayPathUsage(10_001)).toEqual({
      stateTransitions: 11,
      submitJobCalls: 2,
      ledgerWrites: 20_004,
      lambdaInvocations: 3,
    });
    expect(arrayPathUsage(100_000)).toEqual({
      stateTransitions: 27,
      submitJobCalls: 10,
      ledgerWrites: 200_002,
      lambdaInvocations: 3,
    });
  });

  it('adds the aggregation job: one SubmitJob call and two transitions (the Choice of its share variant, the job)', () => {
    expect(arrayPathUsage(10_001, true)).toEqual({
      stateTransitions: 13,
      submitJobCalls: 3,
      ledgerWrites: 20_004,
      lambdaInvocations: 3,
    });
  });

  it('refuses an item count that is not a positive integer', () => {
    expect(() => arrayPathUsage(0)).toThrow('itemCount must be a positive integer; received 0');
    expect(() => arrayPathUsage(2.5)).toThrow('itemCount must be a positive integer; received 2.5');
  });
});

describe('array.asl.json with an aggregation job', () => {
  it('submits the arrays without waiting only when the input has an aggregation job', () => {
    expect(definition.States.Prepare?.Next).toBe('HasAggregate');
    expect(definition.States.HasAggregate).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.prepared.aggregate', IsPresent: true, Next: 'StartArrays' }],
      Default: 'SubmitArrays',
    });
    const started = startArrays.ItemProcessor as Machine;
    expect(startArrays.ItemsPath).toBe('$.prepared.arrays');
    expect(startArrays.ItemSelector).toEqual(submitArrays.ItemSelector);
    const variants = ['', 'InShare', 'InSharePrioritized'];
    expect(Object.values(started.States).filter((state) => state.Type === 'Task')).toHaveLength(6);
    for (const [name, waited] of variants.flatMap((suffix): [string, string][] => [
      [`StartArrayJob${suffix}`, `SubmitArrayJob${suffix}`],
      [`StartSingleJob${suffix}`, `SubmitSingleJob${suffix}`],
    ])) {
      const job = started.States[name] as State;
      expect(job.Resource).toBe('arn:aws:states:::batch:submitJob');
      expect(job.Parameters).toEqual((iteration.States[waited] as State).Parameters);
      // Batch's dependsOn takes {jobId} entries; the aggregation job reads them from here.
      expect(job.ResultSelector).toEqual({
        'jobId.$': '$.JobId',
        status: 'SUBMITTED',
        dependency: { 'JobId.$': '$.JobId' },
      });
      expect(job.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.array.error', Next: 'StartFailed' }]);
    }
    expect(startArrays.ResultPath).toBe('$.arrays');
    expect(startArrays.Next).toBe('ChooseAggregate');
    expect((started.States.ChooseStartJob as State).Choices).toEqual(
      (iteration.States.ChooseSubmitJob as State).Choices.map((rule: State) => ({
        ...rule,
        Next: rule.Next.replace(/^Submit/, 'Start'),
      })),
    );
  });

  it("gives every array job, single job and the aggregation job the run's shareIdentifier and schedulingPriority", () => {
    // docs: batch/latest/APIReference/API_SubmitJob.html; array children inherit the parent's share.
    expect(submitArrays.ItemSelector).toMatchObject({ 'scheduling.$': '$.prepared.scheduling' });
    const started = startArrays.ItemProcessor as Machine;
    const scheduling = { shareIdentifier: 'teamA', schedulingPriority: 7 };
    for (const size of [1, 2]) {
      for (const [scope, choice] of [
        [iteration, 'ChooseSubmitJob'],
        [started, 'ChooseStartJob'],
      ] as const) {
        const job = scope.States[choiceTarget(scope.States[choice] as State, { array: { size }, scheduling })] as State;
        expect(job.Parameters).toMatchObject({
          'ShareIdentifier.$': '$.scheduling.shareIdentifier',
          'SchedulingPriorityOverride.$': '$.scheduling.schedulingPriority',
        });
      }
    }
    const aggregate = choiceTarget(definition.States.ChooseAggregate as State, { prepared: { scheduling } });
    expect(definition.States[aggregate]?.Parameters).toMatchObject({
      'ShareIdentifier.$': '$.prepared.scheduling.shareIdentifier',
      'SchedulingPriorityOverride.$': '$.prepared.scheduling.schedulingPriority',
    });
    const into = Object.entries(definition.States).filter(([, state]) => successors(state).includes('Aggregate'));
    expect(into.map(([name]) => name)).toEqual(['ChooseAggregate']);
  });

  it('runs the aggregation job with a native dependsOn on every submitted job, then always collects', () => {
    const aggregate = definition.States.Aggregate as State;
    expect(aggregate).toMatchObject({
      Resource: 'arn:aws:states:::batch:submitJob.sync',
      Parameters: {
        'JobName.$': '$.prepared.aggregate.jobName',
        'DependsOn.$': '$.arrays[*].job.dependency',
        ContainerOverrides: { 'Command.$': '$.prepared.aggregate.command' },
      },
      ResultPath: '$.aggregation.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.aggregation.error', Next: 'Collect' }],
      Next: 'Collect',
    });
    // Prepare starts $.aggregation empty, so Collect's payload path exists on both branches.
    expect(definition.States.Prepare?.ResultSelector).toEqual({ 'prepared.$': '$.Payload', aggregation: {} });
  });

  it('retries Collect while children are still running, for hours and without a tight loop', () => {
    const retry = ((definition.States.Collect?.Retry ?? []) as State[]).find((rule) =>
      rule.ErrorEquals.includes('ChildrenStillRunningError'),
    );
    expect(retry).toEqual({
      ErrorEquals: ['ChildrenStillRunningError'],
      IntervalSeconds: 5,
      BackoffRate: 1.5,
      MaxDelaySeconds: 300,
      MaxAttempts: 100,
    });
  });
});
