import { describe, expect, it } from 'vitest';
import { colourEnabled, paintStatus, palette } from '../../cli/colour';
import { runCli } from '../../cli/program';
import { captureIo } from './aws-stack';

const ESC = '\x1b[';

describe('colourEnabled', () => {
  it('colours a terminal and nothing piped or redirected', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
  });

  it('follows NO_COLOR (any value but empty), a dumb terminal and FORCE_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0', NO_COLOR: '1' })).toBe(false);
  });
});

describe('palette', () => {
  it('wraps text in ANSI codes only when enabled', () => {
    expect(palette(true).red('FAILED')).toBe(`${ESC}31mFAILED${ESC}39m`);
    expect(palette(false).red('FAILED')).toBe('FAILED');
    expect(palette(undefined).bold('x')).toBe('x');
  });

  it('paints statuses by outcome', () => {
    const paint = palette(true);
    expect(paintStatus(paint, 'SUCCEEDED')).toBe(paint.green('SUCCEEDED'));
    expect(paintStatus(paint, 'FAILED')).toBe(paint.red('FAILED'));
    expect(paintStatus(paint, 'ABORTED')).toBe(paint.red('ABORTED'));
    expect(paintStatus(paint, 'RUNNING')).toBe(paint.yellow('RUNNING'));
  });
});

describe('fanout usage errors', () => {
  it('suggest the command meant, in red on a terminal', async () => {
    const io = { ...captureIo(), errColour: true };
    const code = await runCli(['lst'], io);
    expect(code).toBe(2);
    const text = io.stderr.join('\n');
    expect(text).toContain("unknown command 'lst'");
    expect(text).toContain('(Did you mean list?)');
    expect(text).toContain(`${ESC}31m`);
  });

  it('suggest the option meant, without colour when not on a terminal', async () => {
    const io = captureIo();
    const code = await runCli(['status', 'sweep-7', '--jsn'], io);
    expect(code).toBe(2);
    const text = io.stderr.join('\n');
    expect(text).toContain("unknown option '--jsn'");
    expect(text).toContain('(Did you mean --json?)');
    expect(text).toContain('(add --help for usage)');
    expect(text).not.toContain(ESC);
  });

  it('print an error of a command in red only on a terminal', async () => {
    const dir = `/nonexistent-${process.pid}`;
    const plain = captureIo();
    expect(await runCli(['logs', 'sweep-7', '--dir', dir], plain)).toBe(2);
    expect(plain.stderr.join('\n')).toBe(`fanout: no run "sweep-7" in ${dir}`);
    const coloured = { ...captureIo(), errColour: true };
    expect(await runCli(['logs', 'sweep-7', '--dir', dir], coloured)).toBe(2);
    expect(coloured.stderr.join('\n')).toBe(palette(true).red(`fanout: no run "sweep-7" in ${dir}`));
  });
});

describe('fanout --version', () => {
  it("prints the package's version", async () => {
    const io = captureIo();
    expect(await runCli(['--version'], io)).toBe(0);
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(io.stdout).toEqual([version]);
  });
});
