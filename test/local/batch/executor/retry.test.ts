import { describe, expect, it } from 'vitest';
import { decideRetry, globMatches } from '../../../../local/batch';

describe('globMatches', () => {
  // Patterns match the whole value, a trailing * matches any rest (docs: batch/latest/APIReference/API_EvaluateOnExit.html).
  it('matches the whole value without a wildcard', () => {
    expect(globMatches('137', '137')).toBe(true);
    expect(globMatches('13', '137')).toBe(false);
  });

  it('matches a prefix with a trailing asterisk', () => {
    expect(globMatches('Host EC2*', 'Host EC2 (instance i-0abc) terminated.')).toBe(true);
    expect(globMatches('Host EC2*', 'Essential container in task exited')).toBe(false);
  });

  it('matches a missing value only with a pattern that accepts the empty string', () => {
    expect(globMatches('*', undefined)).toBe(true);
    expect(globMatches('1*', undefined)).toBe(false);
  });
});

describe('decideRetry', () => {
  const exited = { exitCode: 1, statusReason: 'Essential container in task exited' };

  it('retries while attempts remain and no rule is given', () => {
    expect(decideRetry({ attempts: 2 }, 1, exited)).toBe('RETRY');
    expect(decideRetry({ attempts: 2 }, 2, exited)).toBe('EXIT');
  });

  it('lets the first matching rule decide', () => {
    const strategy = {
      attempts: 3,
      evaluateOnExit: [
        { onExitCode: '1', action: 'EXIT' as const },
        { onExitCode: '*', action: 'RETRY' as const },
      ],
    };
    expect(decideRetry(strategy, 1, exited)).toBe('EXIT');
    expect(decideRetry(strategy, 1, { ...exited, exitCode: 2 })).toBe('RETRY');
  });

  it('requires every condition of a rule to match', () => {
    const strategy = {
      attempts: 3,
      evaluateOnExit: [{ onExitCode: '1', onStatusReason: 'Host EC2*', action: 'EXIT' as const }],
    };
    expect(decideRetry(strategy, 1, exited)).toBe('RETRY');
    expect(decideRetry(strategy, 1, { exitCode: 1, statusReason: 'Host EC2 (instance i-1) terminated.' })).toBe('EXIT');
  });

  it('retries when rules exist but none matches', () => {
    // "If evaluateOnExit is specified, but none of the retry strategies match, then the job is retried."
    // (docs: batch/latest/userguide/job_retries.html)
    expect(decideRetry({ attempts: 3, evaluateOnExit: [{ onExitCode: '42', action: 'EXIT' }] }, 1, exited)).toBe(
      'RETRY',
    );
  });

  it('treats the catch-all onReason "*" as matching a failure without a reason', () => {
    expect(decideRetry({ attempts: 3, evaluateOnExit: [{ onReason: '*', action: 'EXIT' }] }, 1, exited)).toBe('EXIT');
  });
});
