import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, editDistance } from '../../cli/suggest';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit each', () => {
    expect(editDistance('list', 'list')).toBe(0);
    expect(editDistance('lst', 'list')).toBe(1);
    expect(editDistance('lists', 'list')).toBe(1);
    expect(editDistance('lost', 'list')).toBe(1);
    expect(editDistance('lsit', 'list')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('closestMatch', () => {
  const runs = ['run-20261207T063830-dcb455', 'run-20261207T063326-840e84', 'sweep-7'];

  it('names the candidate one typo away', () => {
    expect(closestMatch('run-20261207T063830-dcb45x', runs)).toBe('run-20261207T063830-dcb455');
    expect(closestMatch('sweep-8', runs)).toBe('sweep-7');
  });

  it('names the one candidate an abbreviation starts', () => {
    expect(closestMatch('run-20261207T0633', runs)).toBe('run-20261207T063326-840e84');
  });

  it('names none when nothing is close or an abbreviation fits several', () => {
    expect(closestMatch('nightly', runs)).toBeUndefined();
    expect(closestMatch('run-2026', runs)).toBeUndefined();
    expect(closestMatch('x', [])).toBeUndefined();
  });

  it('allows at most one edit in a short name', () => {
    expect(closestMatch('b', ['a'])).toBe('a');
    expect(closestMatch('ab', ['ba'])).toBe('ba');
    expect(closestMatch('abc', ['xyz'])).toBeUndefined();
  });
});

describe('didYouMean', () => {
  it('is a suffix for a "not found" message, empty when nothing is close', () => {
    expect(didYouMean('0007', ['0001', '0017', 'zzzz'])).toBe(' (did you mean 0001?)');
    expect(didYouMean('nothing-like-it', ['0001'])).toBe('');
  });
});
