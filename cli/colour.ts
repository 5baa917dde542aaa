/**
 * Colour for people, none for programs: ANSI colour only on a terminal, never when the output is
 * piped or redirected, when `NO_COLOR` is set to anything but the empty string (no-color.org), or
 * on a `dumb` terminal. `FORCE_COLOR` (not `0`) turns it on anyway.
 */

/** Whether output written to `stream` may carry colour under `env`. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

/** Text styles; each is the identity when colour is off. */
export interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

const style =
  (open: number, close: number) =>
  (text: string): string =>
    `\x1b[${open}m${text}\x1b[${close}m`;

const COLOURED: Palette = {
  red: style(31, 39),
  green: style(32, 39),
  yellow: style(33, 39),
  bold: style(1, 22),
  dim: style(2, 22),
};
const identity = (text: string) => text;
const PLAIN: Palette = { red: identity, green: identity, yellow: identity, bold: identity, dim: identity };

/**
 * The palette for output that may (or may not) be coloured.
 * @example palette(colourEnabled(process.stdout)).red('FAILED')
 */
export function palette(enabled: boolean | undefined): Palette {
  return enabled ? COLOURED : PLAIN;
}

/** A run or item status in the colour that tells how it went: green done, red failed, yellow still going. */
export function paintStatus(paint: Palette, status: string): string {
  if (status === 'SUCCEEDED') return paint.green(status);
  if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'ABORTED' || status === 'ABANDONED')
    return paint.red(status);
  return paint.yellow(status);
}
