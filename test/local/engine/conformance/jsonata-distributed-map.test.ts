import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../../local/engine';
import { InvalidDefinitionError } from '../../../../local/engine/errors';
import type { Json } from '../../../../local/engine/types';
import { harness } from '../helpers';

// A Distributed Map state written in JSONata. Each expected value comes from the page named in its
// test, under https://docs.aws.amazon.com/step-functions/latest/dg/:
// - state-map-distributed.html: Items instead of ItemsPath, MaxConcurrency, Label, the child executions;
// - state-map.html, input-output-itemselector.html: ItemSelector with $states.context.Map.Item;
// - input-output-itemreader.html: ItemReader Arguments (Parameters in JSONPath), ReaderConfig.MaxItems;
// - input-output-itembatcher.html: MaxItemsPerBatch, MaxInputBytesPerBatch, BatchInput;
// - input-output-resultwriter.html: ResultWriter Arguments and the Map's result with an export;
// - maprun-fail-threshold.html: ToleratedFailureCount, ToleratedFailurePercentage;
// - transforming-data.html: Output and Assign read $states.result, the JSONPath-only fields, and
//   States.QueryEvaluationError; workflow-variables.html: a child starts without the parent's variables.

type ExecutionType = 'STANDARD' | 'EXPRESS';

/** A JSONata Distributed Map `Fan` whose children run `child` (default: a Pass). */
function fanOut(
  fields: Record<string, unknown>,
  options: { child?: object; executionType?: ExecutionType; after?: Record<string, unknown> | undefined } = {},
): object {
  const fan = {
    Type: 'Map',
    ItemProcessor: {
      ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: options.executionType ?? 'STANDARD' },
      StartAt: 'Work',
      States: { Work: { Type: 'Pass', End: true, ...options.child } },
    },
    ...fields,
    ...(options.after ? { Next: 'After' } : { End: true }),
  };
  const states: Record<string, unknown> = { Fan: fan };
  if (options.after) states.After = { Type: 'Pass', End: true, ...options.after };
  return { QueryLanguage: 'JSONata', StartAt: 'Fan', States: states };
}

const output = (result: { output?: string }): Json => JSON.parse(result.output ?? 'null') as Json;

/** A child that fails with Work.Failed when its input's `fail` is true, else outputs its input. */
const FAILS_ON_FLAG = {
  Type: 'Choice',
  Choices: [{ Condition: '{% $states.input.fail = true %}', Next: 'Broken' }],
  Default: 'Fine',
};
function failingChildren(): { child: object; states: Record<string, object> } {
  return {
    child: FAILS_ON_FLAG,
    states: { Broken: { Type: 'Fail', Error: 'Work.Failed' }, Fine: { Type: 'Succeed' } },
  };
}

/** fanOut with the Choice/Fail/Succeed children of failingChildren. */
function fanOutFailing(fields: Record<string, unknown>, after?: Record<string, unknown>): object {
  const definition = fanOut(fields, { after }) as { States: { Fan: { ItemProcessor: { States: object } } } };
  const { child, states } = failingChildren();
  definition.States.Fan.ItemProcessor.States = { Work: child, ...states };
  return definition;
}

describe.each<ExecutionType>(['STANDARD', 'EXPRESS'])('items of a JSONata Distributed Map, %s children', (type) => {
  // state-map-distributed.html: in JSONata, Items (an expression or an array) replaces ItemsPath.
  it('starts one child per member of the array an Items expression returns, in item order', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: '{% $states.input.orders %}' }, { executionType: type }), {
      orders: [{ id: 1 }, { id: 2 }, { id: 3 }],
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const run = h.sfn.listMapRuns(result.arn).items[0]!;
    const children = h.sfn.listExecutions({ mapRunArn: run.mapRunArn }).items;
    expect(children).toHaveLength(3);
    expect(children[0]!.executionArn).toContain(type === 'EXPRESS' ? ':express:' : ':execution:');
  });

  // state-map.html: "Items" may be a JSON array; without Items, the state input is the array.
  it('iterates a literal Items array, and the state input when Items is absent', async () => {
    const h = harness();
    expect(output(await h.run(fanOut({ Items: [1, 2] }, { executionType: type })))).toEqual([1, 2]);
    expect(output(await h.run(fanOut({}, { executionType: type }), ['x', 'y'] as Json))).toEqual(['x', 'y']);
  });
});

