import { describe, expect, it } from 'vitest';
import { jobSchedulingOf } from '../../lambdas/shared/input';
import type { JobScheduling, PreparedRun } from '../../run';
import { loadArrayDefinition, loadMapDefinition } from '../../statemachine';
import { allStates, applyTemplate, choiceTarget, type Machine, type ScopedState, type State, successors } from './asl';

/**
 * Every Batch SubmitJob of both state machines is sent in three variants: without the share
 * fields, with ShareIdentifier, and with ShareIdentifier and SchedulingPriorityOverride. Step
 * Functions refuses a null API field ("The value for the field 'ShareIdentifier' must be a
 * STRING") and a JSONPath Parameters template cannot leave a key out, so a Choice picks the
 * variant (docs/map-path.md and docs/array-path.md, "Fair share"). A variant is a SubmitJob Task
 * (the aggregation job, the array path's jobs) or, on the map path, a whole Distributed Map
 * (FanOut, FanOutInShare, FanOutInSharePrioritized) so that the choice is made once per run and
 * not once per item. These tests keep the variants from drifting apart and prove no variant can
 * read an absent or null share field.
 */

const SHARE_FIELDS = ['ShareIdentifier.$', 'SchedulingPriorityOverride.$'] as const;
const VARIANT_SUFFIX = /InShare(Prioritized)?$/;
/** What each variant sends, by the suffix of its name. */
const VARIANT_FIELDS: Record<string, string[]> = {
  '': [],
  InShare: ['ShareIdentifier'],
  InSharePrioritized: ['ShareIdentifier', 'SchedulingPriorityOverride'],
};

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const common = { LedgerTableName: 'fanout-ledger', DataBucket: 'fanout-data', NotifyFunctionArn: arn('notify') };
const machines: [string, Machine][] = [
  [
    'map.asl.json',
    JSON.parse(
      loadMapDefinition({
        ...common,
        PrepareFunctionArn: arn('prepare'),
        RetryFunctionArn: arn('retry'),
        SummarizeFunctionArn: arn('summarize'),
      }),
    ),
  ],
  [
    'array.asl.json',
    JSON.parse(
      loadArrayDefinition({
        ...common,
        PrepareFunctionArn: arn('prepare'),
        CollectFunctionArn: arn('collect'),
        RetryFunctionArn: arn('retry'),
      }),
    ),
  ],
];

/** What Prepare emits for a run without a share, with one, and with one and a priority. */
const SCHEDULINGS: JobScheduling[] = [
  jobSchedulingOf({ shareIdentifier: undefined, schedulingPriority: undefined }),
  jobSchedulingOf({ shareIdentifier: 'teamA', schedulingPriority: undefined }),
  jobSchedulingOf({ shareIdentifier: 'teamA', schedulingPriority: 7 }),
];

const isSubmitJob = (state: State) => /^arn:aws:states:::batch:submitJob(\.sync)?$/.test(state.Resource ?? '');

/** The SubmitJob Tasks a state sends: itself, or those of a Map's item processor. */
function submitJobsWithin(name: string, state: State): ScopedState[] {
  const processor = state.ItemProcessor as Machine | undefined;
  if (processor) return allStates(processor).filter(({ state: inner }) => isSubmitJob(inner));
  return isSubmitJob(state) ? [{ name, state, scope: { StartAt: name, States: { [name]: state } } }] : [];
}

/** The variant suffix of a state name: '', 'InShare' or 'InSharePrioritized'. */
const suffixOf = (name: string) => VARIANT_SUFFIX.exec(name)?.[0] ?? '';

/** A state in its three variants, named `<base>`, `<base>InShare`, `<base>InSharePrioritized`. */
interface VariantGroup {
  base: string;
  scope: Machine;
  members: ScopedState[];
}

/** The variant groups of a machine: every state with a variant suffix whose base shares its scope. */
function variantGroups(machine: Machine): VariantGroup[] {
  const groups = new Map<State, Map<string, ScopedState[]>>();
  for (const scoped of allStates(machine)) {
    const base = scoped.name.replace(VARIANT_SUFFIX, '');
    if (!(base in scoped.scope.States) || (base === scoped.name && !(`${base}InShare` in scoped.scope.States)))
      continue;
    const byBase = groups.get(scoped.scope) ?? new Map<string, ScopedState[]>();
    byBase.set(base, [...(byBase.get(base) ?? []), scoped]);
    groups.set(scoped.scope, byBase);
  }
  return [...groups.entries()].flatMap(([scope, byBase]) =>
    [...byBase.entries()].map(([base, members]) => ({ base, scope: scope as Machine, members })),
  );
}

