import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunListing } from '../../cli/commands/list';
import type { RunSummary } from '../../run';
import { repoRoot, tempDir } from './helpers';

/**
 * The package as a user gets it: `npm pack`, installed into an empty prefix (its dependencies
 * only: no TypeScript, no tsx), then the `fanout` command from an empty folder.
 */

const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A user's shell: no colour forced, no variables of the test runner's own.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastJson = <T>(ran: Ran): T => JSON.parse(ran.stdout.trim().split('\n').at(-1) as string) as T;

describe('the packed fanout package', () => {
  let prefix: string;
  let fanout: string;
  let folder: string;

  beforeAll(() => {
    const packs = tempDir('fanout-pack-');
    const output = execFileSync(npm, ['pack', '--json', '--pack-destination', packs], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    // The build (prepack) prints before npm's JSON.
    const packed = JSON.parse(output.slice(output.search(/^\[/m))) as Array<{ filename: string }>;
    const tarball = join(packs, packed[0]?.filename as string);
    prefix = tempDir('fanout-prefix-');
    execFileSync(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', tarball], {
      cwd: prefix,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    fanout = join(prefix, 'node_modules', '.bin', 'fanout');
    folder = tempDir('fanout-user-');
  }, 600_000);

  it('installs compiled JavaScript only, without TypeScript or a TypeScript loader', () => {
    const installed = join(prefix, 'node_modules', 'fanout');
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(installed, 'cli', 'main.ts'))).toBe(false);
    expect(existsSync(join(prefix, 'node_modules', 'tsx'))).toBe(false);
    expect(existsSync(join(prefix, 'node_modules', 'typescript'))).toBe(false);
  });

  it('prints its version', async () => {
    const ran = await run(fanout, ['--version'], folder);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe(version);
  });

  it("runs an input from an empty folder on the embedded local cloud, lists the run and prints a job's log", async () => {
    writeFileSync(
      join(folder, 'input.json'),
      JSON.stringify({
        items: [
          { id: 'red', colour: 'red' },
          { id: 'blue', colour: 'blue' },
        ],
        command: ['sh', '-c', 'echo painted {colour}'],
      }),
    );
    const ran = await run(fanout, ['run', 'input.json', '--json'], folder);
    expect(ran.code, ran.stderr).toBe(0);
    const summary = lastJson<RunSummary>(ran);
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.counts.succeeded).toBe(2);
    expect(existsSync(join(folder, '.fanout', 'runs', `${summary.runId}.json`))).toBe(true);

    const listed = await run(fanout, ['list', '--json'], folder);
    expect(listed.code, listed.stderr).toBe(0);
    const { runs } = lastJson<{ runs: RunListing[] }>(listed);
    expect(runs.map((listing) => [listing.id, listing.status, listing.counts?.succeeded])).toEqual([
      [summary.runId, 'SUCCEEDED', 2],
    ]);
    const table = await run(fanout, ['list'], folder);
    expect(table.stdout).toMatch(new RegExp(`^${summary.runId} +map +SUCCEEDED +2 +2 +0 +0 `, 'm'));
    // Piped: no colour.
    expect(table.stdout).not.toContain('\x1b[');

    const logs = await run(fanout, ['logs', summary.runId, 'blue'], folder);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toBe('painted blue\n');
    expect(logs.stderr).toContain('blue {"colour":"blue"} SUCCEEDED exit 0');
  });

  it('offers the local cloud as a library (fanout/local)', async () => {
    const script = join(prefix, 'start-stop.mjs');
    writeFileSync(
      script,
      [
        "import { startLocalCloud } from 'fanout/local';",
        `const cloud = await startLocalCloud({ dir: ${JSON.stringify(join(folder, 'library-cloud'))} });`,
        'console.log(JSON.stringify(Object.keys(cloud.endpoints).sort()));',
        'await cloud.stop();',
      ].join('\n'),
    );
    const ran = await run(process.execPath, [script], prefix);
    expect(ran.code, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout.trim())).toEqual(['batch', 'dynamodb', 's3', 'sns', 'stepfunctions']);
  });
});
