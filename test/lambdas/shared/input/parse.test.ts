import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../config';
import { parseExecutionInput } from '../../../../lambdas/shared/input/parse';
import { DEFAULT_JOB_DEFINITION, DEFAULT_JOB_QUEUE } from '../../../../lambdas/shared/input/schema';
import { effectiveRetry, effectiveThresholds } from '../../../../lambdas/shared/input/settings';
import { itemSourceOf } from '../../../../lambdas/shared/input/sources';
import { inputError } from './helpers';

describe('parseExecutionInput', () => {
  it('applies a default to every option', () => {
    expect(parseExecutionInput({ items: [{ a: 1 }] })).toEqual({
      items: [{ a: 1 }],
      idempotent: true,
      maxConcurrency: 1000,
      retry: { rounds: 1, maxAttempts: 3 },
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job',
      environment: {},
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
    // docs: batch/latest/APIReference/API_SubmitJob.html (shareIdentifier, schedulingPriorityOverride)
    [
      'a shareIdentifier with a hyphen',
      { items: [{}], shareIdentifier: 'team-a' },
      'shareIdentifier',
      'shareIdentifier must be 1-255 letters or digits, optionally followed by "*"',
    ],
    [
      'an empty shareIdentifier',
      { items: [{}], shareIdentifier: '' },
      'shareIdentifier',
      'shareIdentifier must be 1-255 letters or digits',
    ],
    [
      'a shareIdentifier of 256 characters',
      { items: [{}], shareIdentifier: 'a'.repeat(256) },
      'shareIdentifier',
      'shareIdentifier must be 1-255 letters or digits',
    ],
    [
      'a schedulingPriority above 9999',
      { items: [{}], schedulingPriority: 10_000 },
      'schedulingPriority',
      'schedulingPriority must be between 0 and 9999',
    ],
    [
      'a negative schedulingPriority',
      { items: [{}], schedulingPriority: -1 },
      'schedulingPriority',
      'schedulingPriority must be between 0 and 9999',
    ],
    [
      'a fractional schedulingPriority',
      { items: [{}], schedulingPriority: 1.5 },
      'schedulingPriority',
      'schedulingPriority must be an integer',
    ],
    [
      // Batch orders by scheduling priority only on fair-share queues (API_SubmitJob.html, schedulingPriorityOverride).
      'a schedulingPriority without a shareIdentifier',
      { items: [{}], schedulingPriority: 5 },
      'schedulingPriority',
      'schedulingPriority needs a shareIdentifier',
    ],
    [
      'retryOf with a shareIdentifier',
      { retryOf: 'sweep-1', shareIdentifier: 'teamA' },
      'shareIdentifier',
      'shareIdentifier cannot be given with retryOf',
    ],
  ];

  it('accepts a shareIdentifier of 255 letters and digits with a trailing *, and schedulingPriority 0 and 9999', () => {
    const longest = `${'a1'.repeat(127)}b*`;
    expect(parseExecutionInput({ items: [{}], shareIdentifier: longest }).shareIdentifier).toBe(longest);
    for (const priority of [0, 9999]) {
      expect(
        parseExecutionInput({ items: [{}], shareIdentifier: 'teamA', schedulingPriority: priority }).schedulingPriority,
      ).toBe(priority);
    }
  });

  it('names the received shareIdentifier when refusing it', () => {
    expect(() => parseExecutionInput({ items: [{}], shareIdentifier: 'team-a' })).toThrow('(received "team-a")');
  });

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
