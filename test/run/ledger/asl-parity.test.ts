import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  attributeNamesOf,
  constantValuesOf,
  ITEM_TRANSITIONS,
  type ItemTransition,
  MAP_STATE_TRANSITIONS,
  updateExpressionOf,
  valuePlaceholdersOf,
} from '../../../run';

/**
 * The map state machine writes item outcomes with the optimized DynamoDB integration, so its
 * expressions are JSON text that cannot call the run domain. These tests hold both to one
 * definition: change a write on either side alone and they fail.
 */

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: Array<{ States: Record<string, AslState> }>;
}

/** Every state of a definition, nested Map and Parallel states included, by name. */
function allStates(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...allStates(state.ItemProcessor?.States ?? state.Iterator?.States ?? {}),
    ...(state.Branches ?? []).flatMap((branch) => allStates(branch.States)),
  ]);
}

const definitionOf = (file: string) =>
  JSON.parse(readFileSync(new URL(`../../../statemachine/${file}`, import.meta.url), 'utf8')) as {
    States: Record<string, AslState>;
  };

/** States that write the ledger through the optimized DynamoDB integration. */
const ledgerWrites = (file: string) =>
  allStates(definitionOf(file).States).filter(
    ([, state]) => state.Type === 'Task' && state.Resource?.startsWith('arn:aws:states:::dynamodb:'),
  );

/** Splits at commas outside parentheses: `SET #a = list_append(x, y), #b = :b`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter((part) => part.length > 0);
}

/** An UpdateExpression as what it sets and removes, so clause order is not a difference. */
function parseUpdate(expression: string): { set: Record<string, string>; remove: string[] } {
  const match = /^SET (.*?)(?: REMOVE (.*))?$/.exec(expression.trim());
  if (!match) throw new TypeError(`not a SET [REMOVE] expression: ${expression}`);
  const set = Object.fromEntries(
    splitTopLevel(match[1] ?? '').map((assignment) => {
      const [name, ...value] = assignment.split('=');
      return [(name ?? '').trim(), value.join('=').trim()];
    }),
  );
  return { set, remove: splitTopLevel(match[2] ?? '').sort() };
}

/** The ASL spells a constant as a typed DynamoDB value: `{"S": "SUCCEEDED"}`. */
const typedConstant = (value: unknown) => (Array.isArray(value) ? { L: [] } : { S: value });

/**
 * The name of a ledger write without the suffix of the Distributed Map variant it lives in
 * (FanOutInShare's RecordOutcomeInShare is a RecordOutcome): state names are unique across a
 * whole state machine, and test/statemachine/submit-job-variants.test.ts holds the variants alike.
 */
const baseName = (name: string) => name.replace(/InShare(Prioritized)?$/, '');

describe('the map state machine writes exactly the item transitions the run domain defines', () => {
  const writes = ledgerWrites('map.asl.json');

  it('maps every ledger write of map.asl.json to a transition, and every mapped state exists', () => {
    expect([...new Set(writes.map(([name]) => baseName(name)))].sort()).toEqual(
      Object.keys(MAP_STATE_TRANSITIONS).sort(),
    );
  });

  it.each(
    writes
      .map(([name]) => [name, baseName(name)] as const)
      .filter(([, base]) => base in MAP_STATE_TRANSITIONS)
      .map(([name, base]) => [name, MAP_STATE_TRANSITIONS[base] as ItemTransition] as const),
  )('%s writes its transition', (stateName, transition) => {
    const state = writes.find(([name]) => name === stateName)?.[1];
    expect(state?.Resource).toBe('arn:aws:states:::dynamodb:updateItem');
    const parameters = state?.Parameters as Record<string, unknown>;
    expect(parseUpdate(parameters.UpdateExpression as string)).toEqual(parseUpdate(updateExpressionOf(transition)));
    expect(parameters.ConditionExpression).toBe(transition.condition);
    expect(parameters.ExpressionAttributeNames).toEqual(attributeNamesOf(transition));
    const values = parameters.ExpressionAttributeValues as Record<string, unknown>;
    // Keys ending in `.$` take their value from a path: the placeholder is the key without it.
    expect(
      Object.keys(values)
        .map((key) => key.replace(/\.\$$/, ''))
        .sort(),
    ).toEqual(valuePlaceholdersOf(transition).sort());
    for (const [placeholder, value] of Object.entries(constantValuesOf(transition))) {
      expect(values[placeholder], placeholder).toEqual(typedConstant(value));
    }
  });

  it('leaves the array state machine without ledger writes of its own (Collect writes them)', () => {
    expect(ledgerWrites('array.asl.json')).toEqual([]);
  });
});

describe('the parity check itself', () => {
  const recordOutcome = () =>
    ledgerWrites('map.asl.json').find(([name]) => name === 'RecordOutcome')?.[1].Parameters as Record<string, unknown>;
  const drifted = (transition: ItemTransition, expression: string) =>
    JSON.stringify(parseUpdate(expression)) !== JSON.stringify(parseUpdate(updateExpressionOf(transition)));

  it('sees a write that sets one attribute less than its transition', () => {
    const expression = (recordOutcome().UpdateExpression as string).replace(', #logStream = :logStream', '');
    expect(drifted(ITEM_TRANSITIONS.recordSuccess, expression)).toBe(true);
  });

  it('sees a transition that removes one attribute more than the ASL', () => {
    const transition = {
      ...ITEM_TRANSITIONS.recordSuccess,
      remove: [...ITEM_TRANSITIONS.recordSuccess.remove, 'jobId'],
    };
    expect(drifted(transition, recordOutcome().UpdateExpression as string)).toBe(true);
  });

  it('reads an expression whose SET values hold commas', () => {
    expect(parseUpdate('SET #a = list_append(if_not_exists(#a, :none), :r), #b = :b REMOVE #c')).toEqual({
      set: { '#a': 'list_append(if_not_exists(#a, :none), :r)', '#b': ':b' },
      remove: ['#c'],
    });
  });
});