/** Renames a processor's states without their variant suffix, in its keys and in every transition. */
function withoutSuffixes(processor: Machine, suffix: string): Machine {
  const strip = (name: string) => (name.endsWith(suffix) ? name.slice(0, name.length - suffix.length) : name);
  const states: Record<string, State> = {};
  for (const [name, state] of Object.entries(processor.States)) {
    const renamed = structuredClone(state);
    if (renamed.Next) renamed.Next = strip(renamed.Next);
    if (renamed.Default) renamed.Default = strip(renamed.Default);
    for (const rule of renamed.Choices ?? []) rule.Next = strip(rule.Next);
    for (const catcher of renamed.Catch ?? []) catcher.Next = strip(catcher.Next);
    states[strip(name)] = renamed;
  }
  return { ...processor, StartAt: strip(processor.StartAt), States: states };
}

/**
 * The state without what may differ between variants: its own comment and Map label, the share
 * fields of its SubmitJobs, and the suffix of its item processor's state names (state names are
 * unique across a whole state machine, nested ones included).
 */
function withoutVariance(name: string, state: State): State {
  const { Comment: _comment, Label: _label, ...rest } = structuredClone(state);
  const plain = rest as State;
  if (plain.ItemProcessor) plain.ItemProcessor = withoutSuffixes(plain.ItemProcessor, suffixOf(name));
  const submits = plain.ItemProcessor ? Object.values((plain.ItemProcessor as Machine).States) : [plain];
  for (const submit of submits.filter(isSubmitJob)) for (const field of SHARE_FIELDS) delete submit.Parameters[field];
  return plain;
}

/** The share fields a SubmitJob sends, by their SubmitJob names. */
function sentShareFields(state: State): string[] {
  return SHARE_FIELDS.filter((field) => field in state.Parameters).map((field) => field.slice(0, -2));
}

/** The share fields Prepare's scheduling holds, by the SubmitJob names they fill. */
function presentShareFields(scheduling: JobScheduling): string[] {
  return [
    ...(scheduling.shareIdentifier !== undefined ? ['ShareIdentifier'] : []),
    ...(scheduling.schedulingPriority !== undefined ? ['SchedulingPriorityOverride'] : []),
  ];
}

/** A PreparedRun of either path, with the given scheduling. */
function preparedRun(path: 'map' | 'array', scheduling: JobScheduling): PreparedRun {
  return {
    runId: 'sweep-1',
    path,
    round: 1,
    itemCount: 3,
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout:sweep-1',
    createdAt: '2026-01-02T03:04:05.000Z',
    manifest: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.jsonl' },
    resultPrefix: 'runs/sweep-1/results',
    jobQueue: 'fanout-teams',
    jobDefinition: 'fanout-job:1',
    command: ['sim', '{seed}'],
    environment: {},
    jobTimeout: {},
    scheduling,
    maxConcurrency: 1000,
    toleratedFailurePercentage: 0,
    toleratedFailureCount: 0,
    retry: { rounds: 1, maxAttempts: 3 },
    idempotent: true,
    aggregate: { jobName: 'sweep-1-aggregate', command: ['reduce'], kwargs: '{}' },
    ...(path === 'array'
      ? {
          index: { bucket: 'fanout-data', key: 'runs/sweep-1/manifest.index' },
          arrays: [{ jobName: 'sweep-1-array-0', start: 0, size: 3 }],
        }
      : {}),
  };
}

const pathOf = (machine: Machine) => (machine.States.Prepare?.Next === 'HasAggregate' ? 'array' : 'map');

/** The Map item a child gets: a manifest line on the map path, an array job on the array path. */
function itemOf(path: 'map' | 'array', arraySize: number): unknown {
  return path === 'map'
    ? { itemId: '0', jobName: 'sweep-1-0', kwargs: { seed: 1 }, idempotent: true }
    : { jobName: 'sweep-1-array-0', start: 0, size: arraySize };
}

/** The input a Map's item processor gets: its ItemSelector applied to the Map's input. */
const childInputOf = (map: State, input: unknown, item: unknown) =>
  applyTemplate(map.ItemSelector, input, { Map: { Item: { Index: 0, Value: item } } });

/**
 * The input a state of `scope` gets in a run with this scheduling: the top level's state as Prepare
 * leaves it, or for a Map's item processor, the Map's ItemSelector applied to it.
 */
