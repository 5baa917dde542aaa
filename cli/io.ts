import { colourEnabled } from './colour';

/** Where the CLI writes; injected so tests read what a user would see. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is an interactive terminal (live progress redraws in place). */
  readonly isTTY: boolean;
  /** Rewrites the current terminal line (TTY only). */
  status(text: string): void;
  /** True when what `out` writes may be coloured (a terminal, no `NO_COLOR`; see colour.ts). @default false */
  readonly colour?: boolean;
  /** The same for `err`. @default false */
  readonly errColour?: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  isTTY: Boolean(process.stdout.isTTY),
  colour: colourEnabled(process.stdout),
  errColour: colourEnabled(process.stderr),
  status: (text) => process.stdout.write(`\r\x1b[2K${text}`),
};

/** Exit codes, documented in the README. */
export const ExitCode = {
  /** The run (or execution) succeeded. */
  Succeeded: 0,
  /** The run ended FAILED, TIMED_OUT or ABORTED. */
  Failed: 1,
  /** The input, definition or command line is invalid; nothing was started or written. */
  Invalid: 2,
  /** A local service (dynalite, Batch) died during the run; the run was stopped and can be resumed (sysexits' EX_UNAVAILABLE). */
  ServiceDied: 69,
  /** The state folder is in use by another process (sysexits' EX_TEMPFAIL: try again later). */
  Busy: 75,
} as const;

/** A CLI failure with the exit code it maps to; the message is printed as is. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Invalid,
  ) {
    super(message);
  }
}
