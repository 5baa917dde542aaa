import { describe, expect, it } from 'vitest';
import { fail, harness, scriptedIntegration, single } from '../helpers';

// The JSONata query language of Step Functions. Each expected value comes from the page named above
// its test, under https://docs.aws.amazon.com/step-functions/latest/dg/:
// - transforming-data.html: "{% %}" strings, $states, Arguments and Output, the functions Step Functions adds;
// - state-pass.html, state-task.html, state-choice.html, state-wait.html, state-fail.html,
//   state-parallel.html, state-map.html: the JSONata fields of each state;
// - concepts-error-handling.html: States.QueryEvaluationError.

const TASK = 'arn:aws:states:::test:run';
const jsonata = (definition: object): object => ({ QueryLanguage: 'JSONata', ...definition });
const output = (result: { output?: string }) => JSON.parse(result.output ?? 'null');

describe('JSONata expressions (transforming-data.html)', () => {
  it('evaluates "{% %}" strings at any depth of Output and keeps other strings as they are', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(
        single({
          Type: 'Pass',
          Output: {
            title: '{% $states.input.title %}',
            nested: { list: ['{% $states.input.n * 2 %}', 'literal $states.input.n', '50% {x}'] },
          },
        }),
      ),
      { title: 'Hello', n: 21 },
    );
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual({
      title: 'Hello',
      nested: { list: [42, 'literal $states.input.n', '50% {x}'] },
    });
  });

  // "Arguments and Output Fields": Output can also accept any type of JSON value.
  it.each([
    ['an array', [1, '{% 1 + 1 %}'], [1, 2]],
    ['a number', 42, 42],
    ['a boolean', true, true],
    ['a literal string', 'done', 'done'],
    ['null', null, null],
  ])('accepts %s as Output', async (_kind, value, expected) => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: value })));
    expect(output(result)).toEqual(expected);
  });

  it('passes the input on when a Pass state has no Output', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass' })), { a: 1 });
    expect(output(result)).toEqual({ a: 1 });
  });

  it('sends Arguments to a Task and makes $states.result its default output (state-task.html)', async () => {
    const task = scriptedIntegration((request) => ({ echoed: request.parameters }));
    const h = harness([task]);
    const result = await h.run(
      jsonata({
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: TASK, Arguments: { id: '{% $states.input.id %}', queue: 'high' }, Next: 'U' },
          U: {
            Type: 'Task',
            Resource: TASK,
            Output: { got: '{% $states.result.echoed %}', input: '{% $states.input %}' },
            End: true,
          },
        },
      }),
      { id: 7 },
    );
    expect(task.calls[0]!.parameters).toEqual({ id: 7, queue: 'high' });
    // Without Arguments a Task receives its input.
    expect(task.calls[1]!.parameters).toEqual({ echoed: { id: 7, queue: 'high' } });
    expect(output(result)).toEqual({
      got: { echoed: { id: 7, queue: 'high' } },
      input: { echoed: { id: 7, queue: 'high' } },
    });
  });

  it('reads the context object as $states.context', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(single({ Type: 'Pass', Output: { state: '{% $states.context.State.Name %}' } })),
    );
    expect(output(result)).toEqual({ state: 'S' });
  });

  it('evaluates a TimeoutSeconds expression (state-task.html)', async () => {
    const task = scriptedIntegration((request) => new Promise(() => request.signal));
    const h = harness([task]);
    const result = await h.run(
      jsonata(single({ Type: 'Task', Resource: TASK, TimeoutSeconds: '{% $states.input.limit %}' })),
      { limit: 5 },
    );
    expect(result.error).toBe('States.Timeout');
    expect(h.clock.sleeps).toContain(5000);
  });

  it('picks the first Choice rule whose Condition is true, with that rule Output (state-choice.html)', async () => {
    const h = harness();
    const definition = jsonata({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            { Condition: '{% $states.input.n > 10 %}', Next: 'Big', Output: { size: 'big' } },
            { Condition: '{% $states.input.n > 5 %}', Next: 'Big' },
          ],
          Default: 'Small',
        },
        Big: { Type: 'Succeed' },
        Small: { Type: 'Succeed', Output: '{% "small " & $string($states.input.n) %}' },
      },
    });
    expect(output(await h.run(definition, { n: 11 }))).toEqual({ size: 'big' });
    expect(output(await h.run(definition, { n: 6 }))).toEqual({ n: 6 });
    expect(output(await h.run(definition, { n: 1 }))).toBe('small 1');
  });

  // state-choice.html, Choice Rules (JSONata): a rule's Assign applies when it matches; the state's
  // Assign applies whichever rule matches.
  it('applies the Choice state Assign whichever rule matches, with the rule Assign on top', async () => {
    const h = harness();
    const definition = jsonata({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $states.input.n > 5 %}', Next: 'Done', Assign: { size: 'big' } }],
          Default: 'Done',
          Assign: { size: 'small', seen: '{% $states.input.n %}' },
        },
        Done: { Type: 'Pass', Output: { size: '{% $size %}', seen: '{% $seen %}' }, End: true },
      },
    });
    expect(output(await h.run(definition, { n: 9 }))).toEqual({ size: 'big', seen: 9 });
    expect(output(await h.run(definition, { n: 1 }))).toEqual({ size: 'small', seen: 1 });
  });

  it('waits for the number of seconds a Seconds expression returns (state-wait.html)', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Wait', Seconds: '{% $states.input.delay %}' })), {
      delay: 30,
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(h.clock.sleeps).toContain(30_000);
  });

  it('waits until the time a Timestamp expression returns (state-wait.html)', async () => {
    const h = harness();
    const until = new Date(h.clock.now() + 90_000).toISOString();
    const result = await h.run(jsonata(single({ Type: 'Wait', Timestamp: '{% $states.input.until %}' })), { until });
    expect(result.status).toBe('SUCCEEDED');
    expect(h.clock.sleeps).toContain(90_000);
  });

  it('fails with the Error and Cause a Fail state computes (state-fail.html)', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'F',
        States: { F: { Type: 'Fail', Error: '{% $states.input.code %}', Cause: '{% "at " & $states.input.where %}' } },
      }),
      { code: 'Broken', where: 'step 3' },
    );
    expect(result.error).toBe('Broken');
    expect(result.cause).toBe('at step 3');
  });

  it('iterates a Map over Items with an ItemSelector reading $states.context.Map.Item (state-map.html)', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(
        single({
          Type: 'Map',
          Items: '{% $states.input.jobs %}',
          MaxConcurrency: '{% 2 %}',
          ItemSelector: {
            index: '{% $states.context.Map.Item.Index %}',
            value: '{% $states.context.Map.Item.Value %}',
            queue: '{% $states.input.queue %}',
          },
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
        }),
      ),
      { jobs: ['a', 'b'], queue: 'q' },
    );
    expect(output(result)).toEqual([
      { index: 0, value: 'a', queue: 'q' },
      { index: 1, value: 'b', queue: 'q' },
    ]);
  });

  // transforming-data.html, "Writing JSONata expressions": `"Items": [1, "{% $two %}", 3]`.
  it('evaluates the expressions inside a literal Items array', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'Two',
        States: {
          Two: { Type: 'Pass', Assign: { two: 2 }, Next: 'M' },
          M: {
            Type: 'Map',
            Items: [1, '{% $two %}', 3],
            ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      }),
    );
    expect(output(result)).toEqual([1, 2, 3]);
  });

  it('gives each Parallel branch the Arguments (state-parallel.html)', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(
        single({
          Type: 'Parallel',
          Arguments: { x: '{% $states.input.x + 1 %}' },
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Pass', Output: '{% $states.input.x * 10 %}', End: true } } },
          ],
          Output: '{% $states.result %}',
        }),
      ),
      { x: 1 },
    );
    expect(output(result)).toEqual([{ x: 2 }, 20]);
  });

  it('gives a Catcher $states.errorOutput, which is also its default output', async () => {
    const task = scriptedIntegration(() => fail('Custom.Error', 'it broke'));
    const h = harness([task]);
    const definition = (catcher: object) =>
      jsonata({
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: TASK,
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done', ...catcher }],
            End: true,
          },
          Done: { Type: 'Succeed' },
        },
      });
    expect(output(await h.run(definition({})))).toEqual({ Error: 'Custom.Error', Cause: 'it broke' });
    expect(
      output(
        await h.run(definition({ Output: { why: '{% $states.errorOutput.Cause %}', in: '{% $states.input.k %}' } }), {
          k: 'v',
        }),
      ),
    ).toEqual({ why: 'it broke', in: 'v' });
  });
});

