import { StatesError, StatesErrors } from '../errors';
import { INTRINSIC_FUNCTIONS } from './intrinsic-functions';
import { type CompiledPath, compilePath } from './paths';

/** A string literal keeps the text between unescaped `{}` so States.Format can tell placeholders from `\{\}`. */
interface StringLiteral {
  readonly kind: 'string';
  readonly value: string;
  /** The literal split at each unescaped `{}`; placeholders = pieces.length - 1. */
  readonly pieces: readonly string[];
}
interface ValueLiteral {
  readonly kind: 'value';
  readonly value: number | boolean | null;
}
interface PathArgument {
  readonly kind: 'path';
  readonly path: CompiledPath;
}
export interface Call {
  readonly kind: 'call';
  readonly name: string;
  readonly args: readonly Argument[];
}
export type Argument = StringLiteral | ValueLiteral | PathArgument | Call;

/** AWS: "You can nest up to 10 intrinsic functions within a field" (intrinsic-functions.html). */
const MAX_INTRINSICS_PER_FIELD = 10;

const MAX_CACHED_EXPRESSIONS = 10_000;
const callCache = new Map<string, Call>();

/** Parses an intrinsic function call once and caches the tree by the expression text. */
export function parseIntrinsic(expression: string): Call {
  let call = callCache.get(expression);
  if (call === undefined) {
    call = new Parser(expression).parseExpression();
    if (callCache.size >= MAX_CACHED_EXPRESSIONS) callCache.clear();
    callCache.set(expression, call);
  }
  return call;
}

const INTRINSIC_START = /^\s*States\.[A-Za-z0-9]+\s*\(/;

/** True when a `.$` value is an intrinsic function call (`States.Name(...)`) rather than a path. */
export function isIntrinsic(value: string): boolean {
  return typeof value === 'string' && INTRINSIC_START.test(value);
}

/**
 * A recursive-descent parser over the expression text. Grammar:
 *   call     := 'States.' NAME '(' [argument (',' argument)*] ')'
 *   argument := 'string' | number | true | false | null | path | call
 * String literals use single quotes; `\'`, `\{`, `\}` and `\\` are the only escapes.
 */
class Parser {
  private position = 0;
  private calls = 0;

  constructor(private readonly text: string) {}

  parseExpression(): Call {
    this.skipSpaces();
    const call = this.parseCall();
    this.skipSpaces();
    if (this.position < this.text.length)
      this.fail(`unexpected '${this.text[this.position]}' after the closing parenthesis`);
    return call;
  }

  private parseCall(): Call {
    const start = this.position;
    const match = /^States\.[A-Za-z0-9]+/.exec(this.text.slice(this.position));
    if (match === null) this.fail("expected an intrinsic function name such as 'States.Format'");
    const name = match[0];
    const spec = INTRINSIC_FUNCTIONS.get(name);
    if (spec === undefined) this.fail(`unknown intrinsic function '${name}'`, start);
    this.calls++;
    if (this.calls > MAX_INTRINSICS_PER_FIELD) {
      this.fail(`more than ${MAX_INTRINSICS_PER_FIELD} intrinsic functions in one field`, start);
    }
    this.position += name.length;
    this.skipSpaces();
    this.expect('(');
    const args: Argument[] = [];
    this.skipSpaces();
    if (this.peek() !== ')') {
      for (;;) {
        this.skipSpaces();
        args.push(this.parseArgument());
        this.skipSpaces();
        if (this.peek() === ',') {
          this.position++;
          continue;
        }
        break;
      }
    }
    this.expect(')');
    if (args.length < spec.minArgs || args.length > spec.maxArgs) {
      throw new StatesError(StatesErrors.IntrinsicFailure, `${name} ${spec.arity}; received ${args.length}`);
    }
    return { kind: 'call', name, args };
  }

  private parseArgument(): Argument {
    const c = this.peek();
    if (c === "'") return this.parseString();
    if (c === '$') return this.parsePath();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
    const rest = this.text.slice(this.position);
    if (rest.startsWith('States.')) return this.parseCall();
    for (const [word, value] of [
      ['null', null],
      ['true', true],
      ['false', false],
    ] as const) {
      if (rest.startsWith(word) && !/[A-Za-z0-9_]/.test(rest.charAt(word.length))) {
        this.position += word.length;
        return { kind: 'value', value };
      }
    }
    return this.fail(c === undefined ? 'unexpected end of expression' : `unexpected '${c}'`);
  }

  private parseString(): StringLiteral {
    const start = this.position;
    this.position++;
    const pieces: string[] = [];
    let piece = '';
    let value = '';
    for (;;) {
      const c = this.text[this.position];
      if (c === undefined) this.fail('unterminated string literal', start);
      if (c === "'") {
        this.position++;
        break;
      }
      if (c === '\\') {
        const escaped = this.text[this.position + 1];
        if (escaped !== "'" && escaped !== '{' && escaped !== '}' && escaped !== '\\') {
          this.fail("open escape: a backslash must be followed by ', {, } or \\");
        }
        piece += escaped;
        value += escaped;
        this.position += 2;
        continue;
      }
      if (c === '{' && this.text[this.position + 1] === '}') {
        pieces.push(piece);
        piece = '';
        value += '{}';
        this.position += 2;
        continue;
      }
      piece += c;
      value += c;
      this.position++;
    }
    pieces.push(piece);
    return { kind: 'string', value, pieces };
  }

  private parseNumber(): ValueLiteral {
    const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.position));
    if (match === null) this.fail('invalid number');
    this.position += match[0].length;
    return { kind: 'value', value: Number(match[0]) };
  }

  /** A path runs to the next top-level ',' or ')'; brackets may hold quoted names, filters and commas. */
  private parsePath(): PathArgument {
    const start = this.position;
    let depth = 0;
    let quote: string | undefined;
    while (this.position < this.text.length) {
      const c = this.text[this.position] as string;
      if (quote !== undefined) {
        if (c === '\\') this.position++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') {
        if (depth === 0) this.fail('a quote in a path must be inside square brackets');
        quote = c;
      } else if (c === '[' || c === '(') {
        depth++;
      } else if (c === ']' || (c === ')' && depth > 0)) {
        depth--;
      } else if (depth === 0 && (c === ',' || c === ')')) {
        break;
      }
      this.position++;
    }
    const text = this.text.slice(start, this.position).trimEnd();
    try {
      return { kind: 'path', path: compilePath(text) };
    } catch (error) {
      return this.fail(error instanceof StatesError ? error.cause : `invalid path '${text}'`, start);
    }
  }

  private peek(): string | undefined {
    return this.text[this.position];
  }

  private expect(char: string): void {
    if (this.text[this.position] !== char) {
      const found = this.text[this.position];
      this.fail(
        found === undefined ? `expected '${char}' but the expression ended` : `expected '${char}' but found '${found}'`,
      );
    }
    this.position++;
  }

  private skipSpaces(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position] as string)) this.position++;
  }

  private fail(reason: string, at = this.position): never {
    throw new StatesError(
      StatesErrors.IntrinsicFailure,
      `Invalid intrinsic function expression '${this.text}': ${reason} (at character ${at + 1})`,
    );
  }
}
