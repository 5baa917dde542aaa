/**
 * Local overhead of fanout against the plainest way to run the same commands:
 * `xargs -P C` spawning the identical per-item command with the same concurrency.
 *
 *   npx tsx bench/overhead.ts --mode fanout --items 10000 [--vcpus 2]
 *   npx tsx bench/overhead.ts --mode xargs  --items 10000 [--vcpus 2]
 *
 * Prints one JSON line. Each mode runs in a process of its own (bench/run.ts starts
 * them) so that peak RSS is the mode's own.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { startLocalCloud } from '../local/cloud';
import { countRunStatuses } from '../run';

/** The per-item command both sides run: a process that does nothing. */
export const noopCommand = ['true'];

export interface OverheadResult {
  mode: 'fanout' | 'xargs';
  items: number;
  concurrency: number;
  seconds: number;
  peakRssMb: number;
  succeeded?: number;
  processesSpawned?: number;
  /** The Batch service runs in a process of its own; its peak is reported beside the main one. */
  batchServicePeakRssMb?: number;
  stateTransitions?: number;
}

const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** `seq N | xargs -P C -I{} true`: N processes, C at a time. */
export async function runXargs(items: number, concurrency: number): Promise<OverheadResult> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sh', ['-c', `seq ${items} | xargs -P ${concurrency} -I{} ${noopCommand.join(' ')}`], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`xargs exited ${code}`))));
  });
  return { mode: 'xargs', items, concurrency, seconds: (performance.now() - started) / 1000, peakRssMb: peakRssMb() };
}

/** One run of the Map path with N no-op items, from StartExecution to the ledger's last write. */
export async function runFanout(items: number, concurrency: number): Promise<OverheadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'fanout-bench-'));
  const cloud = await startLocalCloud({ dir, vcpus: concurrency });
  try {
    const runId = 'bench';
    const input = { runId, replicas: { count: items }, command: noopCommand, maxConcurrency: 1000 };
    const started = performance.now();
    const { executionArn } = await cloud.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: cloud.mapStateMachineArn,
        name: runId,
        input: JSON.stringify(input),
      }),
    );
    let status = 'RUNNING';
    while (status === 'RUNNING') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      status = (await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }))).status ?? 'UNKNOWN';
    }
    const seconds = (performance.now() - started) / 1000;
    if (status !== 'SUCCEEDED') throw new Error(`the benchmark run ended ${status}`);
    const counts = (await countRunStatuses(cloud.clients.dynamodb, cloud.config.ledgerTable, runId)).counts;
    const batchStats = await cloud.batch.stats();
    if (counts.succeeded !== items)
      throw new Error(`expected ${items} SUCCEEDED rows, the ledger has ${JSON.stringify(counts)}`);
    return {
      mode: 'fanout',
      items,
      concurrency,
      seconds,
      peakRssMb: peakRssMb(),
      succeeded: counts.succeeded,
      processesSpawned: batchStats.processesSpawned,
      batchServicePeakRssMb: batchStats.peakRssMb,
      stateTransitions: cloud.engine.describeExecution(executionArn as string).stateTransitions,
    };
  } finally {
    await cloud.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      mode: { type: 'string', default: 'fanout' },
      items: { type: 'string', default: '10000' },
      vcpus: { type: 'string', default: String(availableParallelism()) },
    },
  });
  const items = Number(values.items);
  const concurrency = Number(values.vcpus);
  const result = values.mode === 'xargs' ? await runXargs(items, concurrency) : await runFanout(items, concurrency);
  console.log(JSON.stringify(result));
}
