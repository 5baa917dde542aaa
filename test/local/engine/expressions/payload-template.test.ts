import { describe, expect, it } from 'vitest';
import { renderPayloadTemplate } from '../../../../local/engine/expressions/index';
import type { Json, JsonObject } from '../../../../local/engine/types';
import { contextObject, sequence, statesErrorFrom } from './fixtures';

const context = contextObject();

describe('renderPayloadTemplate', () => {
  it('selects values with paths and keeps static values, as the documented Parameters example does', () => {
    // docs: step-functions/latest/dg/input-output-inputpath-params.html (Parameters)
    const input = {
      comment: 'Example for Parameters.',
      product: {
        details: { color: 'blue', size: 'small', material: 'cotton' },
        availability: 'in stock',
        sku: '2317',
        cost: '$23',
      },
    };
    const template = {
      comment: 'Selecting what I care about.',
      MyDetails: { 'size.$': '$.product.details.size', 'exists.$': '$.product.availability', StaticValue: 'foo' },
    };
    expect(renderPayloadTemplate(template, input, context, 'Parameters')).toEqual({
      comment: 'Selecting what I care about.',
      MyDetails: { size: 'small', exists: 'in stock', StaticValue: 'foo' },
    });
  });

  it('reshapes a task result, as the documented ResultSelector example does', () => {
    // docs: input-output-inputpath-params.html (ResultSelector)
    const result = {
      resourceType: 'elasticmapreduce',
      resource: 'createCluster.sync',
      output: { SdkResponseMetadata: { RequestId: '1234-5678-9012' }, ClusterId: 'AKIAIOSFODNN7EXAMPLE' },
    };
    const template = { 'ClusterId.$': '$.output.ClusterId', 'ResourceType.$': '$.resourceType' };
    expect(renderPayloadTemplate(template, result, context, 'ResultSelector')).toEqual({
      ClusterId: 'AKIAIOSFODNN7EXAMPLE',
      ResourceType: 'elasticmapreduce',
    });
  });

  it('reads the context object with $$', () => {
    // docs: input-output-contextobject.html: "Execution.$": "$$.Execution.Id", "startTime.$", "execName.$"
    const template = {
      MessageBody: { From: 'YVR', To: 'SEA', 'Execution.$': '$$.Execution.Id' },
      'startTime.$': '$$.Execution.StartTime',
      'execName.$': '$$.Execution.Name',
    };
    expect(renderPayloadTemplate(template, {}, context, 'Parameters')).toEqual({
      MessageBody: {
        From: 'YVR',
        To: 'SEA',
        Execution: 'arn:aws:states:us-east-1:123456789012:execution:stateMachineName:executionName',
      },
      startTime: '2019-03-26T20:14:13.192Z',
      execName: 'executionName',
    });
  });

  it('injects the Map item index and value, as the documented Map example does', () => {
    // docs: input-output-contextobject.html (Context Object Data for Map States)
    const template = { 'ContextIndex.$': '$$.Map.Item.Index', 'ContextValue.$': '$$.Map.Item.Value' };
    const items = [{ who: 'bob' }, { who: 'meg' }, { who: 'joe' }];
    const rendered = items.map((item, index) =>
      renderPayloadTemplate(
        template,
        item,
        contextObject({ Map: { Item: { Index: index, Value: item } } }),
        'ItemSelector',
      ),
    );
    expect(rendered).toEqual([
      { ContextIndex: 0, ContextValue: { who: 'bob' } },
      { ContextIndex: 1, ContextValue: { who: 'meg' } },
      { ContextIndex: 2, ContextValue: { who: 'joe' } },
    ]);
  });

  it('evaluates intrinsic functions in .$ fields', () => {
    // docs: intrinsic-functions.html (States.Array payload example)
    const template = { 'foo.$': "States.Array('Foo', 2022, $.someJson, null)" };
    expect(
      renderPayloadTemplate(template, { someJson: { random: 'abcdefg' }, zebra: 'stripe' }, context, 'Parameters'),
    ).toEqual({
      foo: ['Foo', 2022, { random: 'abcdefg' }, null],
    });
  });

  it('passes injected randomness to intrinsic functions', () => {
    const template = { 'n.$': 'States.MathRandom(0, 10)' };
    expect(renderPayloadTemplate(template, {}, context, 'Parameters', sequence(0.55))).toEqual({ n: 5 });
  });

  it('renders objects nested in arrays and keeps other array elements', () => {
    const template = { list: [{ 'id.$': '$.id' }, 'static', 3, [{ 'name.$': '$.name' }]] };
    expect(renderPayloadTemplate(template, { id: 7, name: 'x' }, context, 'Parameters')).toEqual({
      list: [{ id: 7 }, 'static', 3, [{ name: 'x' }]],
    });
  });

  it('passes the whole input with $', () => {
    // docs: input-output-example.html: "Payload.$": "$"
    const input = { a: 1 };
    expect(renderPayloadTemplate({ 'Payload.$': '$' }, input, context, 'Parameters')).toEqual({ Payload: { a: 1 } });
  });

  it('returns the array of matches for a filter path', () => {
    const input = {
      jobs: [
        { ok: true, id: 1 },
        { ok: false, id: 2 },
      ],
    };
    expect(renderPayloadTemplate({ 'ids.$': '$.jobs[?(@.ok == true)].id' }, input, context, 'Parameters')).toEqual({
      ids: [1],
    });
  });

  it('keeps null, boolean and number values and a key that is just .$', () => {
    const template = { a: null, b: false, c: 0, '.$': 'kept as is' };
    expect(renderPayloadTemplate(template, {}, context, 'Parameters')).toEqual(template);
  });

  it('returns a template that is not an object unchanged', () => {
    expect(renderPayloadTemplate('text', {}, context, 'Parameters')).toBe('text');
    expect(renderPayloadTemplate(null, {}, context, 'Parameters')).toBeNull();
  });

  it('builds a fresh object on every call and never modifies the template or the input', () => {
    const template = { static: { nested: [1, 2] }, 'v.$': '$.v' };
    const templateCopy = structuredClone(template);
    const input = { v: { deep: 1 } };
    const first = renderPayloadTemplate(template, input, context, 'Parameters') as JsonObject;
    const second = renderPayloadTemplate(template, input, context, 'Parameters') as JsonObject;
    (first.static as JsonObject).nested = 'changed';
    expect(second).toEqual({ static: { nested: [1, 2] }, v: { deep: 1 } });
    expect(template).toEqual(templateCopy);
    expect(input).toEqual({ v: { deep: 1 } });
  });

  it('renders the same template against many inputs', () => {
    const template = {
      'kwargs.$': '$$.Map.Item.Value',
      'name.$': "States.Format('job-{}', $$.Map.Item.Index)",
      queue: 'high',
    };
    const outputs: Json[] = [];
    for (let i = 0; i < 3; i++) {
      outputs.push(
        renderPayloadTemplate(
          template,
          {},
          contextObject({ Map: { Item: { Index: i, Value: { seed: i } } } }),
          'ItemSelector',
        ),
      );
    }
    expect(outputs).toEqual([
      { kwargs: { seed: 0 }, name: 'job-0', queue: 'high' },
      { kwargs: { seed: 1 }, name: 'job-1', queue: 'high' },
      { kwargs: { seed: 2 }, name: 'job-2', queue: 'high' },
    ]);
  });

  it('throws States.Runtime with the AWS cause when a path selects nothing', () => {
    // AWS execution history: "The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'"
    const error = statesErrorFrom(() => renderPayloadTemplate({ 'JobName.$': '$.JobName' }, {}, context, 'Parameters'));
    expect(error.error).toBe('States.Runtime');
    expect(error.cause).toBe(
      "The JSONPath '$.JobName' specified for the field 'JobName.$' could not be found in the input '{}'",
    );
  });

  it('reports a missing nested field by its own key', () => {
    const error = statesErrorFrom(() =>
      renderPayloadTemplate({ outer: { 'inner.$': '$.a.b' } }, { a: {} }, context, 'ItemSelector'),
    );
    expect(error.cause).toBe(
      "The JSONPath '$.a.b' specified for the field 'inner.$' could not be found in the input '{\"a\":{}}'",
    );
  });

  it('throws States.IntrinsicFailure from a failing intrinsic function', () => {
    const error = statesErrorFrom(() =>
      renderPayloadTemplate({ 'n.$': 'States.ArrayLength($.s)' }, { s: 'x' }, context, 'Parameters'),
    );
    expect(error.error).toBe('States.IntrinsicFailure');
    expect(error.cause).toContain('States.ArrayLength');
  });

  it('rejects a .$ value that is neither a path nor an intrinsic call, naming the field', () => {
    const notPath = statesErrorFrom(() => renderPayloadTemplate({ 'x.$': 'plain' }, {}, context, 'Parameters'));
    expect(notPath.error).toBe('States.Runtime');
    expect(notPath.cause).toContain("'x.$' in Parameters");
    const notString = statesErrorFrom(() => renderPayloadTemplate({ 'x.$': 5 }, {}, context, 'ItemSelector'));
    expect(notString.cause).toContain("'x.$' in ItemSelector");
  });

  it('writes a __proto__ key as data', () => {
    const output = renderPayloadTemplate(
      { '__proto__.$': '$.v' },
      { v: { polluted: true } },
      context,
      'Parameters',
    ) as JsonObject;
    expect(Object.hasOwn(output, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
  });
});
