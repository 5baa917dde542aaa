import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, ExitCode } from '../../cli/io';
import { checkStateFree, holdStateDir } from '../../cli/state-lock';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

/** A live process standing in for another fanout holding the folder. */
function otherProcess(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid as number;
}

describe('holdStateDir', () => {
  it('takes a free folder, writes who holds it, and releases it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-lock-'));
    const release = holdStateDir(dir, 'fanout run input.json');
    const lock = JSON.parse(readFileSync(join(dir, 'writer.lock'), 'utf8'));
    expect(lock).toMatchObject({ pid: process.pid, command: 'fanout run input.json' });
    release();
    expect(existsSync(join(dir, 'writer.lock'))).toBe(false);
  });

  it('refuses a folder a live process holds, in one line naming it, with exit code 75', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-lock-'));
    const pid = otherProcess();
    writeFileSync(
      join(dir, 'writer.lock'),
      JSON.stringify({ pid, command: 'fanout local serve', since: '2026-12-07T06:00:00.000Z' }),
    );
    const expected = new CliError(
      `.fanout is in use by process ${pid} (fanout local serve, since 2026-12-07T06:00:00.000Z); wait for it to end or stop it, or use another --dir`,
      ExitCode.Busy,
    );
    expect(() => holdStateDir(dir, 'fanout run x.json', '.fanout')).toThrow(expected);
    expect(() => checkStateFree(dir, '.fanout')).toThrow(expected);
    expect(ExitCode.Busy).toBe(75);
    // The holder's lock is left as it was.
    expect(JSON.parse(readFileSync(join(dir, 'writer.lock'), 'utf8')).pid).toBe(pid);
  });

  it('takes over a lock whose process has died', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fanout-lock-'));
    const child = spawn('true');
    const deadPid = child.pid as number;
    return new Promise<void>((done) => {
      child.on('exit', () => {
        writeFileSync(join(dir, 'writer.lock'), JSON.stringify({ pid: deadPid, command: 'fanout run', since: 'then' }));
        expect(() => checkStateFree(dir)).not.toThrow();
        const release = holdStateDir(dir, 'fanout resume r');
        expect(JSON.parse(readFileSync(join(dir, 'writer.lock'), 'utf8')).pid).toBe(process.pid);
        release();
        done();
      });
    });
  });
});
