import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { type RunLock, readRunLock } from '../../cli/lock';
import { loadConfig } from '../../config';
import { startDynamoDb } from '../../local/dynamodb';
import { type ItemRow, RUN_HEADER_ITEM_ID, type RunHeaderRow } from '../../run';
import { runFanout, startFanout, tempDir } from './helpers';

// `fanout run` killed (SIGKILL of its process group, as a closed terminal or the OOM killer does)
// at the edges of a run: before anything of it exists, and inside Prepare while the item rows
// are being written. Each trial then finishes the run as docs/failure-points.md says and checks
// that every item has exactly one final row and ran exactly once.

const config = loadConfig();

interface Trial {
  dir: string;
  runId: string;
  input: string;
  itemCount: number;
  /** One file per item that gets a line each time its job runs. */
  marks: string;
}

function writeTrial(prefix: string, runId: string, itemCount: number): Trial {
  const work = tempDir(prefix);
  const input = join(work, 'input.json');
  const marks = join(work, 'marks');
  mkdirSync(marks);
  writeFileSync(
    input,
    JSON.stringify({
      runId,
      items: Array.from({ length: itemCount }, (_, n) => ({ id: `i${n}` })),
      command: ['sh', '-c', `echo ran >> ${marks}/$FANOUT_ITEM_ID`],
    }),
  );
  return { dir: join(work, 'state'), runId, input, itemCount, marks };
}

/** Starts `fanout run` in a process group of its own and returns a SIGKILL for the whole group. */
function startRun(trial: Trial) {
  const run = startFanout(['run', trial.input, '--dir', trial.dir], { detached: true });
  return {
    async kill() {
      process.kill(-(run.child.pid as number), 'SIGKILL');
      await run.exited;
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function documentClient(endpoint: string, credentials: RunLock['credentials']) {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region, endpoint, credentials }));
}

async function readLedger(client: DynamoDBDocumentClient, runId: string) {
  const header = (
    await client.send(
      new GetCommand({
        TableName: config.ledgerTable,
        Key: { runId, itemId: RUN_HEADER_ITEM_ID },
        ConsistentRead: true,
      }),
    )
  ).Item as RunHeaderRow | undefined;
  const rows: ItemRow[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: config.ledgerTable,
        KeyConditionExpression: 'runId = :runId AND itemId > :header',
        ExpressionAttributeValues: { ':runId': runId, ':header': RUN_HEADER_ITEM_ID },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    rows.push(...((page.Items ?? []) as ItemRow[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { header, rows };
}

/** The ledger of a state folder no process holds. */
async function readStoppedLedger(dir: string, runId: string) {
  const dynamo = await startDynamoDb({ dir: join(dir, 'dynamodb') });
  const client = documentClient(dynamo.url, dynamo.credentials);
  try {
    return await readLedger(client, runId);
  } finally {
    client.destroy();
    await dynamo.close();
  }
}

/** Each item has exactly one row, SUCCEEDED with no earlier attempt, and its job ran once: nothing lost, nothing run twice. */
async function expectEveryItemRanOnce(trial: Trial) {
  const { header, rows } = await readStoppedLedger(trial.dir, trial.runId);
  expect(header?.planned).not.toBe(false);
  expect(rows.map((row) => row.itemId).sort()).toEqual(
    Array.from({ length: trial.itemCount }, (_, n) => `i${n}`).sort(),
  );
  const notSucceeded = rows.filter((row) => row.status !== 'SUCCEEDED' || (row.attempts?.length ?? 0) > 0);
  expect(notSucceeded.slice(0, 3)).toEqual([]);
  const runs = readdirSync(trial.marks).map((id) => readFileSync(join(trial.marks, id), 'utf8'));
  expect(runs.length).toBe(trial.itemCount);
  expect(runs.filter((lines) => lines !== 'ran\n').length).toBe(0);
}

describe('fanout run killed at the edges of a run', () => {
  it('before its local cloud started: resume writes nothing and says to run the input again, which then runs every item once', async () => {
    const trial = writeTrial('fanout-crash-early-', 'crash-early', 20);
    const run = startRun(trial);
    // The state folder's writer lock is taken before the local cloud starts.
    await until('the writer lock', () => (existsSync(join(trial.dir, 'writer.lock')) ? true : undefined));
    await run.kill();

    const resumed = await runFanout(['resume', trial.runId, '--dir', trial.dir]);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr.trim().split('\n').at(-1)).toBe(
      `fanout: resume of run ${trial.runId} refused: invalid execution input: resumeOf: no run with this id in ledger ${config.ledgerTable} (a run whose process died before preparing it left nothing: run its input again) (received "${trial.runId}")`,
    );
    // The refused resume kept no record that would make the run look ended.
    expect(existsSync(join(trial.dir, 'runs', `${trial.runId}.json`))).toBe(false);
    expect((await readStoppedLedger(trial.dir, trial.runId)).header).toBeUndefined();

    const again = await runFanout(['run', trial.input, '--dir', trial.dir]);
    expect(again.code, again.stderr).toBe(0);
    await expectEveryItemRanOnce(trial);
  }, 120_000);

  it('inside Prepare of a 5,000-item run, while its rows are written: resume writes the rest and runs every item once', async () => {
    const trial = writeTrial('fanout-crash-prepare-', 'crash-prepare', 5000);
    const run = startRun(trial);
    const lock = await until('the run lock', () => readRunLock(trial.dir, trial.runId));
    const ledger = documentClient(lock.ledgerEndpoint as string, lock.credentials);
    try {
      // Killed as soon as the uncommitted plan has some of its rows, read through the live ledger.
      await until('an uncommitted plan with rows', async () => {
        const { Items } = await ledger.send(
          new QueryCommand({
            TableName: config.ledgerTable,
            KeyConditionExpression: 'runId = :runId',
            ExpressionAttributeValues: { ':runId': trial.runId },
            ConsistentRead: true,
            Limit: 2,
          }),
        );
        const header = Items?.find((item) => item.itemId === RUN_HEADER_ITEM_ID);
        return header?.planned === false && (Items?.length ?? 0) === 2 ? true : undefined;
      });
      await run.kill();
    } finally {
      ledger.destroy();
    }

    const killed = await readStoppedLedger(trial.dir, trial.runId);
    expect(killed.header?.planned).toBe(false);
    expect(killed.rows.length).toBeGreaterThan(0);
    expect(killed.rows.length).toBeLessThan(trial.itemCount);
    // Until the commit nothing of the run has run.
    expect(killed.rows.every((row) => row.status === 'PENDING')).toBe(true);

    const resumed = await runFanout(['resume', trial.runId, '--dir', trial.dir, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.json()).toMatchObject({ counts: { total: trial.itemCount, succeeded: trial.itemCount } });
    await expectEveryItemRanOnce(trial);
    const record = JSON.parse(readFileSync(join(trial.dir, 'runs', `${trial.runId}.json`), 'utf8'));
    expect(record.status).toBe('SUCCEEDED');
  }, 180_000);
});
