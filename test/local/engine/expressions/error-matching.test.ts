import { describe, expect, it } from 'vitest';
import { isTerminalError, matchesErrorEquals, validateErrorEquals } from '../../../../local/engine/expressions/index';

// docs: step-functions/latest/dg/concepts-error-handling.html (Error names)
describe('matchesErrorEquals', () => {
  it('matches an error name exactly and case-sensitively', () => {
    expect(matchesErrorEquals(['Batch.ClientException'], 'Batch.ClientException')).toBe(true);
    expect(matchesErrorEquals(['Batch.ClientException'], 'batch.clientexception')).toBe(false);
    expect(matchesErrorEquals(['Lambda.Unknown', 'States.Timeout'], 'States.Timeout')).toBe(true);
    expect(matchesErrorEquals(['Lambda.Unknown'], 'States.Timeout')).toBe(false);
  });

  it('matches every error with States.ALL', () => {
    for (const error of [
      'States.TaskFailed',
      'States.Timeout',
      'States.HeartbeatTimeout',
      'DynamoDB.ConditionalCheckFailedException',
      'MyError',
    ]) {
      expect(matchesErrorEquals(['States.ALL'], error)).toBe(true);
    }
  });

  it('matches every error except States.Timeout with States.TaskFailed', () => {
    // docs: "States.TaskFailed acts as a wildcard that matches any known error name except for States.Timeout"
    expect(matchesErrorEquals(['States.TaskFailed'], 'States.TaskFailed')).toBe(true);
    expect(matchesErrorEquals(['States.TaskFailed'], 'Batch.ServerException')).toBe(true);
    expect(matchesErrorEquals(['States.TaskFailed'], 'States.HeartbeatTimeout')).toBe(true);
    expect(matchesErrorEquals(['States.TaskFailed'], 'States.Timeout')).toBe(false);
  });

  it('never matches the terminal errors States.Runtime and States.DataLimitExceeded', () => {
    // docs: "A retry or catch on States.ALL will not catch States.Runtime errors";
    // States.DataLimitExceeded "is a terminal error that can't be caught by the States.ALL error type"
    for (const error of ['States.Runtime', 'States.DataLimitExceeded']) {
      expect(isTerminalError(error)).toBe(true);
      expect(matchesErrorEquals(['States.ALL'], error)).toBe(false);
      expect(matchesErrorEquals(['States.TaskFailed'], error)).toBe(false);
      expect(matchesErrorEquals([error], error)).toBe(false);
    }
    expect(isTerminalError('States.TaskFailed')).toBe(false);
  });

  it('matches nothing with an empty list', () => {
    expect(matchesErrorEquals([], 'States.TaskFailed')).toBe(false);
  });
});

describe('validateErrorEquals', () => {
  const where = '/States/Submit/Retry/0/ErrorEquals';

  it('accepts a list of error names and States.ALL alone in the last Retrier', () => {
    expect(validateErrorEquals(['States.Timeout', 'Batch.ClientException'], where)).toBeUndefined();
    expect(validateErrorEquals(['States.ALL'], where)).toBeUndefined();
    expect(validateErrorEquals(['States.ALL'], where, { last: true })).toBeUndefined();
  });

  it('rejects States.ALL next to other names, naming the location', () => {
    // spec: states-language.net/spec.html: States.ALL "MUST appear alone in the ErrorEquals array"
    const message = validateErrorEquals(['States.ALL', 'States.Timeout'], where);
    expect(message).toContain(where);
    expect(message).toContain('States.ALL alone');
  });

  it('rejects States.ALL in a Retrier or Catcher that is not the last', () => {
    expect(validateErrorEquals(['States.ALL'], where, { last: false })).toContain('last Retrier or Catcher');
  });

  it('rejects an empty list and non-string names', () => {
    expect(validateErrorEquals([], where)).toContain('non-empty array');
    expect(validateErrorEquals('States.ALL', where)).toContain('non-empty array');
    expect(validateErrorEquals(['ok', 3], where)).toContain('only strings');
  });
});
