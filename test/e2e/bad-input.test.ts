import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config';
import { type CliRun, runFanout, tempDir } from './helpers';

// Every bad input is refused by `fanout run` before anything is written or submitted: exit 2,
// one message naming the field, the rule and the value, and the state directory left untouched
// (the CLI validates before it starts the local cloud). README, "Exit codes"; docs/map-path.md,
// "Execution input".

const command = ['sh', '-c', 'exit 0'];
const deep = (levels: number) => `${'['.repeat(levels)}1${']'.repeat(levels)}`;

interface BadInput {
  what: string;
  /** The input file's content: a JSON value, or raw text/bytes for what JSON values cannot hold. */
  input: unknown;
  /** Fragments the message must contain: the field path, the rule, the received value. */
  field: string;
  rule: string;
  received: string;
}

const cases: BadInput[] = [
  {
    what: 'a kwarg nested 5,000 levels deep',
    input: Buffer.from(`{"runId":"bad-deep","items":[{"x":${deep(5000)}}],"command":["true"]}`),
    field: 'items.0.x: ',
    rule: 'must nest arrays and objects at most 32 levels deep',
    received: '(received [[[[[[[[',
  },
  {
    what: 'a grid kwarg nested 33 levels deep',
    input: Buffer.from(`{"runId":"bad-deep-grid","grid":{"x":[1,${deep(33)}]},"command":["true"]}`),
    field: 'grid.x.1: ',
    rule: 'at most 32 levels deep',
    received: `(received ${deep(33)})`,
  },
  {
    what: 'a grid whose idempotent values are not booleans',
    input: { runId: 'bad-grid-idempotent', grid: { idempotent: ['yes', 'no'], n: [1] }, command },
    field: 'grid.idempotent.0: ',
    rule: 'idempotent must be a boolean (true or false)',
    received: '(received "yes")',
  },
  {
    what: 'replicas whose idempotent kwarg is a string',
    input: { runId: 'bad-replicas-idempotent', replicas: { count: 2, kwargs: { idempotent: 'false' } }, command },
    field: 'replicas.kwargs.idempotent: ',
    rule: 'idempotent must be a boolean',
    received: '(received "false")',
  },
  {
    what: 'replicas indexed into idempotent',
    input: { runId: 'bad-replicas-index', replicas: { count: 2, indexKey: 'idempotent' }, command },
    field: 'replicas.indexKey: ',
    rule: 'indexKey must not be "idempotent"',
    received: '(received "idempotent")',
  },
  {
    what: 'a failFast that is not a boolean',
    input: { runId: 'bad-fail-fast', items: [{}], failFast: 'true', command },
    field: 'failFast: ',
    rule: 'expected boolean',
    received: '(received "true")',
  },
  {
    what: 'an item id with a space',
    input: { runId: 'bad-item-id', items: [{ id: 'a b' }], command },
    field: 'items.0.id: ',
    rule: 'an item id must be 1-100 letters, digits, "_", "." or "-"',
    received: '(received "a b")',
  },
  {
    what: 'a grid id a Batch job name cannot hold',
    input: { runId: 'bad-grid-id', grid: { id: ['ok', 'x/y'] }, command },
    field: 'grid.id.1: ',
    rule: 'an item id must be 1-100 letters',
    received: '(received "x/y")',
  },
  {
    what: 'an input file that is not UTF-8',
    input: Buffer.concat([
      Buffer.from('{"runId":"bad-utf8","items":[{"x":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('"}],"command":["true"]}'),
    ]),
    field: 'the file must be UTF-8 text',
    rule: 'the bytes at byte offset 38 are not UTF-8',
    received: '(received "0xE9 0x22 0x7D 0x5D")',
  },
  {
    what: 'an empty string in the command',
    input: { runId: 'bad-empty-arg', items: [{}], command: ['echo', ''] },
    field: 'command.1: ',
    rule: 'an argument of command must not be empty',
    received: '(received "")',
  },
  {
    what: 'an empty string in the aggregation command',
    input: { runId: 'bad-empty-aggregate', items: [{}], command, aggregate: { command: ['sh', ''] } },
    field: 'aggregate.command.1: ',
    rule: 'an argument of aggregate.command must not be empty',
    received: '(received "")',
  },
  {
    what: 'a NUL byte in an environment value',
    input: { runId: 'bad-env-nul', items: [{}], command, environment: { MODE: 'a\u0000b' } },
    field: 'environment.MODE: ',
    rule: 'must not contain a NUL byte',
    received: '(received "a\\u0000b")',
  },
  {
    what: 'a job queue the configuration does not define',
    input: { runId: 'bad-queue', items: [{}], command, jobQueue: 'fanout-nope' },
    field: 'jobQueue: ',
    rule: 'must be a job queue that fanout.config.json (the local cloud) defines: "fanout-high", "fanout-low"',
    received: '(received "fanout-nope")',
  },
  {
    what: 'a job definition revision the local cloud does not have',
    input: { runId: 'bad-definition', items: [{}], command, jobDefinition: 'fanout-job:2' },
    field: 'jobDefinition: ',
    rule: 'job definition "fanout-job" has only revision 1 here',
    received: '(received "fanout-job:2")',
  },
];

const config = loadConfig();

/**
 * What a run left in a state directory (docs/architecture.md, "The local cloud"): ledger rows
 * (dynalite's LevelDB files under `dynamodb/` hold the run id), the manifest (the local S3's
 * object index under `s3/<bucket>/`), the run record (`runs/<runId>.json`) and submitted jobs
 * (the local Batch journal's submit events).
 */
function writtenFor(dir: string, runId: string): string[] {
  const written: string[] = [];
  const ledger = join(dir, 'dynamodb');
  if (existsSync(ledger) && readdirSync(ledger).some((file) => readFileSync(join(ledger, file)).includes(runId)))
    written.push('ledger rows');
  const objects = join(dir, 's3', config.bucket, 'index.jsonl');
  if (existsSync(objects) && readFileSync(objects, 'utf8').includes(`"runs/${runId}/manifest.jsonl"`))
    written.push('manifest');
  if (existsSync(join(dir, 'runs', `${runId}.json`))) written.push('run record');
  const journal = join(dir, 'batch', 'jobs.journal.jsonl');
  if (existsSync(journal) && readFileSync(journal, 'utf8').includes(`"e":"s"`)) written.push('submitted job');
  return written;
}

/** Runs the cases a few at a time: each is one short `fanout run` process. */
async function runAll<T, R>(items: readonly T[], run: (item: T) => Promise<R>, concurrency = 4): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) results[index] = await run(items[index] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe('fanout run refuses bad input before anything is written', () => {
  let work: string;
  const runs = new Map<string, { run: CliRun; dir: string; file: string }>();

  beforeAll(async () => {
    work = tempDir('fanout-bad-input-');
    const results = await runAll(cases, async (badInput) => {
      const name = badInput.what.replace(/[^a-z0-9]+/gi, '-');
      const file = join(work, `${name}.json`);
      writeFileSync(file, Buffer.isBuffer(badInput.input) ? badInput.input : JSON.stringify(badInput.input));
      const dir = join(work, `state-${name}`);
      return { run: await runFanout(['run', file, '--dir', dir]), dir, file };
    });
    for (const [index, badInput] of cases.entries()) {
      const result = results[index];
      if (result) runs.set(badInput.what, result);
    }
  });

  it.each(cases.map((badInput) => [badInput.what, badInput] as const))(
    'refuses %s with exit 2, naming the field, the rule and the value',
    (what, { field, rule, received }) => {
      const { run, dir, file } = runs.get(what) as { run: CliRun; dir: string; file: string };
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines, 'one message, no stack trace').toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^fanout: invalid input ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      for (const fragment of [field, rule, received]) expect(lines[0]).toContain(fragment);
      expect(writtenFor(dir, runIdOf(what))).toEqual([]);
      // Refused before the local cloud started: not even the state directory exists.
      expect(existsSync(dir)).toBe(false);
    },
  );

  // The check above would pass on a state directory it cannot read: a valid input shows it sees
  // every artefact a run writes.
  it('sees the ledger rows, manifest, run record and job of an input that is accepted', async () => {
    const dir = join(work, 'state-accepted');
    const file = join(work, 'accepted.json');
    writeFileSync(file, JSON.stringify({ runId: 'good-input', items: [{ x: JSON.parse(deep(32)) }], command }));
    const run = await runFanout(['run', file, '--dir', dir]);
    expect(run.code, run.stderr).toBe(0);
    expect(writtenFor(dir, 'good-input')).toEqual(['ledger rows', 'manifest', 'run record', 'submitted job']);
  });
});

/** The run id a case's input sets, so its artefacts can be looked for. */
function runIdOf(what: string): string {
  const badInput = cases.find((candidate) => candidate.what === what) as BadInput;
  const text = Buffer.isBuffer(badInput.input) ? badInput.input.toString('latin1') : JSON.stringify(badInput.input);
  const runId = /"runId":"([^"]+)"/.exec(text)?.[1];
  if (runId === undefined) throw new TypeError(`the case "${what}" sets no runId`);
  return runId;
}