describe('query language per state (transforming-data.html, "QueryLanguage")', () => {
  it('runs a JSONata state inside a JSONPath state machine', async () => {
    const h = harness();
    const result = await h.run(
      {
        StartAt: 'Path',
        States: {
          Path: { Type: 'Pass', Parameters: { 'v.$': '$.a' }, Next: 'Ata' },
          Ata: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.v + 1 %}', End: true },
        },
      },
      { a: 1 },
    );
    expect(output(result)).toBe(2);
  });

  it('refuses a JSONPath state inside a JSONata state machine, naming the state', () => {
    const h = harness();
    expect(() => h.start(jsonata(single({ Type: 'Pass', QueryLanguage: 'JSONPath' })))).toThrow(
      /state "S": field QueryLanguage cannot be JSONPath/,
    );
  });

  it.each([
    ['InputPath', { Type: 'Pass', InputPath: '$.a' }],
    ['Parameters', { Type: 'Pass', Parameters: { a: 1 } }],
    ['ResultSelector', { Type: 'Task', Resource: TASK, ResultSelector: { a: 1 } }],
    ['ResultPath', { Type: 'Task', Resource: TASK, ResultPath: '$.r' }],
    ['OutputPath', { Type: 'Pass', OutputPath: '$.a' }],
    [
      'ItemsPath',
      { Type: 'Map', ItemsPath: '$.a', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Succeed' } } } },
    ],
    ['SecondsPath', { Type: 'Wait', SecondsPath: '$.s' }],
  ])('refuses %s in a JSONata state at CreateStateMachine, naming the state and field', (field, state) => {
    const h = harness([scriptedIntegration(() => null)]);
    expect(() => h.start(jsonata(single(state)))).toThrow(new RegExp(`state "S": field ${field} is only valid`));
  });

  it.each([
    ['Arguments', { Type: 'Task', Resource: TASK, Arguments: { a: 1 } }],
    ['Output', { Type: 'Pass', Output: 1 }],
    ['Items', { Type: 'Map', Items: [1], ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Succeed' } } } }],
  ])('refuses %s in a JSONPath state at CreateStateMachine', (field, state) => {
    const h = harness([scriptedIntegration(() => null)]);
    expect(() => h.start(single(state))).toThrow(new RegExp(`state "S": field ${field} is only valid`));
  });

  it('refuses a JSONata expression that does not parse, naming the state and field', () => {
    const h = harness();
    expect(() => h.start(jsonata(single({ Type: 'Pass', Output: { a: '{% $states.input. %}' } })))).toThrow(
      /state "S": field Output\.a: the JSONata expression .* is not valid/,
    );
  });

  it('refuses $eval, which Step Functions does not provide (use $parse)', () => {
    const h = harness();
    expect(() => h.start(jsonata(single({ Type: 'Pass', Output: '{% $eval("1") %}' })))).toThrow(/\$eval/);
  });

  it('refuses a ".$" key in a JSONata state', () => {
    const h = harness();
    expect(() => h.start(jsonata(single({ Type: 'Pass', Output: { 'a.$': '$.a' } })))).toThrow(/'\.\$' keys/);
  });
});
