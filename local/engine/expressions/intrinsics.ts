import { StatesError, StatesErrors } from '../errors';
import type { ContextObject, Json, JsonObject } from '../types';
import { INTRINSIC_FUNCTIONS, IntrinsicArgumentError, type IntrinsicEnvironment } from './intrinsic-functions';
import { type Argument, type Call, parseIntrinsic } from './intrinsic-parser';
import { jsonForMessage } from './json';
import { lookup } from './paths';

/** A path argument that names nothing; Step Functions reports it as `States.Runtime`. */
class MissingPathArgument extends Error {
  override readonly name = 'MissingPathArgument';
  constructor(
    readonly path: string,
    readonly document: Json | undefined,
  ) {
    super(path);
  }
}

/**
 * Evaluates an intrinsic function call such as `States.Format('job-{}', $.id)`.
 * The expression is parsed once and cached. Argument errors throw
 * `States.IntrinsicFailure`; a path argument that names nothing throws `States.Runtime`,
 * both with AWS's cause `The function '<expression>' had the following error: ...`.
 * `random` (uniform in [0, 1)) drives States.MathRandom without a seed and States.UUID.
 *
 * @example evaluateIntrinsic("States.Format('job-{}', $.id)", { id: 7 }, context) // 'job-7'
 */
export function evaluateIntrinsic(
  expression: string,
  input: Json,
  context: ContextObject | JsonObject,
  random?: () => number,
): Json {
  const call = parseIntrinsic(expression);
  try {
    return evaluateCall(call, input, context, random);
  } catch (error) {
    if (error instanceof IntrinsicArgumentError) {
      throw new StatesError(
        StatesErrors.IntrinsicFailure,
        `The function '${expression}' had the following error: ${error.message}`,
      );
    }
    if (error instanceof MissingPathArgument) {
      throw new StatesError(
        StatesErrors.Runtime,
        `The function '${expression}' had the following error: The JsonPath argument for the field '${error.path}' could not be found in the input '${jsonForMessage(error.document)}'`,
      );
    }
    throw error;
  }
}

function evaluateCall(
  call: Call,
  input: Json,
  context: ContextObject | JsonObject,
  random: (() => number) | undefined,
): Json {
  const spec = INTRINSIC_FUNCTIONS.get(call.name);
  if (spec === undefined)
    throw new StatesError(StatesErrors.IntrinsicFailure, `Unknown intrinsic function '${call.name}'`);
  const args: Json[] = new Array(call.args.length);
  for (let i = 0; i < call.args.length; i++)
    args[i] = evaluateArgument(call.args[i] as Argument, input, context, random);
  const first = call.args[0];
  const env: IntrinsicEnvironment = {
    random,
    templatePieces: call.name === 'States.Format' && first?.kind === 'string' ? first.pieces : undefined,
  };
  return spec.apply(args, env);
}

function evaluateArgument(
  argument: Argument,
  input: Json,
  context: ContextObject | JsonObject,
  random: (() => number) | undefined,
): Json {
  switch (argument.kind) {
    case 'string':
    case 'value':
      return argument.value;
    case 'call':
      return evaluateCall(argument, input, context, random);
    case 'path': {
      const value = lookup(argument.path, input, context);
      if (value === undefined) {
        throw new MissingPathArgument(
          argument.path.text,
          argument.path.root === '$$' ? (context as unknown as Json) : input,
        );
      }
      return value;
    }
  }
}

/**
 * Why an intrinsic function call cannot be parsed (syntax, an open escape such as `\"`, an
 * unknown function, a wrong argument count), or `undefined` when it can. Definitions are checked
 * with it when they are created, as Step Functions rejects such a definition.
 * @example intrinsicProblem("States.Format('a\\\"b')") // "Invalid intrinsic function expression ..."
 */
export function intrinsicProblem(expression: string): string | undefined {
  try {
    parseIntrinsic(expression);
    return undefined;
  } catch (error) {
    if (error instanceof StatesError) return error.cause;
    throw error;
  }
}

export { isIntrinsic } from './intrinsic-parser';
