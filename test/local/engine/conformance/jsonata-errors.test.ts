import { describe, expect, it } from 'vitest';
import { evaluationFailedDetails, harness, scriptedIntegration, single } from '../helpers';

// How JSONata states fail, from https://docs.aws.amazon.com/step-functions/latest/dg/:
// - transforming-data.html, "Handling expression errors": a type error, a type incompatibility, a
//   value out of range and a failure to return a result are all States.QueryEvaluationError, which
//   Task, Map and Parallel states can catch; the causes quote the expression without its `{% %}` and
//   name the field as a path joined by `/`, as Step Functions writes them in execution histories;
// - transforming-data.html, "Writing JSONata expressions in JSON strings": an improperly opened or
//   closed expression is a validation error;
// - transforming-data.html, "Reserved variable : $states": reading $states.result or
//   $states.errorOutput where it is not accessible is caught when the state machine is created.

const TASK = 'arn:aws:states:::test:run';
const jsonata = (definition: object): object => ({ QueryLanguage: 'JSONata', ...definition });
const output = (result: { output?: string }) => JSON.parse(result.output ?? 'null');
const PREFIX = "An error occurred while executing the state 'S' (entered at the event id #2). ";

describe('States.QueryEvaluationError causes (transforming-data.html, "Handling expression errors")', () => {
  const causeOf = async (state: object, input: object = {}) => {
    const h = harness([scriptedIntegration(() => ({ ok: true }))]);
    const result = await h.run(jsonata(single(state)), input as never);
    expect(result.error).toBe('States.QueryEvaluationError');
    return result.cause;
  };

  it('names the expression and the field path when an expression returns nothing', async () => {
    expect(await causeOf({ Type: 'Pass', Output: { a: { b: '{% $states.input.missing %}' } } })).toBe(
      `${PREFIX}The JSONata expression '$states.input.missing' specified for the field 'Output/a/b' returned nothing (undefined).`,
    );
    expect(await causeOf({ Type: 'Task', Resource: TASK, Arguments: { list: [1, '{% $states.input.no %}'] } })).toBe(
      `${PREFIX}The JSONata expression '$states.input.no' specified for the field 'Arguments/list/1' returned nothing (undefined).`,
    );
    expect(await causeOf({ Type: 'Pass', Assign: { result: '{% $states.input.none %}' } })).toBe(
      `${PREFIX}The JSONata expression '$states.input.none' specified for the field 'Assign/result' returned nothing (undefined).`,
    );
  });

  it('gives the JSONata error code and message of a type error', async () => {
    expect(await causeOf({ Type: 'Pass', Output: '{% $states.input.a + 1 %}' }, { a: 'x' })).toBe(
      `${PREFIX}The JSONata expression '$states.input.a + 1' specified for the field 'Output' threw an error during evaluation. T2001: The left side of the "+" operator must evaluate to a number`,
    );
  });

  it('refuses a function as a result', async () => {
    expect(await causeOf({ Type: 'Pass', Output: { f: '{% function($x) { $x } %}' } })).toBe(
      `${PREFIX}The JSONata expression 'function($x) { $x }' specified for the field 'Output/f' returned an unsupported result type.`,
    );
  });

  it('names the expected and the received type when a field gets a value of another type', async () => {
    expect(await causeOf({ Type: 'Task', Resource: TASK, TimeoutSeconds: '{% $states.input.t %}' }, { t: '9' })).toBe(
      `${PREFIX}The JSONata expression '$states.input.t' specified for the field 'TimeoutSeconds' returned an unexpected result type. Expected 'number', but was 'string' for value: "9"`,
    );
    expect(
      await causeOf(
        {
          Type: 'Map',
          Items: '{% $states.input.jobs %}',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
        },
        { jobs: 7 },
      ),
    ).toBe(
      `${PREFIX}The JSONata expression '$states.input.jobs' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 7`,
    );
  });

  it('refuses a Condition that is not a boolean (state-choice.html)', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'S',
        States: { S: { Type: 'Choice', Choices: [{ Condition: '{% 1 %}', Next: 'D' }] }, D: { Type: 'Succeed' } },
      }),
    );
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(
      `${PREFIX}The JSONata expression '1' specified for the field 'Choices/0/Condition' returned an unexpected result type. Expected 'boolean', but was 'number' for value: 1`,
    );
  });

  it('refuses a value out of the field range', async () => {
    expect(await causeOf({ Type: 'Task', Resource: TASK, TimeoutSeconds: '{% -1 %}' })).toBe(
      `${PREFIX}The JSONata expression '-1' specified for the field 'TimeoutSeconds' returned -1, which is not a positive integer.`,
    );
  });

  // apireference/API_EvaluationFailedEventDetails.html: the history names the state, the error,
  // the cause and the location of the field.
  it('records an EvaluationFailed event with the location of the field', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: { a: '{% $states.input.missing %}' } })));
    const types = h.historyTypes(result.arn);
    expect(types.slice(-2)).toEqual(['EvaluationFailed', 'ExecutionFailed']);
    expect(evaluationFailedDetails(h.sfn, result.arn)).toEqual({
      evaluationFailedEventDetails: {
        cause: result.cause,
        error: 'States.QueryEvaluationError',
        location: 'Output/a',
        state: 'S',
      },
    });
  });

  it('fails a Map without Items whose input is neither an array nor an object, with no location', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(single({ Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } } })),
      'a',
    );
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(`${PREFIX}Map state input must be an array but was: "a"`);
    expect(evaluationFailedDetails(h.sfn, result.arn)).toEqual({
      evaluationFailedEventDetails: { cause: result.cause, error: 'States.QueryEvaluationError', state: 'S' },
    });
  });

  it('is caught by a Catcher of a Parallel state', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'S',
        States: {
          S: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $number("x") %}', End: true } } }],
            Catch: [{ ErrorEquals: ['States.QueryEvaluationError'], Next: 'Done' }],
            End: true,
          },
          Done: { Type: 'Pass', Output: '{% $states.input.Error %}', End: true },
        },
      }),
    );
    expect(output(result)).toBe('States.QueryEvaluationError');
  });
});