function scopeInput(machine: Machine, scope: Machine, scheduling: JobScheduling, arraySize: number): unknown {
  const path = pathOf(machine);
  const prepared = preparedRun(path, scheduling);
  const top = {
    prepared,
    current: { manifest: prepared.manifest, round: 1, itemCount: 3 },
    arrays: [{ jobId: 'job-0', job: { dependency: { JobId: 'job-0' } } }],
    aggregation: {},
  };
  if (scope === machine) return top;
  const map = Object.values(machine.States).find((state) => state.ItemProcessor === scope) as State;
  return childInputOf(map, top, itemOf(path, arraySize));
}

/** The SubmitJob requests a chosen variant sends, each with the input its parameters read. */
function requestsOf(machine: Machine, variant: ScopedState, input: unknown, arraySize: number) {
  const childInput = variant.state.ItemProcessor
    ? childInputOf(variant.state, input, itemOf(pathOf(machine), arraySize))
    : input;
  return submitJobsWithin(variant.name, variant.state).map((submit) => ({ ...submit, input: childInput }));
}

/** Fails when any value of the rendered parameters is null: Step Functions would refuse it. */
function expectNoNull(value: unknown, where: string): void {
  expect(value, where).not.toBeNull();
  if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) expectNoNull(member, `${where}.${key}`);
  }
}

/** Every SubmitJob lies in a variant group, itself or through its Map; each group has three members alike. */
function expectVariantsAlike(machine: Machine): void {
  const groups = variantGroups(machine);
  const members = groups.flatMap((group) => group.members);
  const covered = new Set(members.flatMap(({ name, state }) => submitJobsWithin(name, state).map((s) => s.state)));
  for (const { name, state } of allStates(machine).filter(({ state }) => isSubmitJob(state)))
    expect(covered.has(state), `${name} is sent in three variants`).toBe(true);
  for (const { base, members } of groups) {
    expect(members.map(({ name }) => name).sort(), base).toEqual([base, `${base}InShare`, `${base}InSharePrioritized`]);
    const plain = members.find(({ name }) => name === base) as ScopedState;
    for (const { name, state } of members) {
      const submits = submitJobsWithin(name, state);
      expect(submits.length, name).toBeGreaterThan(0);
      for (const submit of submits) {
        expect(sentShareFields(submit.state), submit.name).toEqual(VARIANT_FIELDS[suffixOf(name)]);
        // Both fields come from the one scheduling object Prepare emits.
        for (const field of SHARE_FIELDS.filter((f) => f in submit.state.Parameters))
          expect(submit.state.Parameters[field], submit.name).toMatch(/^\$(\.prepared)?\.scheduling\.[a-zA-Z]+$/);
        if ('ShareIdentifier.$' in submit.state.Parameters)
          expect(submit.state.Parameters['ShareIdentifier.$'], submit.name).toMatch(/\.shareIdentifier$/);
        if ('SchedulingPriorityOverride.$' in submit.state.Parameters)
          expect(submit.state.Parameters['SchedulingPriorityOverride.$'], submit.name).toMatch(/\.schedulingPriority$/);
      }
      // Same request otherwise, same Retry, Catch, Next or End, ResultSelector, ResultPath, OutputPath;
      // for a Map the same reader, selector, thresholds, writer, and item processor state by state.
      expect(withoutVariance(name, state), name).toEqual(withoutVariance(plain.name, plain.state));
    }
  }
}

/** No variant is a start state: each is entered only from a Choice. */
function expectVariantsEnteredByChoice(machine: Machine): void {
  for (const { scope, members } of variantGroups(machine)) {
    for (const { name } of members) {
      expect(scope.StartAt, name).not.toBe(name);
      const from = Object.entries(scope.States).filter(([, state]) => successors(state).includes(name));
      expect(from.length, name).toBeGreaterThan(0);
      for (const [source, state] of from) expect(state.Type, `${source} -> ${name}`).toBe('Choice');
    }
  }
}