describe('ItemSelector in JSONata (input-output-itemselector.html, state-map.html)', () => {
  it('builds each child input from $states.context.Map.Item.Index/Value and $states.input', async () => {
    const h = harness();
    const result = await h.run(
      fanOut({
        Items: '{% $states.input.names %}',
        ItemSelector: {
          index: '{% $states.context.Map.Item.Index %}',
          name: '{% $uppercase($states.context.Map.Item.Value) %}',
          run: '{% $states.input.run %}',
        },
      }),
      { names: ['a', 'b'], run: 'r1' },
    );
    expect(output(result)).toEqual([
      { index: 0, name: 'A', run: 'r1' },
      { index: 1, name: 'B', run: 'r1' },
    ]);
    const childArn = h.sfn
      .listExecutions({ mapRunArn: h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn })
      .items.at(-1)!;
    expect(JSON.parse(h.sfn.describeExecution(childArn.executionArn).input)).toEqual({
      index: 0,
      name: 'A',
      run: 'r1',
    });
  });

  // workflow-variables.html: the Map state's own fields read its scope; its children do not.
  it("reads the Map state's variables in ItemSelector, while the children start without them", async () => {
    const h = harness();
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Fan' },
        Fan: (
          fanOut({ Items: [1, 2], ItemSelector: '{% $states.context.Map.Item.Value * $factor %}' }) as {
            States: { Fan: object };
          }
        ).States.Fan,
      },
    };
    expect(output(await h.run(definition))).toEqual([10, 20]);
    const reading = fanOut({ Items: [1] }, { child: { Output: '{% $factor %}' } }) as { States: object };
    const withParentVariable = {
      ...reading,
      StartAt: 'Set',
      States: { Set: { Type: 'Pass', Assign: { factor: 10 }, Next: 'Fan' }, ...reading.States },
    };
    expect(() => loadDefinition(JSON.stringify(withParentVariable), [])).toThrow(/factor/);
  });

  it('fails the Map with States.QueryEvaluationError when ItemSelector throws for an item', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: [1, 'two'], ItemSelector: '{% $states.context.Map.Item.Value + 1 %}' }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toContain(
      "The JSONata expression '$states.context.Map.Item.Value + 1' specified for the field 'ItemSelector' threw an error during evaluation. T2001",
    );
  });
});

describe('ItemReader with Arguments (input-output-itemreader.html)', () => {
  const reading = (readerConfig: object, args: Json): Record<string, unknown> => ({
    ItemReader: { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: readerConfig, Arguments: args },
  });

  it('reads the object the Arguments expressions name, up to the MaxItems an expression returns', async () => {
    const h = harness();
    await h.store.putObject('data', 'in/items.jsonl', '{"id":1}\n{"id":2}\n{"id":3}\n');
    const fields = reading(
      { InputType: 'JSONL', MaxItems: '{% $states.input.limit %}' },
      { Bucket: '{% $states.input.bucket %}', Key: "{% 'in/' & $states.input.file %}" },
    );
    const result = await h.run(fanOut(fields), { bucket: 'data', file: 'items.jsonl', limit: 2 });
    expect(result.status).toBe('SUCCEEDED');
    expect(output(result)).toEqual([{ id: 1 }, { id: 2 }]);
  });

  // Docs silent (docs/local-engine.md, JSONata choices): MaxItems 0 reads every item, a negative one is no count;
  // Items is ignored with an ItemReader, as ItemsPath is.
  it('reads every item when MaxItems evaluates to 0, ignores Items, and refuses a negative MaxItems', async () => {
    const h = harness();
    await h.store.putObject('data', 'items.json', '[1,2,3]');
    const fields = (maxItems: string) => ({
      Items: [9],
      ...reading({ InputType: 'JSON', MaxItems: maxItems }, { Bucket: 'data', Key: 'items.json' }),
    });
    expect(output(await h.run(fanOut(fields('{% 0 %}'))))).toEqual([1, 2, 3]);
    const negative = await h.run(fanOut(fields('{% -1 %}')));
    expect(negative.error).toBe('States.QueryEvaluationError');
    expect(negative.cause).toContain(
      "specified for the field 'ItemReader/ReaderConfig/MaxItems' returned -1, which is not a non-negative integer.",
    );
  });

  it('lists objects with s3:listObjectsV2 under the Prefix Arguments give', async () => {
    const h = harness();
    await h.store.putObject('data', 'logs/a', 'x');
    await h.store.putObject('data', 'other/b', 'x');
    const fields = {
      ItemReader: { Resource: 'arn:aws:states:::s3:listObjectsV2', Arguments: { Bucket: 'data', Prefix: 'logs/' } },
      ItemSelector: '{% $states.context.Map.Item.Value.Key %}',
    };
    expect(output(await h.run(fanOut(fields)))).toEqual(['logs/a']);
  });

  it('fails with States.ItemReaderFailed naming ItemReader.Arguments.Bucket when it is not a string', async () => {
    const h = harness();
    const result = await h.run(fanOut(reading({ InputType: 'JSON' }, { Bucket: '{% 7 %}', Key: 'k' })));
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toContain(
      "ItemReader.Arguments.Bucket of state 'Fan' must be a non-empty string (received 7)",
    );
  });
});

