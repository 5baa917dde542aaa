import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config';
import { FanoutInputError } from '../../../lambdas/shared/errors';
import {
  DEFAULT_JOB_DEFINITION,
  DEFAULT_JOB_QUEUE,
  effectiveRetry,
  effectiveThresholds,
  ItemCollector,
  itemSourceOf,
  jobNameFor,
  parseExecutionInput,
  RequestSizer,
  type RunContext,
  SIZE_LIMITS,
  validateInput,
} from '../../../lambdas/shared/input';

function inputError(run: () => unknown): FanoutInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FanoutInputError);
    return error as FanoutInputError;
  }
  throw new Error('expected a FanoutInputError, but nothing was thrown');
}

const context: RunContext = {
  runId: 'run-1',
  round: 1,
  jobQueue: 'fanout-high',
  jobDefinition: 'fanout-job:1',
  command: ['sim', '--seed', '{seed}'],
  idempotent: true,
};

describe('parseExecutionInput', () => {
  it('applies a default to every option', () => {
    expect(parseExecutionInput({ items: [{ a: 1 }] })).toEqual({
      items: [{ a: 1 }],
      idempotent: true,
      maxConcurrency: 1000,
      retry: { rounds: 1, maxAttempts: 3 },
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job',
      failFast: false,
    });
  });

  it('defaults the job queue and job definition to the first ones of fanout.config.json', () => {
    const config = loadConfig();
    expect(DEFAULT_JOB_QUEUE).toBe(config.jobQueues[0]?.name);
    expect(DEFAULT_JOB_DEFINITION).toBe(config.jobDefinitions[0]?.name);
  });

  it('accepts maxConcurrency 0 (as many as Step Functions allows) and a job definition ARN', () => {
    const input = parseExecutionInput({
      replicas: { count: 2 },
      maxConcurrency: 0,
      jobDefinition: 'arn:aws:batch:us-east-1:123456789012:job-definition/fanout-job:3',
    });
    expect(input.maxConcurrency).toBe(0);
  });

  // Each row: an invalid input, the field path the error must name, and a fragment of the rule.
  const invalidInputs: Array<[string, unknown, string, string]> = [
    ['a non-object input', [1, 2], '(root)', 'expected object'],
    ['no item source', { idempotent: true }, '(root)', 'exactly one item source is required'],
    ['two item sources', { items: [{}], grid: { a: [1] } }, 'grid', 'items and grid were given'],
    ['an unknown top-level key', { items: [{}], colour: 'red' }, 'colour', 'unknown key "colour"'],
    ['an unknown key in retry', { items: [{}], retry: { rounds: 1, tries: 2 } }, 'retry.tries', 'unknown key "tries"'],
    ['an empty items list', { items: [] }, 'items', 'items must not be empty'],
    ['an item that is not an object', { items: ['x'] }, 'items.0', 'expected object'],
    ['an item id with a space', { items: [{ id: 'a b' }] }, 'items.0.id', 'an item id must be'],
    ['a negative integer item id', { items: [{ id: -1 }] }, 'items.0.id', 'non-negative integer'],
    ['a non-boolean idempotent flag', { items: [{}], idempotent: 'yes' }, 'idempotent', 'expected boolean'],
    [
      'a reserved kwarg name',
      { items: [{ AWS_BATCH_JOB_ID: 'x' }] },
      'items.0.AWS_BATCH_JOB_ID',
      'must not start with AWS_BATCH',
    ],
    ['a non-JSON kwarg value', { items: [{ x: Number.NaN }] }, 'items.0.x', 'Invalid input'],
    ['an empty grid list', { grid: { lr: [] } }, 'grid.lr', 'must not be empty'],
    ['an empty grid', { grid: {} }, 'grid', 'at least one named value list'],
    [
      'a grid larger than a run allows',
      { grid: { a: Array(1000).fill(0), b: Array(1000).fill(0) } },
      'grid',
      'at most 100000',
    ],
    ['zero replicas', { replicas: { count: 0 } }, 'replicas.count', 'count must be at least 1'],
    [
      'replicas whose kwargs hold the index key',
      { replicas: { count: 2, kwargs: { replica: 1 } } },
      'replicas.kwargs.replica',
      'must not contain the indexKey',
    ],
    ['a source that is not an S3 URI', { source: 'https://example.com/x.json' }, 'source', 'must be an S3 URI'],
    ['a source of another format', { source: 's3://bucket/items.csv' }, 'source', '.jsonl manifest'],
    [
      'a negative tolerated percentage',
      { items: [{}], toleratedFailurePercentage: -1 },
      'toleratedFailurePercentage',
      'between 0 and 100',
    ],
    [
      'a tolerated percentage over 100',
      { items: [{}], toleratedFailurePercentage: 101 },
      'toleratedFailurePercentage',
      'between 0 and 100',
    ],
    ['a negative tolerated count', { items: [{}], toleratedFailureCount: -2 }, 'toleratedFailureCount', 'at least 0'],
    [
      'a fractional tolerated count',
      { items: [{}], toleratedFailureCount: 1.5 },
      'toleratedFailureCount',
      'must be an integer',
    ],
    ['maxConcurrency above 10,000', { items: [{}], maxConcurrency: 10_001 }, 'maxConcurrency', 'between 0 and 10000'],
    ['zero maxAttempts', { items: [{}], retry: { maxAttempts: 0 } }, 'retry.maxAttempts', 'at least 1'],
    ['an empty command', { items: [{}], command: [] }, 'command', 'at least one element'],
    ['a command that is a string', { items: [{}], command: 'echo hi' }, 'command', 'expected array'],
    ['a runId starting with a hyphen', { items: [{}], runId: '-run' }, 'runId', 'runId must be 1-64'],
    ['a runId longer than 64 characters', { items: [{}], runId: 'r'.repeat(65) }, 'runId', 'runId must be 1-64'],
    ['a job queue name with a slash', { items: [{}], jobQueue: 'a/b' }, 'jobQueue', 'job queue name'],
    [
      'failFast with a tolerated percentage',
      { items: [{}], failFast: true, toleratedFailurePercentage: 10 },
      'toleratedFailurePercentage',
      'failFast and toleratedFailurePercentage cannot be combined',
    ],
    [
      'failFast with a tolerated count',
      { items: [{}], failFast: true, toleratedFailureCount: 0 },
      'toleratedFailureCount',
      'failFast and toleratedFailureCount cannot be combined',
    ],
    ['a non-boolean failFast', { items: [{}], failFast: 'yes' }, 'failFast', 'expected boolean'],
    ['retryOf with an item source', { retryOf: 'sweep-1', items: [{}] }, 'items', 'items cannot be given with retryOf'],
    [
      'retryOf with an option',
      { retryOf: 'sweep-1', maxConcurrency: 3 },
      'maxConcurrency',
      'maxConcurrency cannot be given with retryOf',
    ],
    ['a retryOf that is no run id', { retryOf: 'a/b' }, 'retryOf', 'retryOf must be a run id'],
    [
      'resumeOf with an item source',
      { resumeOf: 'sweep-1', items: [{}] },
      'items',
      'items cannot be given with resumeOf',
    ],
    [
      'resumeOf with retryOf',
      { resumeOf: 'sweep-1', retryOf: 'sweep-1' },
      'retryOf',
      'retryOf cannot be given with resumeOf',
    ],
    ['a resumeOf that is no run id', { resumeOf: 'a/b' }, 'resumeOf', 'resumeOf must be a run id'],
  ];

  it.each(invalidInputs)('rejects %s, naming the field and the rule', (_label, raw, path, rule) => {
    const error = inputError(() => parseExecutionInput(raw));
    const issue = error.issues.find((candidate) => candidate.path === path);
    expect(issue, `issues: ${JSON.stringify(error.issues)}`).toBeDefined();
    expect(issue?.message).toContain(rule);
    expect(error.message).toContain(`${path}: `);
  });

  it('accepts retryOf alone, as an input without an item source', () => {
    const input = parseExecutionInput({ retryOf: 'sweep-1' });
    expect(input.retryOf).toBe('sweep-1');
    expect(itemSourceOf(input)).toEqual({ kind: 'retry', runId: 'sweep-1' });
  });

  it('accepts resumeOf alone, as an input without an item source', () => {
    const input = parseExecutionInput({ resumeOf: 'sweep-1' });
    expect(input.resumeOf).toBe('sweep-1');
  });

  it('gives a failFast run thresholds of 0 and no retry round', () => {
    const input = parseExecutionInput({ items: [{}, {}], failFast: true, retry: { rounds: 3, maxAttempts: 4 } });
    expect(effectiveThresholds(input, 2)).toEqual({ toleratedFailurePercentage: 0, toleratedFailureCount: 0 });
    expect(effectiveRetry(input)).toEqual({ rounds: 0, maxAttempts: 4 });
    expect(effectiveRetry(parseExecutionInput({ items: [{}], retry: { rounds: 3 } }))).toEqual({
      rounds: 3,
      maxAttempts: 3,
    });
  });

  it('names the received value, cut short when long', () => {
    const error = inputError(() => parseExecutionInput({ items: [{}], runId: `-${'x'.repeat(200)}` }));
    expect(error.message).toContain('(received "-xxxx');
    expect(error.message).toContain('…)');
    expect(error.message.length).toBeLessThan(400);
  });

  it('lists the allowed keys when it rejects an unknown one', () => {
    const error = inputError(() => parseExecutionInput({ items: [{}], retries: 2 }));
    expect(error.message).toContain('retries: unknown key "retries" (allowed: items, grid, replicas, source,');
    expect(error.message).toContain('(received 2)');
  });
});

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

