import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../../local/engine';
import { InvalidDefinitionError } from '../../../../local/engine/errors';
import type { Json } from '../../../../local/engine/types';
import { evaluationFailedDetails, harness, single } from '../helpers';

// A Map whose items are a JSON object, from https://docs.aws.amazon.com/step-functions/latest/dg/:
// - input-output-itemspath.html: "If the input to the Map state is a JSON object, it runs an
//   iteration for each key-value pair in the object, passing the pair to the iteration as input",
//   and ItemsPath "must evaluate to a JSON array or object";
// - input-output-fields-dist-map.html: Map states iterate over "JSON arrays and objects from
//   previous states".
// Neither page, as far as it could be read, says in what shape a pair reaches its iteration or
// what $$.Map.Item holds for it, so the local engine refuses an object (docs/local-engine.md,
// "Not supported") with a cause naming the state and the field. Values that are neither an array
// nor an object fail as before: States.Runtime in JSONPath, States.QueryEvaluationError in JSONata.

type Mode = 'INLINE' | 'DISTRIBUTED';
const MODES: Mode[] = ['INLINE', 'DISTRIBUTED'];
const PREFIX = "An error occurred while executing the state 'S' (entered at the event id #2). ";
const REFUSAL =
  ": iterating over a JSON object's key-value pairs (input-output-itemspath.html) is not supported by the local engine, which needs a JSON array.";

/** A Map state `S` of Pass iterations in the given mode, with `fields` joined. */
function mapOf(mode: Mode, fields: Record<string, unknown>): object {
  return single({
    Type: 'Map',
    ItemProcessor: {
      ProcessorConfig: mode === 'DISTRIBUTED' ? { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } : { Mode: 'INLINE' },
      StartAt: 'P',
      States: { P: { Type: 'Pass', End: true } },
    },
    ...fields,
  });
}

const jsonata = (definition: object): object => ({ QueryLanguage: 'JSONata', ...definition });

/** The nested configuration input of the input-output-itemspath.html example. */
const SERVERS: Json = {
  environment: 'production',
  servers: {
    web: { server1: { port: 80, status: 'active' }, server2: { port: 8080, status: 'inactive' } },
    database: { primary: { host: 'db1.example.com', port: 5432 } },
  },
};

async function failure(definition: object, input: Json) {
  const h = harness();
  const result = await h.run(definition, input);
  expect(result.status).toBe('FAILED');
  return { h, result };
}

describe.each(MODES)('a JSONPath %s Map over a JSON object (input-output-itemspath.html)', (mode) => {
  it('fails with States.Runtime, naming the state, the ItemsPath and the missing support', async () => {
    const { result } = await failure(mapOf(mode, { ItemsPath: '$.servers' }), SERVERS);
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toBe(`${PREFIX}The ItemsPath '$.servers' of state 'S' selects a JSON object${REFUSAL}`);
  });

  it('names the default ItemsPath $ when the whole input is an object', async () => {
    const { result } = await failure(mapOf(mode, {}), { web: 1, database: 2 });
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toBe(`${PREFIX}The ItemsPath '$' of state 'S' selects a JSON object${REFUSAL}`);
  });

  it('keeps failing a value that is neither an array nor an object as before', async () => {
    const { result } = await failure(mapOf(mode, { ItemsPath: '$.environment' }), SERVERS);
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toBe(
      `${PREFIX}The ItemsPath '$.environment' of state 'S' must resolve to a JSON array (received string)`,
    );
  });

  it('starts no iteration', async () => {
    const { h, result } = await failure(mapOf(mode, { ItemsPath: '$.servers' }), SERVERS);
    expect(h.historyTypes(result.arn)).not.toContain('MapIterationStarted');
    expect(h.sfn.listMapRuns(result.arn).items).toEqual([]);
  });
});

describe.each(MODES)('a JSONata %s Map over a JSON object (state-map.html, Items)', (mode) => {
  it('fails with States.QueryEvaluationError when Items evaluates to an object, located at Items', async () => {
    const { h, result } = await failure(jsonata(mapOf(mode, { Items: '{% $states.input.servers.web %}' })), SERVERS);
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(
      `${PREFIX}The JSONata expression '$states.input.servers.web' specified for the field 'Items' of state 'S' returned a JSON object${REFUSAL}`,
    );
    expect(evaluationFailedDetails(h.sfn, result.arn)).toEqual({
      evaluationFailedEventDetails: {
        cause: result.cause,
        error: 'States.QueryEvaluationError',
        location: 'Items',
        state: 'S',
      },
    });
  });

  it('fails with States.QueryEvaluationError when there is no Items and the input is an object', async () => {
    const { h, result } = await failure(jsonata(mapOf(mode, {})), { web: 1 });
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(`${PREFIX}Map state 'S' has no field 'Items' and its input is a JSON object${REFUSAL}`);
    expect(evaluationFailedDetails(h.sfn, result.arn)).toEqual({
      evaluationFailedEventDetails: { cause: result.cause, error: 'States.QueryEvaluationError', state: 'S' },
    });
  });

  it('keeps the type error for an Items value that is neither an array nor an object', async () => {
    const { result } = await failure(jsonata(mapOf(mode, { Items: '{% $states.input.environment %}' })), SERVERS);
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(
      `${PREFIX}The JSONata expression '$states.input.environment' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'string' for value: "production"`,
    );
  });

  it('keeps the input error for a Map without Items whose input is neither an array nor an object', async () => {
    const { result } = await failure(jsonata(mapOf(mode, {})), 'production');
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(`${PREFIX}Map state input must be an array but was: "production"`);
  });

  it('can be caught, as States.QueryEvaluationError can (transforming-data.html)', async () => {
    const state = (mapOf(mode, { Items: '{% $states.input.servers %}' }) as { States: { S: object } }).States.S;
    const definition = jsonata({
      StartAt: 'S',
      States: {
        S: { ...state, Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Next: 'Caught' }] },
        Caught: { Type: 'Pass', End: true },
      },
    });
    const result = await harness().run(definition, SERVERS);
    expect(result.status).toBe('SUCCEEDED');
  });
});

// state-map.html: a literal Items is a JSON array; any other literal stays an invalid definition.
describe('a literal JSONata Items object', () => {
  it('is an invalid definition', () => {
    const definition = jsonata(mapOf('INLINE', { Items: { web: 1 } }));
    expect(() => loadDefinition(JSON.stringify(definition), [])).toThrow(InvalidDefinitionError);
  });
});
