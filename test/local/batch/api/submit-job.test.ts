import { describe, expect, it } from 'vitest';
import { substituteParameters } from '../../../../local/batch';

describe('substituteParameters', () => {
  it('replaces a whole Ref:: argument with the parameter it names', () => {
    expect(substituteParameters(['echo', 'Ref::name'], { name: 'ada' })).toEqual(['echo', 'ada']);
  });

  it('leaves an argument naming no parameter, and text around a Ref::, as they are', () => {
    expect(substituteParameters(['Ref::missing', 'x-Ref::name', 'Ref::'], { name: 'ada' })).toEqual([
      'Ref::missing',
      'x-Ref::name',
      'Ref::',
    ]);
  });

  it('substitutes an empty value', () => {
    expect(substituteParameters(['Ref::empty'], { empty: '' })).toEqual(['']);
  });
});
