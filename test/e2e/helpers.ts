import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
const cliEntry = join(repoRoot, 'bin', 'fanout.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last non-empty stdout line parsed as JSON (the `--json` contract). */
  json: <T = Record<string, unknown>>() => T;
}

/** A fresh state directory for one test. */
export function tempDir(prefix = 'fanout-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs the real `fanout` command as a user would, in the repository root. */
export function runFanout(args: readonly string[], stdin?: string): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      resolvePromise({
        code,
        stdout,
        stderr,
        json: <T>() => {
          const last = stdout.trim().split('\n').at(-1);
          if (!last) throw new Error(`no stdout; stderr: ${stderr}`);
          return JSON.parse(last) as T;
        },
      }),
    );
    child.stdin.end(stdin ?? '');
  });
}