/** For what Prepare emits, the Choice picks the variant that sends exactly the run's share fields, none null. */
function expectChosenVariantsSendPresentFields(machine: Machine): void {
  for (const { base, scope, members } of variantGroups(machine)) {
    const byName = new Map(members.map((member) => [member.name, member]));
    const choices = Object.values(scope.States).filter(
      (state) => state.Type === 'Choice' && successors(state).some((next) => byName.has(next)),
    );
    const reached = new Set<string>();
    for (const choice of choices) {
      for (const scheduling of SCHEDULINGS) {
        for (const arraySize of [1, 2]) {
          const input = scopeInput(machine, scope, scheduling, arraySize);
          const variant = byName.get(choiceTarget(choice, input));
          if (!variant) continue;
          reached.add(variant.name);
          for (const request of requestsOf(machine, variant, input, arraySize)) {
            const where = `${request.name} for ${JSON.stringify(scheduling)}`;
            expect(sentShareFields(request.state), where).toEqual(presentShareFields(scheduling));
            // Every path of the request resolves (applyTemplate fails on one that selects nothing)...
            const sent = applyTemplate(request.state.Parameters, request.input, { Execution: { Id: 'arn' } });
            // ...and nothing it resolves to is null.
            expectNoNull(sent, where);
          }
        }
      }
    }
    expect([...reached].sort(), base).toEqual([...byName.keys()].sort());
  }
}

describe.each(machines)('%s', (_file, machine) => {
  it('sends every SubmitJob in three variants that differ only in the share fields', () => {
    expect(variantGroups(machine).length).toBeGreaterThan(0);
    expectVariantsAlike(machine);
  });

  it('enters a variant only from a Choice', () => {
    expectVariantsEnteredByChoice(machine);
  });

  it("picks, for what Prepare emits, the variant that sends exactly the run's share fields, none of them null", () => {
    expectChosenVariantsSendPresentFields(machine);
  });
});

describe('map.asl.json, its Distributed Map variants broken one at a time', () => {
  const map = (machines[0] as [string, Machine])[1];
  const broken = (change: (states: Record<string, State>) => void): Machine => {
    const copy = structuredClone(map);
    change(copy.States);
    return copy;
  };
  const childState = (states: Record<string, State>, mapName: string, name: string) =>
    (states[mapName] as State).ItemProcessor.States[name] as State;

  it('chooses the Distributed Map per run, with no Choice before any SubmitJob inside the children', () => {
    for (const mapName of ['FanOut', 'FanOutInShare', 'FanOutInSharePrioritized']) {
      const processor = (map.States[mapName] as State).ItemProcessor as Machine;
      expect(processor.States[processor.StartAt]?.Resource, mapName).toBe('arn:aws:states:::batch:submitJob.sync');
    }
  });

  it('fails when a variant sends a share field it should not', () => {
    const extraField = broken((states) => {
      childState(states, 'FanOutInShare', 'SubmitJobInShare').Parameters['SchedulingPriorityOverride.$'] =
        '$.scheduling.schedulingPriority';
    });
    expect(() => expectVariantsAlike(extraField)).toThrow(/SubmitJobInShare/);
    expect(() => expectChosenVariantsSendPresentFields(extraField)).toThrow(/SubmitJobInShare/);
  });

  it("fails when one Map's children differ from the others' in anything but the share fields", () => {
    const otherCondition = broken((states) => {
      childState(states, 'FanOutInSharePrioritized', 'RecordOutcomeInSharePrioritized').Parameters.ConditionExpression =
        'attribute_exists(#itemId)';
    });
    expect(() => expectVariantsAlike(otherCondition)).toThrow(/FanOutInSharePrioritized/);
    const otherThreshold = broken((states) => {
      (states.FanOutInShare as State).ToleratedFailurePercentagePath = '$.prepared.toleratedFailurePercentage';
    });
    expect(() => expectVariantsAlike(otherThreshold)).toThrow(/FanOutInShare/);
  });

  it('fails when the Choice sends a run to a variant reading a field its scheduling lacks', () => {
    const loose = broken((states) => {
      (states.ChooseFanOut as State).Choices = [
        { Variable: '$.prepared.scheduling.shareIdentifier', IsPresent: true, Next: 'FanOutInSharePrioritized' },
        { Variable: '$.prepared.scheduling.schedulingPriority', IsPresent: true, Next: 'FanOutInShare' },
      ];
    });
    expect(() => expectChosenVariantsSendPresentFields(loose)).toThrow(/SubmitJobInSharePrioritized/);
  });

  it('fails when a variant is entered other than through the Choice', () => {
    const direct = broken((states) => {
      (states.Prepare as State).Next = 'FanOutInShare';
    });
    expect(() => expectVariantsEnteredByChoice(direct)).toThrow(/Prepare -> FanOutInShare/);
  });
});

describe('what Prepare emits as a run scheduling', () => {
  it('leaves out a field the input does not set, never null', () => {
    expect(SCHEDULINGS).toStrictEqual([
      {},
      { shareIdentifier: 'teamA' },
      { shareIdentifier: 'teamA', schedulingPriority: 7 },
    ]);
  });
});
