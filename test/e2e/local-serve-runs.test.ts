import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { parseServeEnvFile } from '../../cli/live-endpoints';
import { repoRoot, runFanout, tempDir } from './helpers';

interface Listing {
  id: string;
  runId: string;
  status: string;
  executionStatus: string;
  items: Record<string, number> | null;
}

/** An SFN client as a user's program makes one from the served env file (`. <dir>/local-cloud.env`). */
function clientFromEnvFile(envFile: string): SFNClient {
  const env = parseServeEnvFile(readFileSync(envFile, 'utf8'));
  return new SFNClient({
    region: env.AWS_REGION as string,
    endpoint: env.AWS_ENDPOINT_URL_SFN as string,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string },
  });
}

async function untilEnded(sfn: SFNClient, executionArn: string): Promise<string | undefined> {
  for (;;) {
    const { status } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (status !== 'RUNNING') return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

// The console lists every execution of a state machine, wherever it was started
// (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-view-execution-details.html):
// so do `fanout status`, `list` and `report` for the executions started through a served
// endpoint, while it serves (through its endpoints) and after it stopped (from the run records).
describe('executions started through fanout local serve', () => {
  it('are shown by status, list and report while serving and after serve stopped', async () => {
    const dir = tempDir('fanout-served-runs-');
    const serve = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'fanout.mjs'), 'local', 'serve', '--json', '--dir', dir],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const expectedItems = { total: 3, succeeded: 2, failed: 1, neverStarted: 0, queued: 0, running: 0 };
    try {
      const [first] = (await once(createInterface({ input: serve.stdout }), 'line')) as [string];
      const sfn = clientFromEnvFile((JSON.parse(first) as { envFile: string }).envFile);
      const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
      const mapArn = machines.find((machine) => machine.name === 'fanout-map')?.stateMachineArn as string;

      // Item 2 fails; one failure is tolerated, so the run completes with failures.
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: mapArn,
          name: 'served-sweep',
          input: JSON.stringify({
            grid: { n: [1, 2, 3] },
            command: ['sh', '-c', 'test {n} -ne 2'],
            idempotent: false,
            toleratedFailureCount: 1,
          }),
        }),
      );
      expect(await untilEnded(sfn, executionArn as string)).toBe('SUCCEEDED');
      // One that is still running when serve stops.
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: mapArn,
          name: 'served-long',
          input: JSON.stringify({ items: [{ s: 300 }], command: ['sleep', '{s}'] }),
        }),
      );

      const serving = await runFanout(['status', 'served-sweep', '--dir', dir, '--json']);
      expect(serving.code, serving.stderr).toBe(0);
      expect(serving.json()).toMatchObject({
        runId: 'served-sweep',
        status: 'COMPLETED_WITH_FAILURES',
        executionStatus: 'SUCCEEDED',
        executionArn,
        items: expectedItems,
      });
      const running = await runFanout(['status', 'served-long', '--dir', dir, '--json']);
      expect(running.code, running.stderr).toBe(1);
      expect(running.json()).toMatchObject({ runId: 'served-long', status: 'RUNNING', executionStatus: 'RUNNING' });
      const listed = await runFanout(['list', '--dir', dir, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.json<{ runs: Listing[] }>().runs).toEqual([
        expect.objectContaining({ id: 'served-long', status: 'RUNNING', executionStatus: 'RUNNING' }),
        expect.objectContaining({ id: 'served-sweep', status: 'COMPLETED_WITH_FAILURES', items: expectedItems }),
      ]);
      sfn.destroy();
    } finally {
      serve.kill('SIGTERM');
    }
    const [code] = (await once(serve, 'exit')) as [number | null];
    expect(code).toBe(0);

    const after = await runFanout(['status', 'served-sweep', '--dir', dir, '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.json()).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', items: expectedItems });
    // Serve stopping stopped what still ran: the record says so.
    const stopped = await runFanout(['status', 'served-long', '--dir', dir, '--json']);
    expect(stopped.json()).toMatchObject({
      status: 'ABORTED',
      executionStatus: 'ABORTED',
      error: 'Fanout.ServeStopped',
    });
    const listedAfter = await runFanout(['list', '--dir', dir, '--json']);
    expect(listedAfter.json<{ runs: Listing[] }>().runs).toEqual([
      expect.objectContaining({ id: 'served-long', status: 'ABORTED' }),
      expect.objectContaining({ id: 'served-sweep', status: 'COMPLETED_WITH_FAILURES', items: expectedItems }),
    ]);
    const report = await runFanout(['report', 'served-sweep', '--dir', dir]);
    expect(report.code, report.stderr).toBe(0);
    const path = /^report: (.+)$/m.exec(report.stdout)?.[1] as string;
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toContain('served-sweep');
  }, 180_000);
});
