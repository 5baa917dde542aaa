import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { startDynamoDb } from '../../local/dynamodb';
import type { ItemRow, RunSummary } from '../../run';
import { runFanout, startFanout, tempDir } from './helpers';

const ITEMS = 12;
const itemIds = Array.from({ length: ITEMS }, (_, n) => `i${String(n).padStart(2, '0')}`);
/** Odd items may not run twice. */
const idempotent = (itemId: string) => Number(itemId.slice(1)) % 2 === 0;

function countLines(text: string, word: string): number {
  return text.split('\n').filter((line) => line === word).length;
}

/** How many jobs of the run have started (written their `start` line). */
function startedItems(marks: string): number {
  if (!existsSync(marks)) return 0;
  return readdirSync(marks).filter((file) => countLines(readFileSync(join(marks, file), 'utf8'), 'start') > 0).length;
}

function processesWith(marker: string): number {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}

async function readRows(dir: string, runId: string): Promise<ItemRow[]> {
  const config = loadConfig();
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: config.region,
      endpoint: dynamo.url,
      credentials: dynamo.credentials,
    }),
  );
  try {
    const page = await client.send(
      new QueryCommand({
        TableName: config.ledgerTable,
        KeyConditionExpression: 'runId = :runId AND itemId > :header',
        ExpressionAttributeValues: { ':runId': runId, ':header': '#run' },
      }),
    );
    return (page.Items ?? []) as ItemRow[];
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

/**
 * After a resume: every item has exactly one final row; a job that had finished is not run again;
 * an item that may not run twice started at most once, and one whose job was lost stays FAILED.
 */
async function expectNothingLostOrRunTwice(
  dir: string,
  runId: string,
  marks: string,
  before: Map<string, string>,
): Promise<void> {
  const rows = new Map((await readRows(dir, runId)).map((row) => [row.itemId, row]));
  expect([...rows.keys()].sort()).toEqual(itemIds);
  for (const id of itemIds) {
    const row = rows.get(id) as ItemRow;
    const marksNow = existsSync(join(marks, id)) ? readFileSync(join(marks, id), 'utf8') : '';
    const startedBefore = countLines(before.get(id) ?? '', 'start');
    const finishedBefore = countLines(before.get(id) ?? '', 'done') > 0;
    const starts = countLines(marksNow, 'start');
    if (startedBefore > 0 && !finishedBefore && !idempotent(id))
      expect(row.status, `${id}: a lost job of an item that may not run twice`).toBe('FAILED');
    const context = `${id} (${idempotent(id) ? 'idempotent' : 'not idempotent'}): row ${JSON.stringify(row)}, marks before ${JSON.stringify(before.get(id))}, now ${JSON.stringify(marksNow)}`;
    if (row.status === 'FAILED') {
      // Only a lost job of an item that may not run twice is left failed, and it did not run again.
      expect(row, context).toMatchObject({
        failureClass: 'ABORTED',
        idempotent: false,
        error: 'Fanout.OrchestratorLost',
      });
      expect(startedBefore, context).toBe(1);
      expect(starts, context).toBe(1);
      continue;
    }
    expect(row.status, context).toBe('SUCCEEDED');
    expect(countLines(marksNow, 'done'), context).toBe(1);
    // A job that had finished is not run again, nor is an item that may not run twice.
    if (finishedBefore || !idempotent(id)) expect(starts, context).toBe(1);
    else expect(starts, context).toBe(startedBefore + 1);
  }
}

/** A run of the 12 items whose jobs mark their start and end in `marks`, each sleeping `marker`. */
function markedRun(prefix: string, runId: string, marker: string, options: Record<string, unknown> = {}) {
  const work = tempDir(prefix);
  const dir = join(work, 'state');
  const marks = join(work, 'marks');
  execFileSync('mkdir', ['-p', marks]);
  const input = join(work, 'input.json');
  writeFileSync(
    input,
    JSON.stringify({
      runId,
      items: itemIds.map((id) => ({ id, marks, ...(idempotent(id) ? {} : { idempotent: false }) })),
      command: [
        'sh',
        '-c',
        `echo start >> "{marks}/$FANOUT_ITEM_ID"; ${marker}; echo done >> "{marks}/$FANOUT_ITEM_ID"`,
      ],
      ...options,
    }),
  );
  return { dir, marks, input };
}

async function untilStarted(marks: string, count: number): Promise<void> {
  for (let waited = 0; startedItems(marks) < count; waited += 20) {
    if (waited > 60_000) throw new Error(`fewer than ${count} jobs started within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits for the run's job processes to be gone (the launcher stops them once its service is), then reads every item's marks. */
async function marksOnceStopped(marks: string, marker: string): Promise<Map<string, string>> {
  for (let waited = 0; processesWith(marker) > 0 && waited < 10_000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(processesWith(marker)).toBe(0);
  return new Map(itemIds.map((id) => [id, existsSync(join(marks, id)) ? readFileSync(join(marks, id), 'utf8') : '']));
}

// A `fanout run` process killed with SIGKILL takes its local cloud with it; `fanout resume`
// finishes the run from the ledger and the Batch journal without running anything twice that
// must not run twice.
describe('fanout resume', () => {
  it.each([2, 5, 9])(
    'finishes a run whose process was killed once %i jobs had started',
    async (killAfter) => {
      // A unique sleep duration marks this run's job processes, so a survivor is found.
      const marker = `sleep 0.8${String(process.pid).padStart(7, '0')}${killAfter}`;
      const runId = `resume-k${killAfter}`;
      const { dir, marks, input } = markedRun('fanout-resume-', runId, marker, {
        maxConcurrency: 3,
        toleratedFailurePercentage: 100,
      });
      const run = startFanout(['run', input, '--dir', dir]);
      await untilStarted(marks, killAfter);
      run.child.kill('SIGKILL');
      await run.exited;
      const before = await marksOnceStopped(marks, marker);
      // The kill lands while the job that just started sleeps: at least one job is lost.
      const lostJobs = itemIds.filter(
        (id) => countLines(before.get(id) ?? '', 'start') > 0 && countLines(before.get(id) ?? '', 'done') === 0,
      );
      expect(lostJobs.length).toBeGreaterThan(0);

      const resume = await runFanout(['resume', runId, '--dir', dir, '--json']);
      expect(resume.code, resume.stderr).toBe(0);
      const summary = resume.json<RunSummary>();
      // A lost job of an item that may not run twice stays failed: within the run's tolerance,
      // the run then completed with failures rather than succeeded (docs/run-status.md).
      expect(summary).toMatchObject({
        runId,
        status: summary.counts.failed > 0 ? 'COMPLETED_WITH_FAILURES' : 'SUCCEEDED',
        executionStatus: 'SUCCEEDED',
        items: { total: ITEMS, failed: summary.counts.failed, neverStarted: 0, queued: 0, running: 0 },
        counts: { total: ITEMS, pending: 0, running: 0, retrying: 0 },
      });
      expect(summary.executionArn).toContain(`:execution:fanout-map:${runId}-resume-`);

      await expectNothingLostOrRunTwice(dir, runId, marks, before);
    },
    120_000,
  );

  // An array run's rows are settled from its array job's children (docs/array-path.md): a child
  // that died with the run's process is lost (ABORTED), as on the map path; the items safe to run
  // again run as a smaller array.
  it('finishes an array-path run whose process was killed once 3 jobs had started', async () => {
    const marker = `sleep 0.9${String(process.pid).padStart(7, '0')}3`;
    const runId = 'resume-array';
    const { dir, marks, input } = markedRun('fanout-resume-array-', runId, marker);
    const run = startFanout(['run', input, '--path', 'array', '--dir', dir]);
    await untilStarted(marks, 3);
    run.child.kill('SIGKILL');
    await run.exited;
    const before = await marksOnceStopped(marks, marker);

    const resume = await runFanout(['resume', runId, '--dir', dir, '--json']);
    const summary = resume.json<RunSummary>();
    // The array path tolerates no failure: a lost job of an item that may not run twice fails the run.
    expect(resume.code, resume.stderr).toBe(summary.counts.failed > 0 ? 1 : 0);
    expect(summary).toMatchObject({
      runId,
      path: 'array',
      items: { total: ITEMS, neverStarted: 0, queued: 0, running: 0 },
      counts: { total: ITEMS, pending: 0, running: 0, retrying: 0 },
    });
    expect(summary.executionArn).toContain(`:execution:fanout-array:${runId}-resume-`);
    await expectNothingLostOrRunTwice(dir, runId, marks, before);
  }, 120_000);

  // docs/failure-points.md: a local service's process killed during a run stops the run cleanly
  // (exit 69, one line saying which service and what to do), and resume then finishes it.
  it.each([
    ['DynamoDB (dynalite)', 'dynamodb-server.mjs'],
    ['Batch', 'child-entry.mjs'],
  ])(
    'stops a run whose %s process was killed, and resume finishes it',
    async (service, entry) => {
      const marker = `sleep 0.7${String(process.pid).padStart(7, '0')}${entry.length}`;
      const runId = `died-${entry.length}`;
      const { dir, marks, input } = markedRun('fanout-service-', runId, marker, {
        maxConcurrency: 3,
        toleratedFailurePercentage: 100,
      });
      const run = startFanout(['run', input, '--dir', dir]);
      await untilStarted(marks, 3);
      const servicePid = execFileSync('pgrep', ['-P', String(run.child.pid), '-f', entry], { encoding: 'utf8' }).trim();
      expect(servicePid).toMatch(/^\d+$/);
      process.kill(Number(servicePid), 'SIGKILL');
      const code = await run.exited;
      expect(code, run.stderr()).toBe(69);
      expect(run.stderr().trim().split('\n').at(-1)).toBe(
        `fanout: the local ${service} service process exited with SIGKILL during run ${runId}; the run is stopped. Finish it with: npx fanout resume ${runId} --dir ${dir}`,
      );
      const before = await marksOnceStopped(marks, marker);

      const resume = await runFanout(['resume', runId, '--dir', dir, '--json']);
      expect(resume.code, resume.stderr).toBe(0);
      const summary = resume.json<RunSummary>();
      // Within its tolerance, with a lost job of an item that may not run twice left failed, the
      // run completed with failures (docs/run-status.md).
      expect(summary).toMatchObject({
        runId,
        status: summary.counts.failed > 0 ? 'COMPLETED_WITH_FAILURES' : 'SUCCEEDED',
        counts: { total: ITEMS, pending: 0, running: 0, retrying: 0 },
      });
      await expectNothingLostOrRunTwice(dir, runId, marks, before);
    },
    120_000,
  );

  it('refuses a run whose process is still alive, and a run that has ended', async () => {
    const work = tempDir('fanout-resume-');
    const dir = join(work, 'state');
    const input = join(work, 'input.json');
    writeFileSync(input, JSON.stringify({ runId: 'ended', replicas: { count: 2 }, command: ['true'] }));
    const run = await runFanout(['run', input, '--dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    const ended = await runFanout(['resume', 'ended', '--dir', dir]);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toContain('run ended has ended (SUCCEEDED)');

    // This test's own process stands in for a live `fanout run` process.
    writeFileSync(
      join(dir, 'runs', 'live.lock'),
      JSON.stringify({
        pid: process.pid,
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-map:live',
      }),
    );
    const live = await runFanout(['resume', 'live', '--dir', dir]);
    expect(live.code).toBe(2);
    expect(live.stderr).toContain(`run live is still running in ${dir} (process ${process.pid})`);
  });
});
