import { describe, expect, it } from 'vitest';
import { evaluateIntrinsic } from '../../../../local/engine/expressions';
import { contextObject } from '../expressions/fixtures';
import { harness, single } from '../helpers';

describe('States.Format with an object or array argument', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-generic:
  // each {} is replaced by the value of its argument; Step Functions writes an object as {key=value, ...}.
  it('writes an object as {Arg1=1, Arg2=[]}', () => {
    expect(evaluateIntrinsic("States.Format('{}', $.o)", { o: { Arg1: 1, Arg2: [] } }, contextObject())).toBe(
      '{Arg1=1, Arg2=[]}',
    );
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-generic
  it('writes nested members without quotes around strings', () => {
    const input = { o: { name: 'a b', list: ['x', 2, null, true], inner: { k: 'v' } } };
    expect(evaluateIntrinsic("States.Format('<{}>', $.o)", input, contextObject())).toBe(
      '<{name=a b, list=[x, 2, null, true], inner={k=v}}>',
    );
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html
  it('writes the context object the same way in a running execution', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'text.$': "States.Format('{}', $$.State)" } }));
    expect(JSON.parse(result.output!)).toEqual({ text: '{Name=S, EnteredTime=2024-01-01T00:00:00.000Z}' });
  });
});

describe('States.StringToJson of an empty or blank string', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate
  it.each(['', ' ', '\t\n '])('returns null for %j', (text) => {
    expect(evaluateIntrinsic('States.StringToJson($.s)', { s: text }, contextObject())).toBeNull();
  });
});

describe('an escaped double quote in an intrinsic string literal', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ("Reserved characters
  // in intrinsic functions"): only ' { } and \ are escaped with a backslash, so \" is an open escape
  // and the definition is invalid. Step Functions refuses it at CreateStateMachine.
  it('is refused when the state machine is created, naming the state and field', () => {
    const h = harness();
    const definition = single({ Type: 'Pass', Parameters: { 'text.$': 'States.Format(\'say \\"hi\\" {}\', $.who)' } });
    expect(() => h.start(definition)).toThrow(
      /InvalidDefinition|Invalid State Machine Definition|state "S": field Parameters\.text\.\$/,
    );
    expect(() => h.start(definition)).toThrow(/open escape/);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ("Reserved characters")
  it('is refused in nested templates, ResultSelector and ErrorPath too', () => {
    const h = harness();
    const nested = single({ Type: 'Pass', Parameters: { deep: [{ 'v.$': "States.Format('\\\"')" }] } });
    expect(() => h.start(nested)).toThrow(/field Parameters\.v\.\$: .*open escape/);
    const failState = { StartAt: 'F', States: { F: { Type: 'Fail', ErrorPath: "States.Format('\\\"{}', $.e)" } } };
    expect(() => h.start(failState)).toThrow(/field ErrorPath: .*open escape/);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html ("Reserved characters")
  it("still accepts the documented escape \\' and runs it", async () => {
    const h = harness();
    const result = await h.run(
      single({ Type: 'Pass', Parameters: { 'text.$': "States.Format('it\\'s {}', $.who)" } }),
      {
        who: 'me',
      },
    );
    expect(JSON.parse(result.output!)).toEqual({ text: "it's me" });
  });
});
