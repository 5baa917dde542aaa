import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LaunchRequest, LaunchRequestError, ProcessLauncher } from '../../../../local/batch';

let dir: string;
let launcher: ProcessLauncher;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-launcher-'));
  launcher = new ProcessLauncher();
});
afterEach(async () => {
  await launcher.close();
  rmSync(dir, { recursive: true, force: true });
});

const searchPath = process.env.PATH ?? '/usr/bin:/bin';
const request = (command: string[], extra: Partial<LaunchRequest> = {}): LaunchRequest => ({
  command,
  environment: { PATH: searchPath },
  cwd: dir,
  logFile: join(dir, 'job.log'),
  ...extra,
});
/** A Node program that prints its arguments and environment as JSON. */
const printArgsAndEnv = [
  process.execPath,
  '-e',
  'process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), env: process.env }))',
];
/** True while the process runs; a zombie awaiting its reaper counts as ended. */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // The state follows the parenthesised command name: Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return !existsSync('/proc/self/stat');
  }
};
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const trickyStrings = [
  "it's",
  "'",
  "'\\''",
  '"double" and \\"escaped\\"',
  '$HOME ${PATH} $(id) $((1+1))',
  '`id`',
  'line one\nline two\n',
  'tab\tcarriage\rreturn',
  'back\\slash\\',
  '* ? [a-z] ~ ! # %',
  '; echo injected && echo more | cat > x &',
  '-n',
  '  spaced  out  ',
  '',
  'unicode: ā € ƈ 😀 日本語 é',
  // UTF-8 bytes 0x81-0x88 are dash's internal control characters; they must still pass through.
  '\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088 \u0101 \u0188',
  'control \u0001\u0002\u007f',
];