describe('ItemBatcher expressions (input-output-itembatcher.html)', () => {
  it('cuts batches at the MaxItemsPerBatch an expression returns, with the BatchInput expressions evaluated', async () => {
    const h = harness();
    const fields = {
      Items: '{% $states.input.ids %}',
      ItemBatcher: {
        MaxItemsPerBatch: '{% $states.input.size %}',
        BatchInput: { run: '{% $states.input.run %}' },
      },
    };
    const result = await h.run(fanOut(fields), { ids: [1, 2, 3], size: 2, run: 'r7' });
    expect(output(result)).toEqual([
      { BatchInput: { run: 'r7' }, Items: [1, 2] },
      { BatchInput: { run: 'r7' }, Items: [3] },
    ]);
  });

  it('cuts batches at the MaxInputBytesPerBatch an expression returns, items selected first', async () => {
    const h = harness();
    // {"Items":[]} is 12 bytes and each selected item {"n":1} 7 (plus 1 for a comma): two fit in 27.
    const fields = {
      Items: [1, 2, 3],
      ItemSelector: { n: '{% $states.context.Map.Item.Value %}' },
      ItemBatcher: { MaxInputBytesPerBatch: '{% 27 %}' },
    };
    expect(output(await h.run(fanOut(fields)))).toEqual([{ Items: [{ n: 1 }, { n: 2 }] }, { Items: [{ n: 3 }] }]);
  });

  it('fails with States.QueryEvaluationError when MaxItemsPerBatch evaluates to 0, below its minimum of 1', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: [1], ItemBatcher: { MaxItemsPerBatch: '{% 0 %}' } }));
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toContain(
      "The JSONata expression '0' specified for the field 'ItemBatcher/MaxItemsPerBatch' returned 0, which is not a positive integer.",
    );
  });
});

describe('tolerated failure threshold expressions (maprun-fail-threshold.html)', () => {
  const items = [{ fail: true }, { fail: true }, { fail: false }, { fail: false }];

  it('fails the Map Run once the failures exceed the ToleratedFailureCount an expression returns', async () => {
    const h = harness();
    const tripped = await h.run(
      fanOutFailing({ Items: '{% $states.input.items %}', ToleratedFailureCount: '{% $states.input.tolerated %}' }),
      {
        items,
        tolerated: 1,
      },
    );
    expect(tripped.status).toBe('FAILED');
    expect(tripped.error).toBe('States.ExceedToleratedFailureThreshold');
    const run = h.sfn.describeMapRun(h.sfn.listMapRuns(tripped.arn).items[0]!.mapRunArn);
    expect(run.toleratedFailureCount).toBe(1);

    const tolerated = await h.run(
      fanOutFailing({ Items: '{% $states.input.items %}', ToleratedFailureCount: '{% $states.input.tolerated %}' }),
      {
        items,
        tolerated: 2,
      },
    );
    expect(tolerated.status).toBe('SUCCEEDED');
  });

  it('fails the Map Run once the failed percentage exceeds the ToleratedFailurePercentage an expression returns', async () => {
    const h = harness();
    // 2 of 4 items fail: 50 %.
    const tripped = await h.run(fanOutFailing({ Items: items, ToleratedFailurePercentage: '{% 49.5 %}' }));
    expect(tripped.error).toBe('States.ExceedToleratedFailureThreshold');
    expect(h.sfn.describeMapRun(h.sfn.listMapRuns(tripped.arn).items[0]!.mapRunArn).toleratedFailurePercentage).toBe(
      49.5,
    );
    expect((await h.run(fanOutFailing({ Items: items, ToleratedFailurePercentage: '{% 50 %}' }))).status).toBe(
      'SUCCEEDED',
    );
  });

  it('lets a Catcher with Output and Assign handle the exceeded threshold', async () => {
    const h = harness();
    const definition = fanOutFailing(
      {
        Items: items,
        Catch: [
          {
            ErrorEquals: ['States.ExceedToleratedFailureThreshold'],
            Output: { caught: '{% $states.errorOutput.Error %}' },
            Assign: { failedRun: true },
            Next: 'After',
          },
        ],
      },
      { Output: { out: '{% $states.input %}', failedRun: '{% $failedRun %}' } },
    );
    const result = await h.run(definition);
    expect(output(result)).toEqual({
      out: { caught: 'States.ExceedToleratedFailureThreshold' },
      failedRun: true,
    });
  });

  it('fails with States.QueryEvaluationError when ToleratedFailurePercentage evaluates above 100', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: [1], ToleratedFailurePercentage: '{% 150 %}' }));
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). The JSONata expression '150' specified for the field 'ToleratedFailurePercentage' returned 150, which is not a number from 0 to 100.",
    );
  });
});

