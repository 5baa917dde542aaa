/**
 * The functions Step Functions adds to JSONata (docs: step-functions/latest/dg/transforming-data.html,
 * "JSONata functions provided by Step Functions"): `$partition`, `$range`, `$hash`, `$random` (with an
 * optional seed), `$uuid` and `$parse`; `$eval` is not available. They share their rules with the
 * intrinsic functions they replace (States.ArrayPartition, States.ArrayRange, States.Hash,
 * States.MathRandom, States.UUID, States.StringToJson). Their integer parameters round a number
 * with a fraction down (the page's note on built-in functions that require integer values).
 */

import { StatesError, StatesErrors } from '../errors';
import type { Json } from '../types';
import { INTRINSIC_FUNCTIONS, IntrinsicArgumentError, seededRandom } from './intrinsic-functions';

/** What the functions draw randomness from; injected so tests are deterministic. */
export interface JsonataEnvironment {
  random: () => number;
  newUuid: () => string;
}

function queryError(message: string): StatesError {
  return new StatesError(StatesErrors.QueryEvaluationError, message);
}

/** Runs an intrinsic's rule under the JSONata function's name, so messages name `$range`, not `States.ArrayRange`. */
function viaIntrinsic(intrinsic: string, name: string, args: readonly unknown[]): Json {
  const spec = INTRINSIC_FUNCTIONS.get(intrinsic)!;
  if (args.length < spec.minArgs || args.length > spec.maxArgs) {
    throw queryError(`The function ${name} ${spec.arity}; received ${args.length}`);
  }
  try {
    return spec.apply(args as Json[], { random: undefined, templatePieces: undefined });
  } catch (error) {
    if (error instanceof IntrinsicArgumentError) throw queryError(error.message.replaceAll(intrinsic, name));
    throw error;
  }
}

/** An integer parameter as Step Functions reads it: a finite number with a fraction is rounded down. */
const roundDown = (value: unknown): unknown =>
  typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : value;

/** The functions bound into every evaluation, by name without the `$`. */
export function stepFunctionsFunctions(env: JsonataEnvironment): Record<string, (...args: unknown[]) => unknown> {
  return {
    partition: (...args) =>
      viaIntrinsic(
        'States.ArrayPartition',
        '$partition',
        args.map((arg, i) => (i === 0 ? arg : roundDown(arg))),
      ),
    range: (...args) => viaIntrinsic('States.ArrayRange', '$range', args.map(roundDown)),
    hash: (...args) => {
      if (typeof args[0] !== 'string') {
        throw queryError(`The function $hash requires a string as its first argument; received ${typeof args[0]}`);
      }
      return viaIntrinsic('States.Hash', '$hash', args);
    },
    random: (...args) => {
      if (args.length > 1) throw queryError(`The function $random takes 0 or 1 arguments; received ${args.length}`);
      if (args.length === 0 || args[0] === undefined) return env.random();
      const seed = args[0];
      if (typeof seed !== 'number' || !Number.isFinite(seed)) {
        throw queryError(`The function $random requires an integer seed; received ${JSON.stringify(seed)}`);
      }
      return seededRandom(Math.floor(seed));
    },
    uuid: (...args) => {
      if (args.length > 0) throw queryError(`The function $uuid takes no arguments; received ${args.length}`);
      return env.newUuid();
    },
    parse: (...args) => {
      const text = args[0];
      if (args.length !== 1 || typeof text !== 'string') {
        throw queryError('The function $parse requires exactly one argument, a string of JSON');
      }
      try {
        return JSON.parse(text) as Json;
      } catch (error) {
        throw queryError(`The function $parse could not parse its argument as JSON: ${(error as Error).message}`);
      }
    },
    eval: () => {
      throw queryError('The function $eval is not available in Step Functions; use $parse');
    },
  };
}
