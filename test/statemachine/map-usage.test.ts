import { describe, expect, it } from 'vitest';
import type { JobScheduling } from '../../run';
import { loadMapDefinition } from '../../statemachine';
import { mapPathUsage } from '../../statemachine/map-usage';
import { applyTemplate, choiceTarget, type Machine, type State } from './asl';

/**
 * The cost formula of statemachine/map-usage.ts against the definition itself: a happy run is
 * walked state by state, counting one billed transition per state entered and, per Distributed
 * Map item, one for the child's start plus one per state of the child
 * (docs: step-functions/latest/dg/state-map-distributed.html; aws.amazon.com/step-functions/pricing).
 */

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const definition = JSON.parse(
  loadMapDefinition({
    PrepareFunctionArn: arn('prepare'),
    RetryFunctionArn: arn('retry'),
    SummarizeFunctionArn: arn('summarize'),
    NotifyFunctionArn: arn('notify'),
    LedgerTableName: 'fanout-ledger',
    DataBucket: 'fanout-data',
  }),
) as Machine;

const SCHEDULINGS: [string, JobScheduling][] = [
  ['without a share', {}],
  ['in a share', { shareIdentifier: 'teamA' }],
  ['in a share with a priority', { shareIdentifier: 'teamA', schedulingPriority: 7 }],
];

/** The states a child runs for an item whose job succeeds, from its StartAt to its end. */
function happyChildPath(map: State, input: unknown): string[] {
  const processor = map.ItemProcessor as Machine;
  const item = { itemId: '0', jobName: 'run-0', kwargs: { seed: 1 }, idempotent: true };
  const childInput = applyTemplate(map.ItemSelector, input, { Map: { Item: { Index: 0, Value: item } } });
  const path: string[] = [];
  for (let name: string | undefined = processor.StartAt; name !== undefined; ) {
    path.push(name);
    const state = processor.States[name] as State;
    name = state.Type === 'Choice' ? choiceTarget(state, childInput) : state.End ? undefined : state.Next;
  }
  return path;
}

/** Billed transitions of a happy run: every parent state entered, and each child's start and states. */
function walkHappyRun(scheduling: JobScheduling, items: number, rounds: number, aggregate: boolean) {
  const data = {
    prepared: {
      runId: 'run',
      round: 1,
      jobQueue: 'fanout-teams',
      jobDefinition: 'fanout-job:1',
      environment: {},
      jobTimeout: {},
      command: ['true'],
      scheduling,
      retry: { rounds, maxAttempts: 3 },
      ...(aggregate ? { aggregate: { jobName: 'run-aggregate', command: ['reduce'], kwargs: '{}' } } : {}),
    },
    current: { round: 1, itemCount: items },
  };
  let transitions = 0;
  const perItem: number[] = [];
  for (let name: string | undefined = definition.StartAt; name !== undefined; ) {
    const state = definition.States[name] as State;
    transitions += 1;
    if (state.Type === 'Map') {
      const childTransitions = 1 + happyChildPath(state, data).length;
      perItem.push(childTransitions);
      transitions += data.current.itemCount * childTransitions;
    }
    // Retry finds nothing left to run once every item succeeded.
    if (name === 'Retry') data.current = { round: data.current.round + 1, itemCount: 0 };
    if (state.Type === 'Choice') name = choiceTarget(state, data);
    else name = state.End || state.Type === 'Succeed' || state.Type === 'Fail' ? undefined : state.Next;
  }
  return { transitions, perItem };
}

describe('mapPathUsage', () => {
  describe.each(SCHEDULINGS)('for a run %s', (_label, scheduling) => {
    it('keeps every item within the budget of 3 billed transitions: child start, SubmitJob, RecordOutcome', () => {
      const { perItem } = walkHappyRun(scheduling, 1000, 1, false);
      expect(perItem).toEqual([3]);
    });

    it.each([
      [0, false],
      [1, false],
      [0, true],
      [2, true],
    ])('counts the transitions the definition takes, with %i retry rounds and aggregate %s', (rounds, aggregate) => {
      const { transitions } = walkHappyRun(scheduling, 1000, rounds, aggregate);
      expect(transitions).toBe(mapPathUsage(1000, rounds, aggregate).stateTransitions);
    });
  });

  it('gives 30,010 transitions for 10,000 items with one retry round, as its example says', () => {
    expect(mapPathUsage(10_000, 1, false).stateTransitions).toBe(30_010);
  });
});
