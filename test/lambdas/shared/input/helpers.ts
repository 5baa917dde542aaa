import { expect } from 'vitest';
import { FanoutInputError } from '../../../../lambdas/shared/errors';

/** Runs `run` and returns the FanoutInputError it throws; fails the test when it throws nothing or something else. */
export function inputError(run: () => unknown): FanoutInputError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FanoutInputError);
    return error as FanoutInputError;
  }
  throw new Error('expected a FanoutInputError, but nothing was thrown');
}
