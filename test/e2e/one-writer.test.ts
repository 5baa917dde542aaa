import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { repoRoot, runFanout, tempDir } from './helpers';

// One folder, one writer: every command that would open the state folder another live process
// runs a local cloud on is refused in one line naming that process, with exit code 75.
describe('a state folder another process uses', () => {
  it('refuses run, retry, serve and status in one line with exit 75, and serves again once free', async () => {
    const work = tempDir('fanout-writer-');
    const dir = join(work, 'state');
    const input = (runId: string) => {
      const file = join(work, `${runId}.json`);
      writeFileSync(file, JSON.stringify({ runId, grid: { n: [1, 2] }, command: ['sh', '-c', 'echo {n}'] }));
      return file;
    };
    expect((await runFanout(['run', input('first'), '--dir', dir])).code).toBe(0);

    const serve = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fanout.mjs'), 'local', 'serve', '--json', '--dir', dir],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      await once(createInterface({ input: serve.stdout }), 'line');
      for (const args of [
        ['run', input('second'), '--dir', dir],
        ['retry', 'first', '--dir', dir],
        ['status', 'first', '--dir', dir],
        ['local', 'serve', '--dir', dir],
      ]) {
        const refused = await runFanout(args);
        expect([args[0], refused.code]).toEqual([args[0], 75]);
        expect(refused.stderr.trim().split('\n')).toEqual([
          expect.stringMatching(
            new RegExp(
              `^fanout: .* is in use by process ${serve.pid} \\(fanout local serve --json --dir .*\\); wait for it`,
            ),
          ),
        ]);
      }
    } finally {
      serve.kill('SIGTERM');
      await once(serve, 'exit');
    }
    const second = await runFanout(['run', input('second'), '--dir', dir]);
    expect(second.code, second.stderr).toBe(0);
  }, 120_000);
});
