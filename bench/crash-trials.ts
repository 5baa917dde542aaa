/**
 * `npm run crash-trials [-- --trials N --items M]`: randomized crash trials of a local run, as a
 * user would crash one (docs/failure-points.md). Each trial starts `fanout run` on a fresh state
 * folder, SIGKILLs its whole process group at a uniformly random moment (from before its header
 * exists to the end of its jobs), then finishes the run: `fanout resume`, or `fanout run` again
 * when resume says nothing of it was written. It then checks, from the ledger and the jobs' own
 * marks, that each item has exactly one final row, counts add up, no item SUCCEEDED at the kill
 * ran again and no item that may not run twice started twice. Prints one JSON line per trial and a
 * summary; exits 1 if any trial broke a promise.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { startDynamoDb } from '../local/dynamodb';
import { RUN_HEADER_ITEM_ID } from '../run';

const exec = promisify(execFile);
const root = join(import.meta.dirname, '..');
const cli = join(root, 'bin', 'fanout.mjs');
const { values } = parseArgs({
  options: { trials: { type: 'string', default: '10' }, items: { type: 'string', default: '600' } },
});
const trials = Number(values.trials);
const items = Number(values.items);
const idempotent = (n: number) => n % 2 === 0;

function lines(file: string, word: string): number {
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => line === word).length
    : 0;
}

async function ledger(dir: string, runId: string) {
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.url, credentials: dynamo.credentials }),
  );
  try {
    const tables = await client.send(new ListTablesCommand({}));
    // Killed before the local cloud created its table: nothing of the run exists.
    if (!tables.TableNames?.includes('fanout-ledger')) return { header: undefined, rows: [] };
    const header = (
      await client.send(new GetCommand({ TableName: 'fanout-ledger', Key: { runId, itemId: RUN_HEADER_ITEM_ID } }))
    ).Item;
    const rows: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: 'fanout-ledger',
          KeyConditionExpression: 'runId = :r',
          ExpressionAttributeValues: { ':r': runId },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      rows.push(...(page.Items ?? []).filter((item) => item.itemId !== RUN_HEADER_ITEM_ID));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { header, rows };
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

async function fanout(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [cli, ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function trial(index: number, killAfterMs: number) {
  const work = mkdtempSync(join(tmpdir(), 'fanout-crash-'));
  const dir = join(work, 'state');
  const marks = join(work, 'marks');
  mkdirSync(marks);
  const runId = `crash-${index}`;
  const input = join(work, 'input.json');
  writeFileSync(
    input,
    JSON.stringify({
      runId,
      items: Array.from({ length: items }, (_, n) => ({
        id: `i${n}`,
        marks,
        ...(idempotent(n) ? {} : { idempotent: false }),
      })),
      command: [
        'sh',
        '-c',
        'echo start >> "{marks}/$FANOUT_ITEM_ID"; sleep 0.05; echo done >> "{marks}/$FANOUT_ITEM_ID"',
      ],
      toleratedFailurePercentage: 100,
    }),
  );
  const child = spawn(process.execPath, [cli, 'run', input, '--dir', dir], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
  const ended = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const finishedFirst = await Promise.race([
    ended.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), killAfterMs)),
  ]);
  if (!finishedFirst) process.kill(-(child.pid as number), 'SIGKILL');
  await ended;
  await new Promise((resolve) => setTimeout(resolve, 500));

  const killedAt = existsSync(join(dir, 'dynamodb')) ? await ledger(dir, runId) : { header: undefined, rows: [] };
  const phase = finishedFirst
    ? 'after the end'
    : !killedAt.header
      ? 'before the header'
      : killedAt.header.planned === false
        ? 'inside Prepare'
        : 'during the Map';
  const before = new Map(
    Array.from({ length: items }, (_, n) => [
      `i${n}`,
      { started: lines(join(marks, `i${n}`), 'start'), done: lines(join(marks, `i${n}`), 'done') },
    ]),
  );
  let finish = finishedFirst ? { code: 0, stdout: '', stderr: '' } : await fanout(['resume', runId, '--dir', dir]);
  let finishedBy = finishedFirst ? 'nothing' : 'resume';
  if (finish.code === 2 && /run its input again|start it again with its input/.test(finish.stderr)) {
    finish = await fanout(['run', input, '--dir', dir]);
    finishedBy = 'run again';
  }
  const { rows } = await ledger(dir, runId);
  const problems: string[] = [];
  const succeededAtKill = new Set(
    killedAt.rows.filter((row) => row.status === 'SUCCEEDED').map((row) => String(row.itemId)),
  );
  let rerunAfterUnrecordedEnd = 0;
  if (finish.code !== 0) {
    const said = `${finish.stderr}\n${finish.stdout}`.split('\n').filter((line) => /error|status|fanout:/.test(line));
    problems.push(`${finishedBy} exited ${finish.code}: ${said.join(' | ')}`);
  }
  if (rows.length !== items) problems.push(`${rows.length} rows for ${items} items`);
  for (const row of rows) {
    const n = Number(String(row.itemId).slice(1));
    const starts = lines(join(marks, String(row.itemId)), 'start');
    const was = before.get(String(row.itemId)) ?? { started: 0, done: 0 };
    if (row.status !== 'SUCCEEDED' && row.status !== 'FAILED') problems.push(`${row.itemId} ended ${row.status}`);
    if (row.status === 'FAILED' && (idempotent(n) || row.failureClass !== 'ABORTED'))
      problems.push(`${row.itemId} FAILED (${row.failureClass})`);
    if (!idempotent(n) && starts > 1) problems.push(`${row.itemId} may not run twice and started ${starts} times`);
    if (succeededAtKill.has(String(row.itemId)) && starts > was.started)
      problems.push(`${row.itemId} was SUCCEEDED and ran again`);
    // A job that ended in the moment the Batch service died, its end not yet journaled: resume
    // cannot know it ended, and an idempotent item runs again (allowed, counted apart).
    else if (was.done > 0 && starts > was.started) rerunAfterUnrecordedEnd += 1;
  }
  const ok = problems.length === 0;
  // A broken trial's state folder is kept for a look with `fanout status`, `fanout report`.
  return {
    trial: index,
    killAfterMs,
    phase,
    finishedBy,
    ok,
    problems: problems.slice(0, 5),
    rerunAfterUnrecordedEnd,
    ...(ok ? {} : { dir }),
  };
}

// Calibrate: how long an uninterrupted run takes, so kills spread over its whole life.
const started = Date.now();
const calibration = await trial(-1, 10 * 60_000);
const span = Date.now() - started;
console.log(JSON.stringify({ calibration: { ...calibration, runMs: span } }));
const results = [];
for (let index = 0; index < trials; index++) {
  const result = await trial(index, Math.round(Math.random() * span));
  console.log(JSON.stringify(result));
  results.push(result);
}
const byPhase: Record<string, number> = {};
for (const result of results) byPhase[result.phase] = (byPhase[result.phase] ?? 0) + 1;
const failed = results.filter((result) => !result.ok).length;
const reruns = results.reduce((sum, result) => sum + result.rerunAfterUnrecordedEnd, 0);
console.log(
  JSON.stringify({ trials, items, passed: trials - failed, failed, byPhase, rerunAfterUnrecordedEnd: reruns }),
);
process.exitCode = failed > 0 ? 1 : 0;
