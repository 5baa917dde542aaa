import { describe, expect, it } from 'vitest';
import { readPath } from '../../../../local/engine/expressions';
import { contextObject } from '../expressions/fixtures';
import { harness, single } from '../helpers';

// https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html: reference
// paths may use bracket notation ($['x y']); Step Functions takes a backslash inside the quotes as
// an ordinary character, so $['a\"b'] names the key a\"b (backslash included).

describe('bracket notation with a backslash (amazon-states-language-paths.html)', () => {
  it('reads the key with the backslash kept', () => {
    const input = { 'a\\"b': 'with backslash', 'a"b': 'without' };
    expect(readPath(`$['a\\"b']`, input, contextObject())).toBe('with backslash');
  });

  it('does not read the key without the backslash', () => {
    expect(() => readPath(`$['a\\"b']`, { 'a"b': 'without' }, contextObject())).toThrow(/No results for path/);
  });

  it('reads such a key in a running execution, as an intrinsic function argument', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'v.$': `States.Format('{}', $['a\\"b'])` } }), {
      'a\\"b': 'with backslash',
      'a"b': 'without',
    });
    expect(JSON.parse(result.output!)).toEqual({ v: 'with backslash' });
  });
});
