import { describe, expect, it } from 'vitest';
import { harness, scriptedIntegration, single } from '../helpers';

// Workflow variables, in both query languages. Every expected value follows
// https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html: Assign in Pass, Task,
// Map, Parallel, Choice and Wait states (and in Catchers and Choice rules); values set once the state is
// done; the variable scope rules (inner scopes read outer ones, Distributed Map children read none, an
// inner scope cannot assign an outer variable); the name rules and the reserved $states.

const TASK = 'arn:aws:states:::test:run';
const jsonata = (definition: object): object => ({ QueryLanguage: 'JSONata', ...definition });
const output = (result: { output?: string }) => JSON.parse(result.output ?? 'null');
const processor = (states: object, startAt = Object.keys(states)[0]) => ({ StartAt: startAt, States: states });

describe('Assign and later states (JSONata)', () => {
  it('makes assigned values visible to later states, not to the same state Output', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Assign: { x: 1, y: 2 }, Next: 'Swap' },
          Swap: {
            Type: 'Pass',
            Assign: { x: '{% $y %}', y: '{% $x %}' },
            Output: { before: ['{% $x %}', '{% $y %}'] },
            Next: 'After',
          },
          After: {
            Type: 'Pass',
            Output: { before: '{% $states.input.before %}', after: ['{% $x %}', '{% $y %}'] },
            End: true,
          },
        },
      }),
    );
    // Every expression of a state reads the values from before the state ("Evaluation of Assign").
    expect(output(result)).toEqual({ before: [1, 2], after: [2, 1] });
  });

  it('lets Assign read $states.result of a Task', async () => {
    const task = scriptedIntegration(() => ({ price: 9 }));
    const h = harness([task]);
    const result = await h.run(
      jsonata({
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: TASK, Assign: { price: '{% $states.result.price %}' }, Output: {}, Next: 'U' },
          U: { Type: 'Pass', Output: '{% $price * 2 %}', End: true },
        },
      }),
    );
    expect(output(result)).toBe(18);
  });

  it('applies a matched Choice rule Assign and a Catcher Assign with $states.errorOutput', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'C',
        States: {
          C: {
            Type: 'Choice',
            Choices: [{ Condition: '{% true %}', Next: 'P', Assign: { route: 'first' } }],
            Default: 'P',
          },
          P: {
            Type: 'Parallel',
            Branches: [processor({ F: { Type: 'Fail', Error: 'E', Cause: 'why' } })],
            Catch: [
              { ErrorEquals: ['States.ALL'], Next: 'Done', Assign: { cause: '{% $states.errorOutput.Cause %}' } },
            ],
            End: true,
          },
          Done: { Type: 'Pass', Output: { route: '{% $route %}', cause: '{% $cause %}' }, End: true },
        },
      }),
    );
    expect(output(result)).toEqual({ route: 'first', cause: 'why' });
  });

  it('records the assigned values in the StateExited event', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Assign: { n: 3 } })));
    const exited = h.sfn
      .getExecutionHistory(result.arn, { maxResults: 100 })
      .items.find((e) => e.type === 'PassStateExited');
    expect(JSON.stringify(exited?.details)).toContain('"assignedVariables":{"n":"3"}');
  });

  it('fails with States.DataLimitExceeded when one Assign holds more than 256 KiB', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Assign: { big: "{% $pad('', 262145, 'x') %}" } })));
    expect(result.error).toBe('States.DataLimitExceeded');
  });

  // "Limits": the total size of all stored variables cannot exceed 10 MiB per execution.
  const storing = (names: string[]) =>
    jsonata({
      StartAt: names[0],
      States: Object.fromEntries(
        names.map((name, index) => [
          name,
          {
            Type: 'Pass',
            Assign: { [name]: "{% $pad('', 250000, 'x') %}" },
            ...(index + 1 < names.length ? { Next: names[index + 1] } : { End: true }),
          },
        ]),
      ),
    });
  const names = (count: number) => Array.from({ length: count }, (_, i) => `v${i}`);

  it('fails with States.DataLimitExceeded once the stored variables pass 10 MiB', async () => {
    const h = harness();
    // 41 values of 250,002 bytes (as JSON text) stay under 10,485,760 bytes; 42 do not.
    expect((await h.run(storing(names(41)))).status).toBe('SUCCEEDED');
    const over = await h.run(storing(names(42)));
    expect(over.error).toBe('States.DataLimitExceeded');
    expect(over.cause).toMatch(/state 'v41'.*10485760 bytes per execution/);
  });

  it('counts a reassigned variable once toward the 10 MiB', async () => {
    const h = harness();
    const definition = storing(names(50)) as { States: Record<string, { Assign: object }> };
    for (const state of Object.values(definition.States)) state.Assign = { same: "{% $pad('', 250000, 'x') %}" };
    expect((await h.run(definition)).status).toBe('SUCCEEDED');
  });
});