describe('ProcessLauncher', () => {
  it('passes tricky arguments and environment values through unchanged', async () => {
    const environment = Object.fromEntries(trickyStrings.map((value, index) => [`TRICKY_${index}`, value]));
    const job = launcher.launch(request([...printArgsAndEnv, ...trickyStrings], { environment }));
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    const printed = JSON.parse(readFileSync(join(dir, 'job.log'), 'utf8')) as {
      argv: string[];
      env: Record<string, string>;
    };
    expect(printed.argv).toEqual(trickyStrings);
    expect(printed.env).toEqual(environment);
  });

  it('gives the process exactly the environment it was launched with, nothing of the shell', async () => {
    const job = launcher.launch(request(printArgsAndEnv, { environment: { ONLY: 'this', EMPTY: '' } }));
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'job.log'), 'utf8')).env).toEqual({ ONLY: 'this', EMPTY: '' });
  });

  it('sets variable names the shell cannot assign, such as my.var and OPTIND', async () => {
    const environment = { 'my.var': 'dotted', OPTIND: 'not a number', PPID: 'mine', _: 'underscore', PLAIN: 'plain' };
    const job = launcher.launch(request(printArgsAndEnv, { environment }));
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    expect(JSON.parse(readFileSync(join(dir, 'job.log'), 'utf8')).env).toEqual(environment);
  });

  it('searches the first argument on the PATH of the environment given', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'fanout-hello'), '#!/bin/sh\necho "hello from $0"\n', { mode: 0o755 });
    const job = launcher.launch(request(['fanout-hello'], { environment: { PATH: bin } }));
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    expect(readFileSync(join(dir, 'job.log'), 'utf8')).toBe(`hello from ${join(bin, 'fanout-hello')}\n`);
  });

  it('runs in the working directory and appends stdout and stderr to the log file', async () => {
    const cwd = join(dir, 'work');
    mkdirSync(cwd);
    writeFileSync(join(dir, 'job.log'), 'earlier\n');
    const job = launcher.launch(
      request(['/bin/sh', '-c', 'pwd; echo err >&2; read line || echo "stdin is empty"'], { cwd }),
    );
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    expect(readFileSync(join(dir, 'job.log'), 'utf8')).toBe(`earlier\n${cwd}\nerr\nstdin is empty\n`);
  });

  it('reports each exit code', async () => {
    const codes = [0, 1, 7, 126, 255];
    const jobs = codes.map((code) => launcher.launch(request(['/bin/sh', '-c', `exit ${code}`])));
    expect(await Promise.all(jobs.map((job) => job.outcome))).toEqual(
      codes.map((exitCode) => ({ kind: 'exited', exitCode })),
    );
  });

  it('appends each exit to the exit record before it reports the end', async () => {
    const file = join(dir, 'exits.log');
    const ends = await Promise.all([
      launcher.launch(request(['true'], { exitRecord: { file, id: 'job-a' } })).outcome,
      launcher.launch(request(['sh', '-c', 'exit 7'], { exitRecord: { file, id: 'job-b' } })).outcome,
    ]);
    expect(ends).toEqual([
      { kind: 'exited', exitCode: 0 },
      { kind: 'exited', exitCode: 7 },
    ]);
    // Both lines are there once both ends were reported.
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['job-a 0', 'job-b 7']);
  });

  it('refuses an exit record id the shell would not keep as one word', () => {
    expect(() =>
      launcher.launch(request(['true'], { exitRecord: { file: join(dir, 'exits.log'), id: 'a b' } })),
    ).toThrow(LaunchRequestError);
  });

  it('reports 128 + n for a process killed by signal n', async () => {
    const terminated = launcher.launch(request(['sleep', '30']));
    const killed = launcher.launch(request(['sleep', '30']));
    const selfSignalled = launcher.launch(request(['/bin/sh', '-c', 'kill -USR1 $$']));
    await Promise.all([terminated.pid, killed.pid]);
    terminated.kill('SIGTERM');
    killed.kill('SIGKILL');
    expect(await terminated.outcome).toEqual({ kind: 'exited', exitCode: 128 + osConstants.signals.SIGTERM });
    expect(await killed.outcome).toEqual({ kind: 'exited', exitCode: 128 + osConstants.signals.SIGKILL });
    expect(await selfSignalled.outcome).toEqual({ kind: 'exited', exitCode: 128 + osConstants.signals.SIGUSR1 });
  });

  it('delivers a signal sent before the process exists, and ignores one sent after it ended', async () => {
    const job = launcher.launch(request(['sleep', '30']));
    job.kill('SIGTERM');
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 143 });
    job.kill('SIGKILL');
    expect(launcher.running).toBe(0);
  });

  it('runs 50 processes at the same time, each with its own pid, log and exit code', async () => {
    mkdirSync(join(dir, 'started'));
    // Each job waits until all 50 have started, so the test only ends if they all ran at once.
    const barrier =
      'touch "started/$0"; while [ "$(ls started | wc -l)" -lt 50 ]; do sleep 0.01; done; echo "job $0"; exit "$0"';
    const jobs = Array.from({ length: 50 }, (_, index) =>
      launcher.launch(request(['/bin/sh', '-c', barrier, String(index)], { logFile: join(dir, `job-${index}.log`) })),
    );
    const pids = await Promise.all(jobs.map((job) => job.pid));
    expect(new Set(pids).size).toBe(50);
    const outcomes = await Promise.all(jobs.map((job) => job.outcome));
    expect(outcomes).toEqual(jobs.map((_, index) => ({ kind: 'exited', exitCode: index })));
    jobs.forEach((_, index) => {
      expect(readFileSync(join(dir, `job-${index}.log`), 'utf8')).toBe(`job ${index}\n`);
    });
    expect(readdirSync(join(dir, 'started'))).toHaveLength(50);
    expect(launcher.launchersStarted).toBe(1);
  });

  it('reports a missing working directory as a start failure', async () => {
    const job = launcher.launch(request(['true'], { cwd: join(dir, 'missing') }));
    expect(await job.outcome).toEqual({
      kind: 'failedToStart',
      message: `the working directory "${join(dir, 'missing')}" does not exist or cannot be entered`,
    });
  });

  it('reports a log file that cannot be opened as a start failure', async () => {
    const logFile = join(dir, 'no-such-directory', 'job.log');
    const job = launcher.launch(request(['true'], { logFile }));
    expect(await job.outcome).toEqual({
      kind: 'failedToStart',
      message: `the log file "${logFile}" cannot be opened for appending`,
    });
  });

  it('rejects NUL bytes, an empty command and bad variable names before launching', () => {
    expect(() => launcher.launch(request(['echo', 'a\u0000b']))).toThrow(LaunchRequestError);
    expect(() => launcher.launch(request(['echo', 'a\u0000b']))).toThrow(
      'command[1] must not contain a NUL byte; received "a\\u0000b"',
    );
    expect(() => launcher.launch(request(['true'], { environment: { SEED: '4\u00002' } }))).toThrow(
      'environment variable SEED must not contain a NUL byte; received "4\\u00002"',
    );
    expect(() => launcher.launch(request(['true'], { environment: { 'A=B': 'x' } }))).toThrow(
      'environment variable names must be non-empty and free of "="; received "A=B"',
    );
    expect(() => launcher.launch(request([]))).toThrow(
      'command must hold at least the program to run; received an empty list',
    );
    expect(launcher.launchersStarted).toBe(0);
  });

  it('starts a new launcher after the launcher is killed, while the processes it ran still report', async () => {
    const survivor = launcher.launch(request(['/bin/sh', '-c', 'sleep 0.3; exit 4']));
    await survivor.pid;
    const first = launcher.launcherPid as number;
    process.kill(first, 'SIGKILL');
    while (launcher.launcherPid === first) await pause(5);
    const next = launcher.launch(request(['true']));
    expect(await next.outcome).toEqual({ kind: 'exited', exitCode: 0 });
    expect(launcher.launchersStarted).toBe(2);
    expect(launcher.launcherPid).not.toBe(first);
    expect(await survivor.outcome).toEqual({ kind: 'exited', exitCode: 4 });
  });

  it('reports processes as lost when the launcher dies with its whole process group', async () => {
    const job = launcher.launch(request(['sleep', '30']));
    const pid = (await job.pid) as number;
    process.kill(-(launcher.launcherPid as number), 'SIGKILL');
    const outcome = await job.outcome;
    expect(outcome.kind).toBe('lost');
    expect(outcome).toMatchObject({
      message: expect.stringMatching(
        new RegExp(`^the launcher shell \\(pid \\d+\\) exited before reporting the exit of process ${pid}`),
      ),
    });
    expect(await launcher.launch(request(['true'])).outcome).toEqual({ kind: 'exited', exitCode: 0 });
  });

  it('kills running processes and stops the launcher on close', async () => {
    const job = launcher.launch(request(['sleep', '30']));
    const pid = (await job.pid) as number;
    const shellPid = launcher.launcherPid as number;
    await launcher.close();
    expect(await job.outcome).toEqual({ kind: 'exited', exitCode: 137 });
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(shellPid)).toBe(false);
    expect(await launcher.launch(request(['true'])).outcome).toEqual({
      kind: 'failedToStart',
      message: 'the process launcher is closed',
    });
  });
});

