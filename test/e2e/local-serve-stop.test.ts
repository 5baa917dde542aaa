import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BatchClient, DescribeJobsCommand, SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { repoRoot, tempDir } from './helpers';

/** Every live descendant of `root`, from the process table. */
function descendants(root: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of table) {
      if (ppid === parent && !found.includes(pid)) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/** A process that has exited and been reaped, or is only a zombie left to be reaped, is gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

async function untilRunning(batch: BatchClient, jobId: string): Promise<void> {
  for (;;) {
    const { jobs } = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
    const status = jobs?.[0]?.status;
    if (status === 'RUNNING') return;
    if (status === 'FAILED' || status === 'SUCCEEDED') throw new Error(`the job ended ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// `fanout local serve` runs until SIGINT (Ctrl+C) or SIGTERM; either stops the local cloud and
// every process it started: its service processes and the jobs still running.
describe('fanout local serve, stopped', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'ends on %s with exit 0, leaving none of its processes or running jobs behind',
    async (signal) => {
      const serve = spawn(
        process.execPath,
        [join(repoRoot, 'bin', 'fanout.mjs'), 'local', 'serve', '--json', '--dir', tempDir('fanout-serve-stop-')],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      try {
        const [first] = (await once(createInterface({ input: serve.stdout }), 'line')) as [string];
        const served = JSON.parse(first) as {
          region: string;
          credentials: { accessKeyId: string; secretAccessKey: string };
          endpoints: { batch: string };
        };
        const batch = new BatchClient({
          region: served.region,
          credentials: served.credentials,
          endpoint: served.endpoints.batch,
        });
        const { jobId } = await batch.send(
          new SubmitJobCommand({
            jobName: 'long',
            jobQueue: 'fanout-high',
            jobDefinition: 'fanout-job',
            containerOverrides: { command: ['sleep', '300'] },
          }),
        );
        await untilRunning(batch, jobId as string);
        batch.destroy();
        const started = descendants(serve.pid as number);
        // The service processes, and the job's own process among them.
        expect(started.length).toBeGreaterThanOrEqual(2);
        expect(started.some((pid) => commandOf(pid) === 'sleep 300')).toBe(true);

        serve.kill(signal);
        const [code] = (await once(serve, 'exit')) as [number | null];
        expect(code).toBe(0);
        expect(started.filter(alive)).toEqual([]);
      } finally {
        if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
      }
    },
    90_000,
  );
});
