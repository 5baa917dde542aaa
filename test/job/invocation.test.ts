import { describe, expect, it } from 'vitest';
import {
  InvocationError,
  kwargEnvironment,
  parseKwargs,
  resolveInvocation,
  substitutePlaceholders,
} from '../../job/invocation';

describe('substitutePlaceholders', () => {
  const kwargs = { seed: 7, name: 'ada', 'learning-rate': 0.1, config: { depth: [2, 4] }, flag: true, nothing: null };

  it('substitutes strings as-is and other JSON as JSON text', () => {
    expect(substitutePlaceholders('--name={name}', kwargs, 0)).toBe('--name=ada');
    expect(substitutePlaceholders('{seed}-{flag}-{nothing}', kwargs, 0)).toBe('7-true-null');
    expect(substitutePlaceholders('{config}', kwargs, 0)).toBe('{"depth":[2,4]}');
    expect(substitutePlaceholders('--lr={learning-rate}', kwargs, 0)).toBe('--lr=0.1');
  });

  it('turns {{ and }} into literal braces', () => {
    expect(substitutePlaceholders('{{seed}} is {seed}', kwargs, 0)).toBe('{seed} is 7');
    expect(substitutePlaceholders('}}{{', kwargs, 0)).toBe('}{');
  });

  it('leaves shell expansions and braces around non-names alone', () => {
    expect(substitutePlaceholders('echo ${HOME} $seed', kwargs, 0)).toBe('echo ${HOME} $seed');
    expect(substitutePlaceholders("awk '{print $1}' {}", kwargs, 0)).toBe("awk '{print $1}' {}");
    expect(substitutePlaceholders('unclosed {seed', kwargs, 0)).toBe('unclosed {seed');
  });

  it('names an unknown placeholder, the argument and the kwargs there are', () => {
    expect(() => substitutePlaceholders('--x={sed}', { seed: 1 }, 2)).toThrow(InvocationError);
    expect(() => substitutePlaceholders('--x={sed}', { seed: 1 }, 2)).toThrow(
      'command argument 2 ("--x={sed}") uses placeholder {sed}, but no kwarg is named "sed" (kwargs: seed)',
    );
  });
});

describe('parseKwargs', () => {
  it('reads no kwargs from an absent or empty variable', () => {
    expect(parseKwargs(undefined)).toEqual({});
    expect(parseKwargs('  ')).toEqual({});
  });

  it('rejects text that is not JSON, and JSON that is not an object', () => {
    expect(() => parseKwargs('{seed: 1}')).toThrow(/FANOUT_KWARGS is not valid JSON .*: \{seed: 1\}/);
    expect(() => parseKwargs('[1,2]')).toThrow('FANOUT_KWARGS must be a JSON object of kwargs, received [1,2]');
  });
});

describe('kwargEnvironment', () => {
  it('exports kwargs with valid variable names under their exact names', () => {
    expect(kwargEnvironment({ seed: 7, Name: 'ada', _x: [1], 'learning-rate': 0.1, '2d': true })).toEqual({
      seed: '7',
      Name: 'ada',
      _x: '[1]',
    });
  });

  it('refuses names reserved for Batch and fanout', () => {
    expect(() => kwargEnvironment({ AWS_BATCH_JOB_ID: 'x' })).toThrow(
      'kwarg "AWS_BATCH_JOB_ID" cannot be exported: names starting with AWS_BATCH are reserved',
    );
    expect(() => kwargEnvironment({ fanout_kwargs: 'x' })).toThrow(InvocationError);
  });
});

describe('resolveInvocation', () => {
  it('keeps the job environment when a kwarg has the same name, and still substitutes the kwarg', () => {
    const resolved = resolveInvocation({
      command: ['echo', '{PATH}'],
      environment: { PATH: '/usr/bin:/bin', FANOUT_KWARGS: JSON.stringify({ PATH: '/tmp/evil', seed: 3 }) },
    });
    expect(resolved.environment.PATH).toBe('/usr/bin:/bin');
    expect(resolved.environment.seed).toBe('3');
    expect(resolved.command).toEqual(['echo', '/tmp/evil']);
  });

  it('substitutes every argument and adds the kwargs to the environment it was given', () => {
    const resolved = resolveInvocation({
      command: ['sim', '--seed', '{seed}', '--out', 's3://bucket/{name}/out.json'],
      environment: { PATH: '/usr/bin', FANOUT_KWARGS: '{"seed":3,"name":"run a"}', UNSET: undefined },
    });
    expect(resolved).toEqual({
      command: ['sim', '--seed', '3', '--out', 's3://bucket/run a/out.json'],
      environment: { PATH: '/usr/bin', FANOUT_KWARGS: '{"seed":3,"name":"run a"}', seed: '3', name: 'run a' },
    });
  });

  it('runs a command without placeholders unchanged when there are no kwargs', () => {
    expect(resolveInvocation({ command: ['echo', 'hi'], environment: {} })).toEqual({
      command: ['echo', 'hi'],
      environment: {},
    });
  });

  it('does not modify the environment it is given', () => {
    const environment = { FANOUT_KWARGS: '{"a":1}' };
    resolveInvocation({ command: ['true'], environment });
    expect(environment).toEqual({ FANOUT_KWARGS: '{"a":1}' });
  });

  it('refuses an empty command', () => {
    expect(() => resolveInvocation({ command: [], environment: {} })).toThrow('no command to run');
  });

  it("sets the run's declared variables over the job's own, before kwargs, and hides FANOUT_ENVIRONMENT", () => {
    const resolved = resolveInvocation({
      command: ['python3', 'train.py'],
      environment: {
        PYTHONPATH: '/image/default',
        FANOUT_ENVIRONMENT: JSON.stringify({ PYTHONPATH: 'src', MODEL: 'small' }),
        FANOUT_KWARGS: JSON.stringify({ MODEL: 'from-kwarg', lr: 0.1 }),
      },
    });
    expect(resolved.environment).toEqual({
      PYTHONPATH: 'src',
      MODEL: 'small',
      lr: '0.1',
      FANOUT_KWARGS: '{"MODEL":"from-kwarg","lr":0.1}',
    });
  });

  it('refuses a declared environment that is not an object of string variables', () => {
    for (const text of ['[1]', '{"A":1}', '{"1A":"x"}', 'nope']) {
      expect(() => resolveInvocation({ command: ['true'], environment: { FANOUT_ENVIRONMENT: text } })).toThrow(
        InvocationError,
      );
    }
  });
});
