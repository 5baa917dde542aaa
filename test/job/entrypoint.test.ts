import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const tsxCli = resolve(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const entrypoint = resolve(root, 'job', 'entrypoint.ts');

/** Runs the entrypoint as the container would: `entrypoint <command...>` (through tsx, as `npx tsx` does). */
function runEntrypoint(command: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [tsxCli, entrypoint, ...command], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('job entrypoint', () => {
  it("exits with the command's exit code", () => {
    expect(runEntrypoint(['sh', '-c', 'exit 3']).status).toBe(3);
  });

  it('exits 128 + n when signal n ends the command', () => {
    expect(runEntrypoint(['sh', '-c', 'kill -TERM $$']).status).toBe(128 + 15);
  });

  it('passes kwargs to the command through placeholders and the environment', () => {
    const result = runEntrypoint(['sh', '-c', 'echo "arg={seed} env=$seed name=$name"'], {
      FANOUT_KWARGS: '{"seed":42,"name":"ada"}',
    });
    expect(result.stdout).toBe('arg=42 env=42 name=ada\n');
    expect(result.status).toBe(0);
  });

  it('exits 125 with a message when the kwargs cannot be resolved', () => {
    const result = runEntrypoint(['echo', '{missing}'], { FANOUT_KWARGS: '{"seed":1}' });
    expect(result.status).toBe(125);
    expect(result.stderr).toContain('fanout launcher: command argument 1 ("{missing}") uses placeholder {missing}');
  });

  it('exits 127 when the command does not exist', () => {
    const result = runEntrypoint(['fanout-no-such-command']);
    expect(result.status).toBe(127);
    expect(result.stderr).toContain(
      'fanout launcher: exec: "fanout-no-such-command": executable file not found in $PATH',
    );
  });
});