describe('ProcessLauncher in a service process', () => {
  const moduleUrl = new URL('../../../../local/batch/executor/launcher.ts', import.meta.url).href;
  const runNode = (script: string): ChildProcess =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
  const exitOf = (child: ChildProcess) =>
    new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = (child: ChildProcess) =>
    new Promise<string>((resolve) => {
      let text = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
    });

  it('does not keep the service process alive once its processes have ended', async () => {
    const child = runNode(`
      import { ProcessLauncher } from ${JSON.stringify(moduleUrl)};
      const job = new ProcessLauncher().launch({ command: ['true'], environment: { PATH: ${JSON.stringify(searchPath)} }, cwd: ${JSON.stringify(dir)}, logFile: ${JSON.stringify(join(dir, 'idle.log'))} });
      console.log(JSON.stringify(await job.outcome));
    `);
    const [line, code] = await Promise.all([firstLine(child), exitOf(child)]);
    expect(JSON.parse(line)).toEqual({ kind: 'exited', exitCode: 0 });
    expect(code).toBe(0);
  });

  it('stops its processes when the service process is killed', async () => {
    const child = runNode(`
      import { ProcessLauncher } from ${JSON.stringify(moduleUrl)};
      const job = new ProcessLauncher().launch({ command: ['sleep', '60'], environment: { PATH: ${JSON.stringify(searchPath)} }, cwd: ${JSON.stringify(dir)}, logFile: ${JSON.stringify(join(dir, 'orphan.log'))} });
      console.log(await job.pid);
    `);
    const pid = Number(await firstLine(child));
    expect(isAlive(pid)).toBe(true);
    child.kill('SIGKILL');
    await exitOf(child);
    // The launcher sees its stdin close and sends SIGTERM to its process group.
    while (isAlive(pid)) await pause(10);
    expect(isAlive(pid)).toBe(false);
  });
});