describe('MaxConcurrency expression (state-map-distributed.html)', () => {
  it('runs at most the MaxConcurrency an expression returns, as DescribeMapRun reports', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: [1, 2, 3], MaxConcurrency: '{% $states.input.limit %}' }), { limit: 2 });
    expect(result.status).toBe('SUCCEEDED');
    expect(h.sfn.describeMapRun(h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn).maxConcurrency).toBe(2);
  });

  it('fails with States.QueryEvaluationError when MaxConcurrency is not a number', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: [1], MaxConcurrency: '{% "two" %}' }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toContain(
      `The JSONata expression '"two"' specified for the field 'MaxConcurrency' returned an unexpected result type. Expected 'number', but was 'string' for value: "two"`,
    );
  });

  it('fails with States.QueryEvaluationError when Items evaluates to neither an array nor an object', async () => {
    const h = harness();
    const result = await h.run(fanOut({ Items: '{% $states.input.one %}' }), { one: true });
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toContain(
      `The JSONata expression '$states.input.one' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'boolean' for value: true`,
    );
  });
});

describe('Output and Assign of the Map result (transforming-data.html)', () => {
  it('reads the array of child outputs as $states.result', async () => {
    const h = harness();
    const definition = fanOut(
      {
        Items: [1, 2, 3],
        Output: { count: '{% $count($states.result) %}' },
        Assign: { total: '{% $sum($states.result) %}' },
      },
      { after: { Output: { count: '{% $states.input.count %}', total: '{% $total %}' } } },
    );
    expect(output(await h.run(definition))).toEqual({ count: 3, total: 6 });
  });

  // input-output-resultwriter.html: with an export, the Map's result is {MapRunArn, ResultWriterDetails}.
  it('exports the results where ResultWriter Arguments say, and reads the export summary as $states.result', async () => {
    const h = harness();
    const definition = fanOut({
      Items: [1, 2],
      ResultWriter: {
        Resource: 'arn:aws:states:::s3:putObject',
        Arguments: { Bucket: '{% $states.input.bucket %}', Prefix: "{% 'runs/' & $states.input.run %}" },
      },
      Output: { manifest: '{% $states.result.ResultWriterDetails.Key %}', arn: '{% $states.result.MapRunArn %}' },
    });
    const result = await h.run(definition, { bucket: 'out', run: 'r1' });
    expect(result.status).toBe('SUCCEEDED');
    const mapRunArn = h.sfn.listMapRuns(result.arn).items[0]!.mapRunArn;
    const { manifest, arn } = output(result) as { manifest: string; arn: string };
    expect(arn).toBe(mapRunArn);
    expect(manifest).toMatch(/^runs\/r1\/[0-9a-f-]+\/manifest\.json$/);
    const written = JSON.parse((await h.store.getObject('out', manifest)).toString()) as {
      ResultFiles: { SUCCEEDED: { Key: string }[] };
    };
    const succeeded = JSON.parse(
      (await h.store.getObject('out', written.ResultFiles.SUCCEEDED[0]!.Key)).toString(),
    ) as { Output: string }[];
    expect(succeeded.map((entry) => entry.Output)).toEqual(['1', '2']);
  });

  // input-output-resultwriter.html: a failed Map Run still writes its results, PENDING_n.json included.
  it('lists the items never started in PENDING_0.json with the input their ItemSelector gave them', async () => {
    const h = harness();
    const definition = fanOutFailing({
      Items: [{ fail: true }, { fail: false }, { fail: false }],
      MaxConcurrency: 1,
      ItemSelector: {
        fail: '{% $states.context.Map.Item.Value.fail %}',
        index: '{% $states.context.Map.Item.Index %}',
      },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Arguments: { Bucket: 'out', Prefix: 'p' } },
    });
    const result = await h.run(definition);
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const keys = (await h.store.listObjectsV2('out', 'p/')).keys.map((object) => object.key);
    const pendingKey = keys.find((key) => key.endsWith('PENDING_0.json'))!;
    const pending = JSON.parse((await h.store.getObject('out', pendingKey)).toString()) as { Input: string }[];
    expect(pending.map((entry) => JSON.parse(entry.Input))).toEqual([
      { fail: false, index: 1 },
      { fail: false, index: 2 },
    ]);
  });

  it('fails with States.ResultWriterFailed naming ResultWriter.Arguments.Bucket when it evaluates to no string', async () => {
    const h = harness();
    const definition = fanOut({
      Items: [1],
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Arguments: { Bucket: '{% 1 %}' } },
    });
    const result = await h.run(definition);
    expect(result.error).toBe('States.ResultWriterFailed');
    expect(result.cause).toContain(
      "ResultWriter.Arguments.Bucket of state 'Fan' must be a non-empty string (received 1)",
    );
  });
});

