import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandLocator } from '../../../../local/batch/private/command-path';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-command-path-'));
  for (const sub of ['first', 'second', 'work']) mkdirSync(join(dir, sub));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const program = (path: string, mode = 0o755): void => writeFileSync(path, '#!/bin/sh\n', { mode });

describe('CommandLocator', () => {
  it('finds a command in the first PATH directory that holds an executable file of that name', async () => {
    program(join(dir, 'first', 'tool'), 0o644);
    mkdirSync(join(dir, 'first', 'other'));
    program(join(dir, 'second', 'tool'));
    program(join(dir, 'second', 'other'));
    const locator = new CommandLocator();
    const searchPath = `${join(dir, 'first')}:${join(dir, 'second')}`;
    expect(await locator.locate('tool', searchPath, dir)).toEqual({ found: true, path: join(dir, 'second', 'tool') });
    expect(await locator.locate('other', searchPath, dir)).toEqual({ found: true, path: join(dir, 'second', 'other') });
  });

  it('reads an empty PATH entry as the working directory, as execvp does', async () => {
    program(join(dir, 'work', 'local-tool'));
    expect(await new CommandLocator().locate('local-tool', `${join(dir, 'first')}::`, join(dir, 'work'))).toEqual({
      found: true,
      path: join(dir, 'work', 'local-tool'),
    });
  });

  it('checks a command holding a slash against the working directory, without searching PATH', async () => {
    program(join(dir, 'work', 'run.sh'));
    program(join(dir, 'first', 'run.sh'));
    const locator = new CommandLocator();
    expect(await locator.locate('./run.sh', join(dir, 'first'), join(dir, 'work'))).toEqual({
      found: true,
      path: join(dir, 'work', 'run.sh'),
    });
    expect(await locator.locate('./missing.sh', join(dir, 'first'), join(dir, 'work'))).toEqual({
      found: false,
      message: `exec: "./missing.sh": no executable file at ${join(dir, 'work', 'missing.sh')}`,
    });
  });

  it('reports a command missing from PATH in the words of a container runtime', async () => {
    expect(await new CommandLocator().locate('fanout-no-such-command', join(dir, 'first'), dir)).toEqual({
      found: false,
      message: 'exec: "fanout-no-such-command": executable file not found in $PATH',
    });
  });

  it('remembers where it found a command, and looks again for one it did not find', async () => {
    const locator = new CommandLocator();
    const searchPath = join(dir, 'first');
    expect((await locator.locate('late', searchPath, dir)).found).toBe(false);
    program(join(dir, 'first', 'late'));
    expect(await locator.locate('late', searchPath, dir)).toEqual({ found: true, path: join(dir, 'first', 'late') });
    chmodSync(join(dir, 'first', 'late'), 0o644);
    // A hit is not checked again: 10,000 jobs of one command search once.
    expect(await locator.locate('late', searchPath, dir)).toEqual({ found: true, path: join(dir, 'first', 'late') });
    expect((await locator.locate('late', `${searchPath}:`, dir)).found).toBe(false);
  });
});