describe('expressions refused at CreateStateMachine', () => {
  const create = (definition: object) => () => harness([scriptedIntegration(() => null)]).start(jsonata(definition));

  it.each([
    ['opened but not closed', '{% $states.input'],
    ['closed but not opened', '$states.input %}'],
    ['a space before the opening', ' {% $states.input %}'],
    ['a space after the closing', '{% $states.input %} '],
  ])('refuses a string %s, naming the state and field ("Writing JSONata expressions")', (_how, text) => {
    expect(create(single({ Type: 'Pass', Output: { a: [text] } }))).toThrow(
      /state "S": field Output\.a\[0\]: the string .* is not a JSONata expression/,
    );
  });

  it.each([
    ['a Pass state Output', single({ Type: 'Pass', Output: '{% $states.result %}' }), 'Output', 'result'],
    [
      'a Task Arguments',
      single({ Type: 'Task', Resource: TASK, Arguments: { a: '{% $states.result.x %}' } }),
      'Arguments.a',
      'result',
    ],
    [
      'a Catcher Output',
      {
        StartAt: 'S',
        States: {
          S: {
            Type: 'Task',
            Resource: TASK,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'D', Output: '{% $states.result %}' }],
            End: true,
          },
          D: { Type: 'Succeed' },
        },
      },
      'Catch\\[0\\]\\.Output',
      'result',
    ],
    [
      'a Task Output',
      single({ Type: 'Task', Resource: TASK, Output: '{% $states.errorOutput.Cause %}' }),
      'Output',
      'errorOutput',
    ],
  ])(
    'refuses $states.result or errorOutput read in %s ("Reserved variable : $states")',
    (_where, definition, field, member) => {
      expect(create(definition)).toThrow(
        new RegExp(`state "S": field ${field}: .* reads \\$states\\.${member}, which is only available in`),
      );
    },
  );

  it('checks only direct reads: $states read through a binding is undefined at run time', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: '{% ($s := $states; $s.result) %}' })));
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toMatch(/returned nothing \(undefined\)/);
  });

  it('accepts $states.result in a Task Output and Assign, and $states.errorOutput in a Catcher', () => {
    const definition = {
      StartAt: 'S',
      States: {
        S: {
          Type: 'Task',
          Resource: TASK,
          Output: '{% $states.result %}',
          Assign: { r: '{% $states.result %}' },
          Catch: [
            {
              ErrorEquals: ['States.ALL'],
              Next: 'D',
              Output: '{% $states.errorOutput %}',
              Assign: { e: '{% $states.errorOutput.Error %}' },
            },
          ],
          End: true,
        },
        D: { Type: 'Succeed' },
      },
    };
    expect(create(definition)).not.toThrow();
  });
});