describe('effectiveThresholds', () => {
  // AWS fails a Map Run when either threshold is exceeded (step-functions/latest/dg/maprun-fail-threshold.html),
  // and the definition always sets both paths: an option left out must never be the one that trips.
  it('tolerates no failure when neither option is set', () => {
    expect(effectiveThresholds({}, 10)).toEqual({ toleratedFailurePercentage: 0, toleratedFailureCount: 0 });
  });

  it('applies only the count when only the count is set', () => {
    expect(effectiveThresholds({ toleratedFailureCount: 2 }, 10)).toEqual({
      toleratedFailurePercentage: 100,
      toleratedFailureCount: 2,
    });
  });

  it('applies only the percentage when only the percentage is set', () => {
    expect(effectiveThresholds({ toleratedFailurePercentage: 5 }, 10)).toEqual({
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 10,
    });
  });

  it('keeps both when both are set', () => {
    expect(effectiveThresholds({ toleratedFailurePercentage: 5, toleratedFailureCount: 0 }, 10)).toEqual({
      toleratedFailurePercentage: 5,
      toleratedFailureCount: 0,
    });
  });
});

describe('jobNameFor', () => {
  it('joins run id and item id and maps dots to underscores', () => {
    expect(jobNameFor('sweep', 'v1.2')).toBe('sweep-v1_2');
  });

  it('keeps names within the 128 characters Batch allows, distinct per item', () => {
    const runId = 'r'.repeat(64);
    const a = jobNameFor(runId, `${'a'.repeat(99)}1`);
    const b = jobNameFor(runId, `${'a'.repeat(99)}2`);
    expect(a).toHaveLength(128);
    expect(a).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/);
    expect(a).not.toBe(b);
  });
});

