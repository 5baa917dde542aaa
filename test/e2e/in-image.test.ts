import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { repoRoot, runFanout, tempDir } from './helpers';

/**
 * `fanout run --in-image` through the real CLI, with a stand-in engine (test/e2e/fixtures/
 * stand-in-engine.mjs) where no Docker or Podman runs: the image is built from the job
 * definition's folder with the launcher's build context, every job goes through `run` with its
 * image and environment, and the launcher, not the local Batch, resolves the kwargs.
 */
describe('fanout run --in-image', () => {
  let work: string;
  beforeAll(() => {
    work = tempDir('fanout-in-image-');
  });

  it("builds the job definition's image, then runs every job in it through the engine", async () => {
    const log = join(work, 'engine.log');
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'in-image',
        grid: { n: [1, 2, 3] },
        command: [
          'sh',
          '-c',
          'test "$STAND_IN_IMAGE" = fanout-local/python-sweep:latest && test "$n" = "{n}" && test "$DECLARED" = yes',
        ],
        environment: { DECLARED: 'yes' },
        jobDefinition: 'python-sweep',
      }),
    );
    const run = await runFanout(['run', input, '--in-image', '--dir', join(work, 'state'), '--json'], undefined, {
      env: {
        ...process.env,
        FANOUT_CONTAINER_ENGINE: `${join(repoRoot, 'test/e2e/fixtures/stand-in-engine.mjs')} --log ${log}`,
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json<RunSummary>()).toMatchObject({ status: 'SUCCEEDED', counts: { total: 3, succeeded: 3 } });
    expect(run.stderr).toContain('jobs run in fanout-local/python-sweep:latest');

    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    expect(calls[0]).toEqual(['info']);
    expect(calls[1]).toEqual([
      'build',
      '--build-context',
      expect.stringMatching(/^fanout-launcher=/),
      '-f',
      join(repoRoot, 'examples', 'python-sweep', 'Dockerfile'),
      '-t',
      'fanout-local/python-sweep:latest',
      join(repoRoot, 'examples', 'python-sweep'),
    ]);
    const runs = calls.filter((call) => call[0] === 'run');
    expect(runs).toHaveLength(3);
    for (const call of runs) {
      expect(call.slice(0, 5)).toEqual([
        'run',
        '--rm',
        '--name',
        expect.stringMatching(/^fanout-[0-9a-f]{32}$/),
        '--network',
      ]);
      // The command reaches the engine unresolved: the launcher in the image resolves it.
      expect(call.slice(-3)).toEqual(['sh', '-c', expect.stringContaining('"{n}"')]);
      // Variables go by name, their values through the engine's environment: the local cloud's
      // secret key and the kwargs never show on a command line (the job's own test above saw them).
      expect(call).toContain('FANOUT_ENVIRONMENT');
      expect(call).toContain('AWS_SECRET_ACCESS_KEY');
      const passed = call.flatMap((argument, index) => (call[index - 1] === '--env' ? [argument] : []));
      expect(passed.filter((variable) => variable.includes('='))).toEqual([]);
      expect(call).not.toContain('PATH');
    }
  });

  it('says which engines it tried when none answers, before anything is written', async () => {
    const dir = join(work, 'state-none');
    const input = join(work, 'none.json');
    writeFileSync(input, JSON.stringify({ runId: 'none', items: [{ n: 1 }], command: ['true'] }));
    const run = await runFanout(['run', input, '--in-image', '--dir', dir], undefined, {
      env: { ...process.env, FANOUT_CONTAINER_ENGINE: join(work, 'no-such-engine') },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--in-image needs a container engine, and none answered');
    expect(run.stderr).toContain('no-such-engine: not installed');
    expect(existsSync(dir)).toBe(false);
  });

  it("retries a run's failures in the image of the run's job definition (retry --in-image)", async () => {
    const log = join(work, 'retry-engine.log');
    const attempts = tempDir('fanout-in-image-attempts-');
    const input = join(work, 'flaky.json');
    const dir = join(work, 'state-retry');
    // Each item fails on its first attempt: the retry runs all of them again.
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'flaky-in-image',
        items: [
          { id: 'a', dir: attempts },
          { id: 'b', dir: attempts },
        ],
        command: [
          'sh',
          '-c',
          'echo "$STAND_IN_IMAGE" >> "{dir}/$FANOUT_ITEM_ID"; test "$(wc -l < "{dir}/$FANOUT_ITEM_ID")" -gt 1',
        ],
        jobDefinition: 'python-sweep',
      }),
    );
    const env = {
      ...process.env,
      FANOUT_CONTAINER_ENGINE: `${join(repoRoot, 'test/e2e/fixtures/stand-in-engine.mjs')} --log ${log}`,
    };
    const run = await runFanout(['run', input, '--dir', dir], undefined, { env });
    expect(run.code, run.stderr).toBe(1);

    const retry = await runFanout(['retry', 'flaky-in-image', '--in-image', '--dir', dir, '--json'], undefined, {
      env,
    });
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.json<RunSummary>()).toMatchObject({ status: 'SUCCEEDED', counts: { succeeded: 2 } });
    expect(retry.stderr).toContain('jobs run in fanout-local/python-sweep:latest');
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    expect(calls.filter((call) => call[0] === 'build')).toHaveLength(1);
    expect(calls.filter((call) => call[0] === 'run')).toHaveLength(2);
    // First attempts ran on the host (no image), the retried ones in the image.
    for (const item of ['a', 'b'])
      expect(readFileSync(join(attempts, item), 'utf8')).toBe('\nfanout-local/python-sweep:latest\n');
  });

  it('refuses --in-image with --aws for retry, where jobs always run in their image', async () => {
    const retry = await runFanout(['retry', 'any', '--in-image', '--aws', '--region', 'eu-west-1']);
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain('--in-image runs local jobs in their image; on AWS they always are');
  });
});