describe('Assign in JSONPath states', () => {
  // "Using variables in JSONPath states": in a Task, Map or Parallel state `$` is the API or
  // sub-workflow result, and Assign happens at the same time as ResultSelector, not after it.
  it('reads the raw Task result as $, beside ResultSelector, and the variable as $name later', async () => {
    const task = scriptedIntegration(() => ({ Payload: { id: 'job-1', size: 4 } }));
    const h = harness([task]);
    const result = await h.run(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Task',
            Resource: TASK,
            ResultSelector: { 'job.$': '$.Payload' },
            Assign: { 'jobId.$': '$.Payload.id', 'size.$': '$.Payload.size', constant: 'kept' },
            ResultPath: '$.selected',
            Next: 'C',
          },
          C: {
            Type: 'Choice',
            Choices: [{ Variable: '$size', NumericGreaterThan: 3, Next: 'Use' }],
            Default: 'Use',
          },
          Use: {
            Type: 'Pass',
            Parameters: { 'id.$': '$jobId', 'label.$': "States.Format('{}-{}', $jobId, $constant)", 'input.$': '$' },
            End: true,
          },
        },
      },
      { a: 1 },
    );
    expect(output(result)).toEqual({
      id: 'job-1',
      label: 'job-1-kept',
      input: { a: 1, selected: { job: { id: 'job-1', size: 4 } } },
    });
  });

  it('does not let Assign read what ResultSelector selected', async () => {
    const task = scriptedIntegration(() => ({ Payload: { id: 'job-1' } }));
    const h = harness([task]);
    const result = await h.run({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: TASK,
          ResultSelector: { 'job.$': '$.Payload' },
          Assign: { 'jobId.$': '$.job.id' },
          End: true,
        },
      },
    });
    expect(result.error).toBe('States.Runtime');
  });

  it('applies the Choice state Assign whichever rule matches, with the rule Assign on top (state-choice.html)', async () => {
    const h = harness();
    const definition = {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Variable: '$.n', NumericGreaterThan: 5, Next: 'Done', Assign: { size: 'big' } }],
          Default: 'Done',
          Assign: { size: 'small', 'seen.$': '$.n' },
        },
        Done: { Type: 'Pass', Parameters: { 'size.$': '$size', 'seen.$': '$seen' }, End: true },
      },
    };
    expect(output(await h.run(definition, { n: 9 }))).toEqual({ size: 'big', seen: 9 });
    expect(output(await h.run(definition, { n: 1 }))).toEqual({ size: 'small', seen: 1 });
  });
});

