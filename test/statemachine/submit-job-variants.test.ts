import { describe, expect, it } from 'vitest';
import { jobSchedulingOf } from '../../lambdas/shared/input';
import type { JobScheduling, PreparedRun } from '../../run';
import { loadArrayDefinition, loadMapDefinition } from '../../statemachine';
import { allStates, applyTemplate, choiceTarget, type Machine, type ScopedState, type State, successors } from './asl';

/**
 * Every Batch SubmitJob of both state machines exists in three variants: without the share
 * fields, with ShareIdentifier, and with ShareIdentifier and SchedulingPriorityOverride. Step
 * Functions refuses a null API field ("The value for the field 'ShareIdentifier' must be a
 * STRING") and a JSONPath Parameters template cannot leave a key out, so a Choice picks the
 * variant (docs/map-path.md and docs/array-path.md, "Fair share"). These tests keep the variants
 * from drifting apart and prove no variant can read an absent or null share field.
 */

const SHARE_FIELDS = ['ShareIdentifier.$', 'SchedulingPriorityOverride.$'] as const;
const VARIANT_SUFFIX = /InShare(Prioritized)?$/;

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

function submitJobStates(machine: Machine): ScopedState[] {
  return allStates(machine).filter(({ state }) => /^arn:aws:states:::batch:submitJob(\.sync)?$/.test(state.Resource));
}

/** The SubmitJob states by the name of their variant without share fields. */
function variantGroups(machine: Machine): Map<string, ScopedState[]> {
  const groups = new Map<string, ScopedState[]>();
  for (const scoped of submitJobStates(machine)) {
    const base = scoped.name.replace(VARIANT_SUFFIX, '');
    groups.set(base, [...(groups.get(base) ?? []), scoped]);
  }
  return groups;
}

/** The state without what may differ between variants: its comment and its share fields. */
function withoutShareFields(state: State): State {
  const { Comment: _comment, Parameters, ...rest } = structuredClone(state);
  for (const field of SHARE_FIELDS) delete Parameters[field];
  return { ...rest, Parameters };
}

/** The share fields a variant sends, by their SubmitJob names. */
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

/**
 * The input a state of `scope` gets in a run with this scheduling: the top level's state as Prepare
 * leaves it, or for a Map's item processor, the Map's ItemSelector applied to it.
 */
function scopeInput(machine: Machine, scope: Machine, scheduling: JobScheduling, arraySize: number): unknown {
  const path = machine.States.FanOut ? 'map' : 'array';
  const prepared = preparedRun(path, scheduling);
  const top = {
    prepared,
    current: { manifest: prepared.manifest, round: 1, itemCount: 3 },
    arrays: [{ jobId: 'job-0', job: { dependency: { JobId: 'job-0' } } }],
    aggregation: {},
  };
  if (scope === machine) return top;
  const map = Object.values(machine.States).find((state) => state.ItemProcessor === scope) as State;
  const item =
    path === 'map'
      ? { itemId: '0', jobName: 'sweep-1-0', kwargs: { seed: 1 }, idempotent: true }
      : { jobName: 'sweep-1-array-0', start: 0, size: arraySize };
  return applyTemplate(map.ItemSelector, top, { Map: { Item: { Index: 0, Value: item } } });
}

/** Fails when any value of the rendered parameters is null: Step Functions would refuse it. */
function expectNoNull(value: unknown, where: string): void {
  expect(value, where).not.toBeNull();
  if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) expectNoNull(member, `${where}.${key}`);
  }
}

describe.each(machines)('%s', (_file, machine) => {
  const groups = variantGroups(machine);

  it('has every SubmitJob in three variants that differ only in the share fields', () => {
    expect(groups.size).toBeGreaterThan(0);
    for (const [base, members] of groups) {
      const byName = new Map(members.map(({ name, state }) => [name, state]));
      expect([...byName.keys()].sort(), base).toEqual([base, `${base}InShare`, `${base}InSharePrioritized`]);
      const plain = byName.get(base) as State;
      const share = byName.get(`${base}InShare`) as State;
      const prioritized = byName.get(`${base}InSharePrioritized`) as State;
      expect(sentShareFields(plain), base).toEqual([]);
      expect(sentShareFields(share), base).toEqual(['ShareIdentifier']);
      expect(sentShareFields(prioritized), base).toEqual(['ShareIdentifier', 'SchedulingPriorityOverride']);
      // Same request otherwise, same Retry, Catch, Next or End, ResultSelector, ResultPath, OutputPath.
      expect(withoutShareFields(share), base).toEqual(withoutShareFields(plain));
      expect(withoutShareFields(prioritized), base).toEqual(withoutShareFields(plain));
      // Both fields come from the one scheduling object Prepare emits.
      const scheduling = String(share.Parameters['ShareIdentifier.$']).replace(/\.shareIdentifier$/, '');
      expect(scheduling, base).toMatch(/^\$(\.prepared)?\.scheduling$/);
      expect(prioritized.Parameters['ShareIdentifier.$']).toBe(`${scheduling}.shareIdentifier`);
      expect(prioritized.Parameters['SchedulingPriorityOverride.$']).toBe(`${scheduling}.schedulingPriority`);
    }
  });

  it('enters a SubmitJob only from a Choice', () => {
    for (const { name, scope } of submitJobStates(machine)) {
      expect(scope.StartAt, name).not.toBe(name);
      const from = Object.entries(scope.States).filter(([, state]) => successors(state).includes(name));
      expect(from.length, name).toBeGreaterThan(0);
      for (const [source, state] of from) expect(state.Type, `${source} -> ${name}`).toBe('Choice');
    }
  });

  it("picks, for what Prepare emits, the variant that sends exactly the run's share fields, none of them null", () => {
    for (const [base, members] of groups) {
      const scope = (members[0] as ScopedState).scope;
      const memberNames = new Set(members.map(({ name }) => name));
      const choices = Object.values(scope.States).filter(
        (state) => state.Type === 'Choice' && successors(state).some((next) => memberNames.has(next)),
      );
      const reached = new Set<string>();
      for (const choice of choices) {
        for (const scheduling of SCHEDULINGS) {
          for (const arraySize of [1, 2]) {
            const input = scopeInput(machine, scope, scheduling, arraySize);
            const target = choiceTarget(choice, input);
            if (!memberNames.has(target)) continue;
            reached.add(target);
            const variant = scope.States[target] as State;
            const where = `${target} for ${JSON.stringify(scheduling)}`;
            expect(sentShareFields(variant), where).toEqual(presentShareFields(scheduling));
            // Every path of the request resolves (applyTemplate fails on one that selects nothing)...
            const request = applyTemplate(variant.Parameters, input, { Execution: { Id: 'arn' } });
            // ...and nothing it resolves to is null.
            expectNoNull(request, where);
          }
        }
      }
      expect([...reached].sort(), base).toEqual([...memberNames].sort());
    }
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
