import { describe, expect, it } from 'vitest';
import { validateInput } from '../../../../lambdas/shared/input/plan';
import { inputError } from './helpers';

describe('validateInput', () => {
  it('refuses items that lack a kwarg the command refers to, naming each such item', () => {
    const error = inputError(() =>
      validateInput({
        items: [{ seed: 1 }, { other: 2 }, { seed: 3 }],
        command: ['sim', '--seed', '{seed}', '{{literal}}'],
        runId: 'r',
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'items.1',
        message: 'the command uses {seed} but this item has no kwarg of that name (write {{name}} for literal braces)',
        received: '{"other":2}',
      },
    ]);
  });

  it('says once how many items lack a kwarg the command refers to, naming the first', () => {
    const error = inputError(() =>
      validateInput({
        replicas: { count: 500, kwargs: { samples: 10 } },
        command: ['sim', '{seed}', '{samples}'],
        runId: 'r',
      }),
    );
    expect(error.issues).toEqual([
      {
        path: 'replicas (replica 0)',
        message:
          'the command uses {seed} but 500 items have no kwarg of that name, this one first (write {{name}} for literal braces)',
        received: '{"samples":10,"replica":0}',
      },
    ]);
  });

  it('keeps one message per distinct set of missing placeholders, in the order first met', () => {
    const error = inputError(() =>
      validateInput({
        items: [{ a: 1 }, { b: 2 }, { a: 3 }, { c: 4 }],
        command: ['sim', '{a}', '{b}'],
        runId: 'r',
      }),
    );
    expect(error.issues.map((issue) => [issue.path, issue.message.split(' but ')[0]])).toEqual([
      ['items.0', 'the command uses {b}'],
      ['items.1', 'the command uses {a}'],
      ['items.3', 'the command uses {a}, {b}'],
    ]);
    expect(error.issues[0]?.message).toContain('2 items have no kwarg');
  });

  it('gives items without an id their zero-padded position, width = digits of N', () => {
    const plan = validateInput({ replicas: { count: 10 }, runId: 'mc' });
    expect(plan.items?.map((item) => item.itemId)).toEqual([
      '00',
      '01',
      '02',
      '03',
      '04',
      '05',
      '06',
      '07',
      '08',
      '09',
    ]);
    expect(plan.items?.[3]).toEqual({ itemId: '03', jobName: 'mc-03', kwargsJson: '{"replica":3}', idempotent: true });
  });

  it('keeps user ids, strips id and idempotent from the kwargs, and lets an item override idempotent', () => {
    const plan = validateInput({
      items: [
        { id: 'a.1', x: 1 },
        { id: 7, idempotent: false, x: 2 },
      ],
      runId: 'r',
      idempotent: true,
    });
    expect(plan.items).toEqual([
      { itemId: 'a.1', jobName: 'r-a_1', kwargsJson: '{"x":1}', idempotent: true },
      { itemId: '7', jobName: 'r-7', kwargsJson: '{"x":2}', idempotent: false },
    ]);
  });

  it('expands a grid as a cartesian product, the first key varying slowest', () => {
    const plan = validateInput({ grid: { lr: [0.1, 0.01], depth: [2, 4, 8] }, runId: 'g' });
    expect(plan.items?.map((item) => item.kwargsJson)).toEqual([
      '{"lr":0.1,"depth":2}',
      '{"lr":0.1,"depth":4}',
      '{"lr":0.1,"depth":8}',
      '{"lr":0.01,"depth":2}',
      '{"lr":0.01,"depth":4}',
      '{"lr":0.01,"depth":8}',
    ]);
  });

  it('puts each replica index under indexKey next to the shared kwargs', () => {
    const plan = validateInput({ replicas: { count: 2, kwargs: { steps: 10 }, indexKey: 'seed' }, runId: 'm' });
    expect(plan.items?.map((item) => item.kwargsJson)).toEqual(['{"steps":10,"seed":0}', '{"steps":10,"seed":1}']);
  });

  it('takes the run id from the execution name when the input has none', () => {
    expect(validateInput({ items: [{}] }, { executionName: 'nightly-42' }).runId).toBe('nightly-42');
  });

  it('rejects an execution name that cannot serve as a run id', () => {
    const error = inputError(() => validateInput({ items: [{}] }, { executionName: 'has:colon' }));
    expect(error.issues[0]).toMatchObject({ path: 'runId', received: '"has:colon"' });
  });

  it('rejects duplicate ids, naming both positions', () => {
    const error = inputError(() => validateInput({ items: [{ id: 'a' }, { id: 'b' }, { id: 'a' }], runId: 'r' }));
    expect(error.issues).toEqual([
      { path: 'items.2.id', message: 'duplicate item id, already used by items.0', received: '"a"' },
    ]);
  });

  it('rejects an integer id equal to a string id', () => {
    const error = inputError(() => validateInput({ items: [{ id: '5' }, { id: 5 }], runId: 'r' }));
    expect(error.issues[0]?.path).toBe('items.1.id');
  });

  it("rejects an explicit id that collides with another item's positional id", () => {
    const error = inputError(() => validateInput({ items: [{ id: '1' }, { x: 1 }], runId: 'r' }));
    expect(error.issues[0]).toMatchObject({
      path: 'items.1',
      message: 'its positional id "1" is already used as an explicit id by items.0',
    });
  });

  it('rejects an oversized item before anything else, naming it and the limit', () => {
    const big = 'x'.repeat(8000);
    const error = inputError(() => validateInput({ items: [{ small: 1 }, { big }], runId: 'r' }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('items.1');
    expect(error.issues[0]?.message).toContain('at most 7168 are allowed');
  });

  it('reports every oversized item, not only the first', () => {
    const big = 'x'.repeat(8000);
    const error = inputError(() => validateInput({ items: [{ big }, { big }, { big }], runId: 'r' }));
    expect(error.issues.map((issue) => issue.path)).toEqual(['items.0', 'items.1', 'items.2']);
  });

  it('leaves S3 sources to Prepare', () => {
    const plan = validateInput({ source: 's3://fanout-data/in/items.jsonl', runId: 'r' });
    expect(plan.items).toBeUndefined();
    expect(plan.source).toEqual({
      kind: 's3',
      uri: 's3://fanout-data/in/items.jsonl',
      bucket: 'fanout-data',
      key: 'in/items.jsonl',
      format: 'jsonl',
    });
  });
});
