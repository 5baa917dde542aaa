import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, ExitCode } from './io';
import { processAlive } from './lock';

/**
 * One folder, one writer: the process that runs a local cloud on a state folder holds
 * `<dir>/writer.lock` ({pid, command, since}) until it ends. Another `fanout` command that
 * would open the same folder is refused in one line naming the holder, with exit code 75
 * ({@link ExitCode.Busy}); a lock whose process has died is taken over.
 */
export interface StateLockHolder {
  pid: number;
  command: string;
  since: string;
}

const LOCK_FILE = 'writer.lock';

function lockPath(dir: string): string {
  return join(resolve(dir), LOCK_FILE);
}

/** This process's command line, as the lock names it: `fanout run input.json`. */
export function commandLine(): string {
  return ['fanout', ...process.argv.slice(2)].join(' ');
}

/** The live process holding the folder, or undefined. */
export function stateHolder(dir: string): StateLockHolder | undefined {
  let holder: StateLockHolder;
  try {
    holder = JSON.parse(readFileSync(lockPath(dir), 'utf8')) as StateLockHolder;
  } catch {
    return undefined;
  }
  return holder.pid !== process.pid && processAlive(holder.pid) ? holder : undefined;
}

function busy(dirText: string, holder: StateLockHolder): CliError {
  return new CliError(
    `${dirText} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}); wait for it to end or stop it, or use another --dir`,
    ExitCode.Busy,
  );
}

/** Refuses (exit 75) when another live process holds the folder; for commands that only read it. */
export function checkStateFree(dir: string, dirText = dir): void {
  const holder = stateHolder(dir);
  if (holder) throw busy(dirText, holder);
}

/**
 * Takes the folder for this process, or refuses (exit 75) naming the live holder. Returns the
 * release, which also runs when the process exits.
 * @example const release = holdStateDir('.fanout', 'fanout run input.json'); try { ... } finally { release(); }
 */
export function holdStateDir(dir: string, command: string, dirText = dir): () => void {
  const path = lockPath(dir);
  mkdirSync(resolve(dir), { recursive: true, mode: 0o700 });
  const mine: StateLockHolder = { pid: process.pid, command, since: new Date().toISOString() };
  const staged = `${path}.${process.pid}`;
  writeFileSync(staged, `${JSON.stringify(mine)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // link() fails when the lock exists: of two processes, exactly one takes it.
        linkSync(staged, path);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt === 1) throw error;
        const holder = stateHolder(dir);
        if (holder) throw busy(dirText, holder);
        // Its process died without releasing it.
        rmSync(path, { force: true });
      }
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    const holder = stateHolder(dir);
    if (holder) throw busy(dirText, holder);
    throw error;
  } finally {
    rmSync(staged, { force: true });
  }
  const release = () => {
    process.removeListener('exit', release);
    try {
      const current = JSON.parse(readFileSync(path, 'utf8')) as StateLockHolder;
      if (current.pid === process.pid) rmSync(path, { force: true });
    } catch {
      // Already gone.
    }
  };
  process.on('exit', release);
  return release;
}