describe('fields of the other query language, refused at CreateStateMachine (transforming-data.html)', () => {
  const load = (definition: object) => () => loadDefinition(JSON.stringify(definition), []);
  const reader = { Resource: 'arn:aws:states:::s3:getObject', ReaderConfig: { InputType: 'JSON' } };

  it.each<[string, Record<string, unknown>]>([
    ['ItemsPath', { ItemsPath: '$.items' }],
    ['MaxConcurrencyPath', { MaxConcurrencyPath: '$.limit' }],
    ['ToleratedFailureCountPath', { ToleratedFailureCountPath: '$.n' }],
    ['ToleratedFailurePercentagePath', { ToleratedFailurePercentagePath: '$.p' }],
    ['ResultSelector', { ResultSelector: { a: 1 } }],
    ['ResultPath', { ResultPath: '$.r' }],
    [
      'ItemReader.ReaderConfig.MaxItemsPath',
      {
        ItemReader: {
          ...reader,
          ReaderConfig: { InputType: 'JSON', MaxItemsPath: '$.m' },
          Arguments: { Bucket: 'b', Key: 'k' },
        },
      },
    ],
    ['ItemBatcher.MaxItemsPerBatchPath', { ItemBatcher: { MaxItemsPerBatchPath: '$.n' } }],
    ['ItemBatcher.MaxInputBytesPerBatchPath', { ItemBatcher: { MaxInputBytesPerBatchPath: '$.n' } }],
  ])('refuses %s in a JSONata Distributed Map, naming the state and field', (field, fields) => {
    expect(load(fanOut(fields))).toThrow(InvalidDefinitionError);
    expect(load(fanOut(fields))).toThrow(
      `state "Fan": field ${field} is only valid in a state whose QueryLanguage is JSONPath`,
    );
  });

  it('refuses ItemReader.Parameters in a JSONata Distributed Map and ItemReader.Arguments in a JSONPath one', () => {
    expect(load(fanOut({ ItemReader: { ...reader, Parameters: { Bucket: 'b', Key: 'k' } } }))).toThrow(
      'state "Fan": field ItemReader.Parameters is only valid in a JSONPath state (use Arguments)',
    );
    const jsonPath = {
      ...(fanOut({ ItemReader: { ...reader, Arguments: { Bucket: 'b', Key: 'k' } } }) as object),
      QueryLanguage: 'JSONPath',
    };
    expect(load(jsonPath)).toThrow(
      'state "Fan": field ItemReader.Arguments is only valid in a state whose QueryLanguage is JSONata',
    );
  });

  it("refuses a '.$' key in ItemReader Arguments and BatchInput of a JSONata state", () => {
    expect(load(fanOut({ ItemReader: { ...reader, Arguments: { 'Bucket.$': '$.b', Key: 'k' } } }))).toThrow(
      'state "Fan": field ItemReader.Arguments.Bucket.$: a JSONata state does not use \'.$\' keys',
    );
    expect(load(fanOut({ Items: [1], ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'a.$': '$.a' } } }))).toThrow(
      "field ItemBatcher.BatchInput.a.$: a JSONata state does not use '.$' keys",
    );
  });
});
