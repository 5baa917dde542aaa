import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { harness, single } from '../helpers';

// The JSONata functions Step Functions adds, from
// https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html, "JSONata functions
// provided by Step Functions": $partition, $range, $hash, $random, $uuid and $parse, each the
// equivalent of an intrinsic function; "Built-in JSONata functions that require integer values as
// parameters will automatically round down any non-integer numbers provided."

const jsonata = (definition: object): object => ({ QueryLanguage: 'JSONata', ...definition });
const output = (result: { output?: string }) => JSON.parse(result.output ?? 'null');

describe('JSONata functions provided by Step Functions (transforming-data.html)', () => {
  const evaluate = async (expression: string, input: object = {}) => {
    const h = harness();
    return h.run(jsonata(single({ Type: 'Pass', Output: { value: `{% ${expression} %}` } })), input as never);
  };

  it('$partition splits an array into chunks of the given size', async () => {
    expect(output(await evaluate('$partition([1,2,3,4,5,6,7,8,9], 3)'))).toEqual({
      value: [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
    });
    expect(output(await evaluate('$partition([1,2,3,4], 3)'))).toEqual({ value: [[1, 2, 3], [4]] });
  });

  it('$range generates start to end inclusive by step', async () => {
    expect(output(await evaluate('$range(0, 10, 2)'))).toEqual({ value: [0, 2, 4, 6, 8, 10] });
  });

  it('$hash computes a lowercase hex digest with the named algorithm', async () => {
    expect(output(await evaluate("$hash('input data', 'SHA-1')"))).toEqual({
      value: 'aaff4a450a104cd177d28d18d74485e8cae074b7',
    });
    expect(output(await evaluate("$hash('abc', 'SHA-256')"))).toEqual({
      value: createHash('sha256').update('abc').digest('hex'),
    });
  });

  it('$random returns a number in [0, 1), the same one for the same seed', async () => {
    const seeded = output(await evaluate('[$random(42), $random(42)]')) as { value: number[] };
    expect(seeded.value[0]).toBe(seeded.value[1]);
    const unseeded = output(await evaluate('$random()')) as { value: number };
    expect(unseeded.value).toBeGreaterThanOrEqual(0);
    expect(unseeded.value).toBeLessThan(1);
  });

  it('$uuid returns a version 4 UUID', async () => {
    const result = output(await evaluate('$uuid()')) as { value: string };
    expect(result.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('$parse deserialises a JSON string', async () => {
    expect(output(await evaluate('$parse($states.input.text)', { text: '{"a":[1,true]}' }))).toEqual({
      value: { a: [1, true] },
    });
  });

  it.each([
    ['$range(0, 10, 0)', /\$range/],
    ['$partition([1], 0)', /\$partition/],
    ["$hash('a', 'SHA-3')", /\$hash/],
    ["$parse('{nope')", /\$parse/],
  ])('%s fails with States.QueryEvaluationError naming the function', async (expression, message) => {
    const result = await evaluate(expression);
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toMatch(message);
  });
});

describe('integer parameters round down (transforming-data.html, "JSONata functions")', () => {
  const value = async (expression: string) => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: `{% ${expression} %}` })));
    expect(result.status).toBe('SUCCEEDED');
    return output(result);
  };

  it('$partition uses the chunk size rounded down', async () => {
    expect(await value('$partition([1,2,3,4,5], 2.9)')).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('$range uses its start, end and step rounded down', async () => {
    expect(await value('$range(0.5, 4.9, 1.9)')).toEqual([0, 1, 2, 3, 4]);
    expect(await value('$range(5, -1.5, -2.5)')).toEqual([5, 2, -1]);
  });

  it('$random uses its seed rounded down', async () => {
    expect(await value('$random(7.8) = $random(7)')).toBe(true);
    expect(await value('$random(7) = $random(8)')).toBe(false);
  });
});

// The guide gives no limits for these functions; they keep those of the intrinsic functions they
// replace (intrinsic-functions.html): States.ArrayRange makes at most 1000 elements and States.Hash
// hashes at most 10,000 characters.
describe('limits kept from the intrinsic functions', () => {
  it.each([
    ['$range(1, 1001, 1)', /\$range can create at most 1000 elements/],
    ["$hash($pad('', 10001, 'x'), 'MD5')", /\$hash accepts at most 10000 characters/],
  ])('%s fails with States.QueryEvaluationError', async (expression, message) => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: `{% ${expression} %}` })));
    expect(result.error).toBe('States.QueryEvaluationError');
    expect(result.cause).toMatch(message);
  });

  it('$range makes 1000 elements', async () => {
    const h = harness();
    const result = await h.run(jsonata(single({ Type: 'Pass', Output: '{% $count($range(1, 1000, 1)) %}' })));
    expect(output(result)).toBe(1000);
  });
});
