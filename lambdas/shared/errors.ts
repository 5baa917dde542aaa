/**
 * Errors raised by the fanout Lambda handlers. Each class sets `name`, because the Lambda
 * runtime reports `name` as the error type and Step Functions surfaces it as the error of
 * the Task (e.g. `FanoutInputError` in the execution history).
 */

import type { z } from 'zod';

/** Base class of every error the handlers raise on purpose. */
export class FanoutError extends Error {
  override readonly name: string = 'FanoutError';
}

/** One broken rule in an execution input: where, which rule, and what was received. */
export interface InputIssue {
  /** Dotted field path, e.g. `items.3.id`; `(root)` for the input itself. */
  readonly path: string;
  /** The rule that failed, phrased for the user. */
  readonly message: string;
  /** The offending value as short JSON text, when there is one. */
  readonly received?: string;
}

const MAX_ISSUES_IN_MESSAGE = 10;

/**
 * The execution input breaks a rule. Raised before anything is written, so a rejected input
 * leaves no manifest, no ledger row and no job behind.
 */
export class FanoutInputError extends FanoutError {
  override readonly name = 'FanoutInputError';
  readonly issues: readonly InputIssue[];

  constructor(issues: readonly InputIssue[], options?: { cause?: unknown }) {
    super(formatIssues(issues), options);
    this.issues = issues;
  }

  /** Shorthand for a single issue. */
  static of(path: string, message: string, received?: unknown): FanoutInputError {
    return new FanoutInputError([
      { path, message, ...(received === undefined ? {} : { received: describeValue(received) }) },
    ]);
  }
}

/** A required environment variable of a handler is missing or empty. */
export class EnvironmentVariableError extends FanoutError {
  override readonly name = 'EnvironmentVariableError';
}

/** A handler received an event that is not what the state machine sends it. */
export class EventError extends FanoutError {
  override readonly name = 'EventError';
}

/**
 * Validates a handler's event against its schema.
 * @throws EventError naming what the handler expects and every field that is wrong.
 * @example const event = parseEvent(prepareEventSchema, raw, 'Prepare expects {input, executionName, executionArn}');
 */
export function parseEvent<T>(schema: z.ZodType<T>, raw: unknown, expectation: string): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new EventError(
      `${expectation}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

const MAX_VALUE_TEXT = 80;

const isJsonContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** A JSON preview of at most about `max` characters, built without recursion (safe on any depth). */
export function jsonPreview(value: unknown, max = 80): string {
  let text = '';
  const pending: Array<{ value: unknown } | { literal: string }> = [{ value }];
  for (let next = pending.pop(); next !== undefined && text.length <= max; next = pending.pop()) {
    if ('literal' in next) {
      text += next.literal;
      continue;
    }
    const current = next.value;
    if (!isJsonContainer(current)) {
      text += JSON.stringify(current) ?? 'null';
      continue;
    }
    const isArray = Array.isArray(current);
    const entries = Object.entries(current);
    text += isArray ? '[' : '{';
    pending.push({ literal: isArray ? ']' : '}' });
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const [key, child] = entries[index] as [string, unknown];
      pending.push({ value: child });
      if (!isArray) pending.push({ literal: `${JSON.stringify(key)}:` });
      if (index > 0) pending.push({ literal: ',' });
    }
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Short JSON text of a value for error messages: long values are cut with an ellipsis. */
export function describeValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = 'undefined';
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint') text = `${value}n`;
  else if (typeof value === 'function') text = 'a function';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      // Too deep for JSON.stringify's recursion (or a cycle): a bounded preview never recurses.
      text = jsonPreview(value, MAX_VALUE_TEXT);
    }
  }
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT)}…` : text;
}

function formatIssues(issues: readonly InputIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map((issue) => {
    const received = issue.received === undefined ? '' : ` (received ${issue.received})`;
    return `${issue.path}: ${issue.message}${received}`;
  });
  const more = issues.length > MAX_ISSUES_IN_MESSAGE ? `; and ${issues.length - MAX_ISSUES_IN_MESSAGE} more` : '';
  return `invalid execution input: ${shown.join('; ')}${more}`;
}
