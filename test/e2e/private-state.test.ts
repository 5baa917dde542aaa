import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers';

/** Every path below `dir`, folders included. */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

describe('the state folder', () => {
  it("holds only owner-only folders and files under umask 022, while jobs keep the user's umask", async () => {
    const work = tempDir('fanout-private-');
    const dir = join(work, 'state');
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'private',
        items: [{ n: 1 }, { n: 2 }],
        command: ['sh', '-c', 'echo {n} > out-{n}.txt'],
      }),
    );
    // As a user runs it: a shell with the common umask, the job writing into the current folder.
    const child = spawn(
      'sh',
      [
        '-c',
        `umask 022; exec "${process.execPath}" "${join(repoRoot, 'bin/fanout.mjs')}" run "${input}" --dir "${dir}"`,
      ],
      {
        cwd: work,
        stdio: 'ignore',
      },
    );
    const [code] = await once(child, 'close');
    expect(code).toBe(0);

    const paths = [dir, ...walk(dir)];
    // The ledger, objects, logs, run record and report, at least.
    expect(paths.length).toBeGreaterThan(10);
    const exposed = paths.filter((path) => (statSync(path).mode & 0o077) !== 0);
    expect(exposed).toEqual([]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'runs', 'private.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(work, 'out-1.txt')).mode & 0o777).toBe(0o644);
  });
});