describe('variable scope (workflow-variables.html, "Variable scope")', () => {
  it('lets Map iterations read outer variables and keep their own', async () => {
    const h = harness();
    const result = await h.run(
      jsonata({
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { prefix: 'job' }, Next: 'M' },
          M: {
            Type: 'Map',
            Items: [1, 2],
            ItemProcessor: processor({
              Own: { Type: 'Pass', Assign: { doubled: '{% $states.input * 2 %}' }, Next: 'Read' },
              Read: { Type: 'Pass', Output: "{% $prefix & '-' & $string($doubled) %}", End: true },
            }),
            End: true,
          },
        },
      }),
    );
    expect(output(result)).toEqual(['job-2', 'job-4']);
  });

  it('gives each Parallel branch its own variables, even under one name', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(
        single({
          Type: 'Parallel',
          Branches: [
            processor({
              A: { Type: 'Pass', Assign: { v: 'a' }, Next: 'B' },
              B: { Type: 'Pass', Output: '{% $v %}', End: true },
            }),
            processor({
              A2: { Type: 'Pass', Assign: { v: 'b' }, Next: 'B2' },
              B2: { Type: 'Pass', Output: '{% $v %}', End: true },
            }),
          ],
        }),
      ),
    );
    expect(output(result)).toEqual(['a', 'b']);
  });

  it('refuses an inner state assigning a variable of an outer scope', () => {
    const h = harness();
    expect(() =>
      h.start(
        jsonata({
          StartAt: 'Set',
          States: {
            Set: { Type: 'Pass', Assign: { x: 1 }, Next: 'M' },
            M: {
              Type: 'Map',
              ItemProcessor: processor({ In: { Type: 'Pass', Assign: { x: 2 }, End: true } }),
              End: true,
            },
          },
        }),
      ),
    ).toThrow(
      /state "M\.ItemProcessor\.In": field Assign\.x assigns the variable \$x, which an enclosing scope assigns/,
    );
  });

  it('refuses an outer state reading a variable only an inner scope assigns', () => {
    const h = harness();
    expect(() =>
      h.start(
        jsonata({
          StartAt: 'M',
          States: {
            M: {
              Type: 'Map',
              Items: [1],
              ItemProcessor: processor({ In: { Type: 'Pass', Assign: { inner: 1 }, End: true } }),
              Next: 'Out',
            },
            Out: { Type: 'Pass', Output: '{% $inner %}', End: true },
          },
        }),
      ),
    ).toThrow(/state "Out": field Output references the variable \$inner/);
  });

  it('refuses a Distributed Map child reading a variable of its parent', () => {
    const h = harness();
    expect(() =>
      h.start({
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { bucket: 'b' }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              ...processor({ In: { Type: 'Pass', Parameters: { 'b.$': '$bucket' }, End: true } }),
            },
            End: true,
          },
        },
      }),
    ).toThrow(/state "M\.ItemProcessor\.In": field Parameters\.b\.\$ references the variable \$bucket/);
  });

  it('runs a Distributed Map child with variables of its own, starting from none', async () => {
    const h = harness();
    const result = await h.run(
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { n: 'outer' }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemProcessor: {
              ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
              ...processor({
                A: { Type: 'Pass', Assign: { 'n.$': '$' }, Next: 'B' },
                B: { Type: 'Pass', Parameters: { 'v.$': '$n' }, End: true },
              }),
            },
            Next: 'After',
          },
          After: { Type: 'Pass', Parameters: { 'children.$': '$', 'n.$': '$n' }, End: true },
        },
      },
      [1, 2],
    );
    expect(output(result)).toEqual({ children: [{ v: 1 }, { v: 2 }], n: 'outer' });
  });
});

describe('validation at CreateStateMachine (workflow-variables.html)', () => {
  it.each([
    [
      'a reference to a variable no state assigns (JSONata)',
      jsonata(single({ Type: 'Pass', Output: '{% $nope %}' })),
      /references the variable \$nope/,
    ],
    [
      'a reference to a variable no state assigns (JSONPath)',
      single({ Type: 'Pass', Parameters: { 'a.$': '$nope.x' } }),
      /references the variable \$nope/,
    ],
    [
      'a name starting with a digit',
      single({ Type: 'Pass', Assign: { '1st': 1 } }),
      /field Assign\.1st: a variable name must start/,
    ],
    [
      'a name longer than 80 characters',
      single({ Type: 'Pass', Assign: { [`v${'x'.repeat(80)}`]: 1 } }),
      /at most 80 characters/,
    ],
    // "You cannot assign a value to a part of a variable".
    ['a part of a variable', single({ Type: 'Pass', Assign: { 'x.y': 42 } }), /field Assign\.x\.y: a variable name/],
    ['the reserved name states', single({ Type: 'Pass', Assign: { states: 1 } }), /\$states is reserved/],
    [
      'Assign in a Succeed state',
      { StartAt: 'S', States: { S: { Type: 'Succeed', Assign: { a: 1 } } } },
      /field Assign is not valid in a Succeed state/,
    ],
  ])('refuses %s, naming the state and field', (_, definition, message) => {
    const h = harness();
    expect(() => h.start(definition)).toThrow(message);
  });

  // The guide is silent on a variable read before any state assigned it; a JSONPath path naming
  // nothing is States.Runtime.
  it('fails a JSONPath read of a variable only a later state assigns with States.Runtime', async () => {
    const h = harness();
    const result = await h.run({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Parameters: { 'v.$': '$x' }, Next: 'B' },
        B: { Type: 'Pass', Assign: { x: 1 }, End: true },
      },
    });
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toMatch(/The JSONPath '\$x' specified for the field 'v\.\$' could not be found/);
  });

  it('accepts function calls, local bindings and lambda parameters as no workflow variables', async () => {
    const h = harness();
    const result = await h.run(
      jsonata(single({ Type: 'Pass', Output: '{% ($double := function($v) { $v * 2 }; $map([1, 2], $double)) %}' })),
    );
    expect(output(result)).toEqual([2, 4]);
  });
});