describe('RequestSizer', () => {
  it('computes the exact byte sizes of the overrides, the SubmitJob request and the child input', () => {
    const item = {
      itemId: 'e-1',
      jobName: 'run-1-e-1',
      kwargsJson: JSON.stringify({ seed: 3, text: 'ünïcode "quoted"\n' }),
    };
    const containerOverrides = {
      command: context.command,
      environment: [
        { name: 'FANOUT_KWARGS', value: item.kwargsJson },
        { name: 'FANOUT_RUN_ID', value: context.runId },
        { name: 'FANOUT_ITEM_ID', value: item.itemId },
      ],
    };
    const submit = {
      jobName: item.jobName,
      jobQueue: context.jobQueue,
      jobDefinition: context.jobDefinition,
      containerOverrides,
    };
    const child = {
      runId: context.runId,
      round: context.round,
      jobQueue: context.jobQueue,
      jobDefinition: context.jobDefinition,
      command: context.command,
      itemId: item.itemId,
      jobName: item.jobName,
      kwargs: JSON.parse(item.kwargsJson),
    };
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    expect(new RequestSizer(context).sizes(item)).toEqual({
      containerOverrides: bytes(containerOverrides),
      submitJobPayload: bytes(submit),
      childInput: bytes(child),
    });
  });

  it('accepts an item at exactly the overrides budget and rejects one byte more', () => {
    const limit = SIZE_LIMITS.containerOverrides - SIZE_LIMITS.containerOverridesReservedForBatch;
    const sizer = new RequestSizer(context);
    const base = sizer.sizes({ itemId: '0', jobName: 'run-1-0', kwargsJson: '{"seed":1,"p":""}' }).containerOverrides;
    const fits = { seed: 1, p: 'x'.repeat(limit - base) };
    const collector = new ItemCollector(context);
    collector.add(fits, 'items.0');
    expect(collector.finish()).toHaveLength(1);
    const tooBig = new ItemCollector(context);
    tooBig.add({ seed: 1, p: 'x'.repeat(limit - base + 1) }, 'items.0');
    expect(() => tooBig.finish()).toThrow(/would take 7169 bytes; at most 7168/);
  });
});

describe('aggregate', () => {
  it('defaults its kwargs to none', () => {
    const input = parseExecutionInput({ replicas: { count: 2 }, aggregate: { command: ['reduce'] } });
    expect(input.aggregate).toEqual({ command: ['reduce'], kwargs: {} });
  });

  it('names the argument whose placeholder has no kwarg', () => {
    const error = inputError(() =>
      parseExecutionInput({
        replicas: { count: 2 },
        aggregate: { command: ['reduce', '{dir}'], kwargs: { other: 1 } },
      }),
    );
    expect(error.message).toContain(
      'aggregate.command.1: aggregate.command placeholder {dir} has no value in aggregate.kwargs',
    );
  });

  it('rejects an unknown key of aggregate, naming the allowed ones', () => {
    const error = inputError(() =>
      parseExecutionInput({ replicas: { count: 2 }, aggregate: { command: ['reduce'], queue: 'x' } }),
    );
    expect(error.message).toMatch(/aggregate.*queue/);
    expect(error.message).toContain('command, kwargs');
  });

  it('rejects an empty command', () => {
    const error = inputError(() => parseExecutionInput({ replicas: { count: 2 }, aggregate: { command: [] } }));
    expect(error.message).toContain('aggregate.command must have at least one element');
  });
});
