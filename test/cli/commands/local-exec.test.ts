import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localExec } from '../../../cli/commands/local-exec';
import { captureIo } from '../aws-stack';

describe('fanout local exec of a definition that calls no AWS service', () => {
  const scratch = () => mkdtempSync(join(tmpdir(), 'fanout-local-exec-'));

  it('runs it on the engine alone, starting no local service', async () => {
    const dir = scratch();
    const definition = join(dir, 'pass.json');
    writeFileSync(
      definition,
      JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, End: true } } }),
    );
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    const io = captureIo();
    const state = join(dir, 'state');
    const code = await localExec({ definition, input, dir: state, json: true }, io);
    expect(code).toBe(0);
    expect(JSON.parse(io.stdout.at(-1)!)).toEqual({
      status: 'SUCCEEDED',
      output: { ok: true },
      error: null,
      cause: null,
      stateTransitions: 1,
    });
    // The local cloud creates its state directory (DynamoDB, S3, ...) as it starts; nothing started here.
    expect(existsSync(state)).toBe(false);
  });

  it('loads no AWS SDK client, no ajv and no dynalite to run it', () => {
    const dir = scratch();
    writeFileSync(join(dir, 'pass.json'), JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }));
    writeFileSync(join(dir, 'input.json'), '{}');
    // These packages are CommonJS, so whatever loads them, they land in require.cache.
    const preload = join(dir, 'record-packages.cjs');
    const record = join(dir, 'packages.json');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(Object.keys(require.cache))));`,
    );
    const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'fanout.mjs');
    const args = ['--require', preload, bin, 'local', 'exec', '--definition', 'pass.json', '--input', 'input.json'];
    const env = { ...process.env };
    delete env.FANOUT_CONFIG;
    execFileSync(process.execPath, args, { cwd: dir, env, stdio: 'ignore' });
    const packages = (JSON.parse(readFileSync(record, 'utf8')) as string[]).flatMap(
      (path) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? [],
    );
    // asl-validator's own checks do run: the record sees what loads.
    expect(packages).toContain('asl-validator');
    expect(packages.filter((name) => /^@aws-sdk\/|^@smithy\/|^ajv$|^dynalite$/.test(name))).toEqual([]);
  });

  it('reports a Fail state without Error or Cause with both null', async () => {
    const dir = scratch();
    const definition = join(dir, 'fail.json');
    writeFileSync(definition, JSON.stringify({ StartAt: 'F', States: { F: { Type: 'Fail' } } }));
    const input = join(dir, 'input.json');
    writeFileSync(input, '{}');
    const io = captureIo();
    const code = await localExec({ definition, input, dir: join(dir, 'state'), json: true }, io);
    expect(code).toBe(1);
    expect(JSON.parse(io.stdout.at(-1)!)).toMatchObject({ status: 'FAILED', error: null, cause: null });
  });
});
