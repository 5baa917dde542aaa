import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { repoRoot, runFanout, tempDir } from './helpers';

// One folder, one writer: every command that would write the state folder another live process
// runs a local cloud on is refused in one line naming that process, with exit code 75; the
// commands that only read it read through that process's endpoints instead.
describe('a state folder another process uses', () => {
  it('refuses run, retry and serve in one line with exit 75, reads status, list and report through the holder, and serves again once free', async () => {
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
      const status = await runFanout(['status', 'first', '--dir', dir, '--json']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.json()).toMatchObject({ runId: 'first', status: 'SUCCEEDED', items: { total: 2, succeeded: 2 } });
      const list = await runFanout(['list', '--dir', dir, '--json']);
      expect(list.stderr).toBe('');
      expect(list.json()).toMatchObject({ runs: [{ id: 'first', status: 'SUCCEEDED', items: { total: 2 } }] });
      const report = await runFanout(['report', 'first', '--dir', dir]);
      expect(report.code, report.stderr).toBe(0);
      expect(report.stdout).toMatch(/^report: .+first\.html$/m);
    } finally {
      serve.kill('SIGTERM');
      await once(serve, 'exit');
    }
    const second = await runFanout(['run', input('second'), '--dir', dir]);
    expect(second.code, second.stderr).toBe(0);
  }, 120_000);
});
