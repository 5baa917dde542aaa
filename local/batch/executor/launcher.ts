import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { BatchError } from '../errors';

/**
 * Starts job processes through one long-lived `/bin/sh`, so the service never forks itself.
 *
 * `child_process.spawn` forks the calling process, and a fork costs time in proportion to the
 * caller's memory: a local cloud of a few hundred megabytes paid about 13 ms of main-thread time
 * per job. The launcher shell is tiny, so the fork each job needs is cheap, and it happens off
 * the service's thread. One line per job goes to the shell's stdin; the shell answers with
 * event lines on its stdout (each a single write under PIPE_BUF, so concurrent jobs never
 * interleave them):
 *
 *   S <key> <pid>      the process exists (a subshell that is about to exec the command)
 *   F <key> <what>     it could not be started: `cwd` (no such directory) or `log` (log file)
 *   E <key> <status>   it ended; `wait` reports 128 + n for a process killed by signal n
 *
 * The shell starts with an empty environment; each job's environment is given as assignments in
 * front of `exec`, so the job sees exactly that environment. It runs in a process group of its
 * own, and when its stdin closes (the service exited, even by SIGKILL) it sends SIGTERM to every
 * process of that group: jobs never outlive the service by accident.
 */

/** What to run: argv, the exact environment, the working directory and the log file. */
export interface LaunchRequest {
  /** argv; a first element without `/` is searched on the environment's `PATH`, as execvp does. */
  readonly command: readonly string[];
  /** The process's whole environment. */
  readonly environment: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** stdout and stderr are appended to this file; its directory must exist. */
  readonly logFile: string;
  /** The process's file mode creation mask. @default the launcher's */
  readonly umask?: number;
  /**
   * Where the shell appends `<id> <status>` the moment the process ends, before it reports the
   * end: a service killed in between finds the end there (see journal.ts, exit records).
   */
  readonly exitRecord?: { readonly file: string; readonly id: string };
}

/** How a launched process ended. */
export type LaunchOutcome =
  /** The process ran and ended; a process killed by signal n reports 128 + n, as Docker does. */
  | { readonly kind: 'exited'; readonly exitCode: number }
  /** The command never ran; `message` says why. */
  | { readonly kind: 'failedToStart'; readonly message: string }
  /** The launcher died before it could report the process's exit. */
  | { readonly kind: 'lost'; readonly message: string };

/** A launched process. */
export interface LaunchedProcess {
  /** Resolves with the process id once it exists, or with `undefined` when it never will. */
  readonly pid: Promise<number | undefined>;
  /** Resolves once the process has ended (never rejects). */
  readonly outcome: Promise<LaunchOutcome>;
  /** Signals the process now, or as soon as it exists; does nothing once it has ended. */
  kill(signal: NodeJS.Signals): void;
}

/** A launch request that cannot be expressed: a NUL byte, an empty command or a bad variable name. */
export class LaunchRequestError extends BatchError {
  override readonly name: string = 'LaunchRequestError';
  constructor(message: string, options?: ErrorOptions) {
    super('ClientException', message, 400, options);
  }
}

/** Names a shell handles specially (dash checks OPTIND is a number; bash makes the others read-only). */
const shellSpecialNames = new Set(['OPTIND', 'PPID', 'UID', 'EUID', 'SHELLOPTS', 'BASHOPTS', 'BASH_VERSINFO', '_']);
const shellName = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables the launcher shell itself exports (dash: after `cd`; bash as sh: at start); the job gets only its own. */
const shellExported = 'PWD OLDPWD SHLVL';
/** Sets any variable name, for the few the shell cannot assign in front of `exec`. */
const envProgram = '/usr/bin/env';
const stderrTailBytes = 2048;

/** Quotes a string for the shell: single quotes keep every byte but `'` literal. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

function checkNoNul(value: string, what: string): void {
  if (value.includes('\0')) {
    throw new LaunchRequestError(
      `${what} must not contain a NUL byte; received ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)}`,
    );
  }
}

/** `umask 022; ` for a mask, nothing without one. */
function umaskCommand(mask: number | undefined): string {
  if (mask === undefined) return '';
  if (!Number.isInteger(mask) || mask < 0 || mask > 0o777) {
    throw new LaunchRequestError(`umask must be an integer from 0 to 0o777; received ${mask}`);
  }
  return `umask ${mask.toString(8).padStart(3, '0')}; `;
}

/**
 * The shell line that runs one job and reports its events under `key`.
 * @throws LaunchRequestError for an empty command, a NUL byte, or a variable name that is empty or holds `=`.
 */
function launchLine(key: number, request: LaunchRequest): string {
  if (request.command.length === 0)
    throw new LaunchRequestError('command must hold at least the program to run; received an empty list');
  request.command.forEach((argument, index) => {
    checkNoNul(argument, `command[${index}]`);
  });
  checkNoNul(request.cwd, 'cwd');
  checkNoNul(request.logFile, 'logFile');
  let assignments = '';
  let viaEnv = '';
  for (const name in request.environment) {
    const value = request.environment[name] as string;
    if (name.length === 0 || name.includes('=')) {
      throw new LaunchRequestError(
        `environment variable names must be non-empty and free of "="; received ${JSON.stringify(name)}`,
      );
    }
    checkNoNul(name, 'an environment variable name');
    checkNoNul(value, `environment variable ${name}`);
    if (shellName.test(name) && !shellSpecialNames.has(name)) assignments += `${name}=${shellQuote(value)} `;
    else viaEnv += ` ${shellQuote(`${name}=${value}`)}`;
  }
  const program = viaEnv ? `${envProgram} --${viaEnv}` : '';
  const argv = request.command.map(shellQuote).join(' ');
  const cwd = shellQuote(request.cwd);
  const log = shellQuote(request.logFile);
  // The redirections sit on a brace group rather than on `exec`: a failed redirection of a
  // special built-in would end the subshell silently, one of a group leaves it to report `F`.
  const job =
    `( cd ${cwd} 2>/dev/null || { echo "F ${key} cwd"; exit 1; }; unset ${shellExported}; ` +
    // The umask is set inside the group, after its redirections: the log is the service's file.
    `{ ${umaskCommand(request.umask)}${assignments}exec ${program}${program ? ' ' : ''}${argv}; } 2>/dev/null >>${log} 2>&1 || { echo "F ${key} log"; exit 1; } ) </dev/null`;
  const record = request.exitRecord ? exitRecordCommand(request.exitRecord) : '';
  // `jobs` reaps finished job groups; without it a non-interactive dash keeps them as zombies.
  return `{ ${job} & p=$!; echo "S ${key} $p"; wait $p; s=$?; ${record}echo "E ${key} $s"; } & jobs >/dev/null\n`;
}

/** `echo '<id>' "$s" >>'<file>'; ` (a built-in: no fork), its failure silent: the record is a fallback. */
function exitRecordCommand(record: { file: string; id: string }): string {
  checkNoNul(record.file, 'exitRecord.file');
  // `:` separates an array child's index from its parent's ID; like the others it needs no quoting.
  if (!/^[A-Za-z0-9_:-]+$/.test(record.id)) {
    throw new LaunchRequestError(
      `exitRecord.id must hold only letters, digits, _, - and :; received ${JSON.stringify(record.id)}`,
    );
  }
  return `echo ${record.id} "$s" 2>/dev/null >>${shellQuote(record.file)}; `;
}

interface Pending {
  readonly cwd: string;
  readonly logFile: string;
  pid?: number;
  failure?: string;
  queuedSignal?: NodeJS.Signals;
  settled: boolean;
  readonly outcome: Promise<LaunchOutcome>;
  resolvePid: (pid: number | undefined) => void;
  resolveOutcome: (outcome: LaunchOutcome) => void;
}

type ShellProcess = ChildProcessByStdio<Writable, Readable, Readable>;

/** One launcher shell and the jobs it was asked to run. */
interface LauncherShell {
  readonly process: ShellProcess | undefined;
  readonly pending: Map<number, Pending>;
  alive: boolean;
  referenced: boolean;
  stderrTail: string;
  exited: Promise<void>;
}

const startFailures: Record<string, (request: Pending) => string> = {
  cwd: (request) => `the working directory ${JSON.stringify(request.cwd)} does not exist or cannot be entered`,
  log: (request) => `the log file ${JSON.stringify(request.logFile)} cannot be opened for appending`,
};

/**
 * Runs processes through a launcher shell started on first use and started again if it dies.
 * @example
 * const launcher = new ProcessLauncher();
 * const job = launcher.launch({ command: ['echo', 'hi'], environment: { PATH: '/usr/bin:/bin' }, cwd: '/tmp', logFile: '/tmp/hi.log' });
 * console.log(await job.pid, await job.outcome); // 12345 { kind: 'exited', exitCode: 0 }
 * await launcher.close();
 */
export class ProcessLauncher {
  private shell: LauncherShell | undefined;
  private readonly shells = new Set<LauncherShell>();
  private nextKey = 1;
  private closed = false;
  private startedShells = 0;

  /** Process id of the current launcher shell, if one is running. */
  get launcherPid(): number | undefined {
    return this.shell?.alive ? this.shell.process?.pid : undefined;
  }

  /** Number of launcher shells started so far (1 unless one died). */
  get launchersStarted(): number {
    return this.startedShells;
  }

  /** Number of processes launched and not yet ended. */
  get running(): number {
    let count = 0;
    for (const shell of this.shells) count += shell.pending.size;
    return count;
  }

  /**
   * Starts `request.command`. The returned promises resolve, never reject.
   * @throws LaunchRequestError when the request cannot be expressed (see `launchLine`).
   */
  launch(request: LaunchRequest): LaunchedProcess {
    const key = this.nextKey++;
    const line = launchLine(key, request);
    let resolvePid: (pid: number | undefined) => void = () => {};
    let resolveOutcome: (outcome: LaunchOutcome) => void = () => {};
    const pid = new Promise<number | undefined>((resolve) => {
      resolvePid = resolve;
    });
    const outcome = new Promise<LaunchOutcome>((resolve) => {
      resolveOutcome = resolve;
    });
    const shell = this.closed ? undefined : this.currentShell();
    const pending: Pending = {
      cwd: request.cwd,
      logFile: request.logFile,
      settled: false,
      outcome,
      resolvePid,
      resolveOutcome,
    };
    const handle: LaunchedProcess = { pid, outcome, kill: (signal) => this.signal(pending, signal) };
    if (!shell?.alive || !shell.process) {
      const why = this.closed
        ? 'the process launcher is closed'
        : `the launcher shell could not be started${shell ? `: ${shell.stderrTail}` : ''}`;
      this.settle(pending, { kind: 'failedToStart', message: why });
      return handle;
    }
    shell.pending.set(key, pending);
    this.reference(shell, true);
    shell.process.stdin.write(line);
    return handle;
  }

  /** Kills every process still running (SIGKILL), waits for their ends, then stops the launcher shell. */
  async close(): Promise<void> {
    this.closed = true;
    const ends: Promise<unknown>[] = [];
    for (const shell of this.shells) {
      for (const pending of shell.pending.values()) {
        this.signal(pending, 'SIGKILL');
        ends.push(pending.outcome);
      }
    }
    await Promise.all(ends);
    const exits = [...this.shells].map((shell) => {
      shell.process?.stdin.end();
      return shell.exited;
    });
    await Promise.all(exits);
    this.shell = undefined;
  }

  private currentShell(): LauncherShell {
    if (this.shell?.alive) return this.shell;
    this.shell = this.startShell();
    return this.shell;
  }

  private startShell(): LauncherShell {
    let child: ShellProcess | undefined;
    let markExited = (): void => {};
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const shell: LauncherShell = {
      process: undefined,
      pending: new Map(),
      alive: false,
      referenced: true,
      stderrTail: '',
      exited,
    };
    try {
      // An empty environment, so nothing of the service leaks into jobs; a process group of its
      // own, so the EXIT trap can stop every job with one signal and a terminal's Ctrl-C reaches
      // the service (which then closes the launcher) rather than each job directly.
      child = spawn('/bin/sh', [], { env: {}, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (error) {
      shell.stderrTail = (error as Error).message;
      markExited();
      return shell;
    }
    Object.assign(shell, { process: child, alive: true });
    this.startedShells++;
    this.shells.add(shell);
    child.stdin.on('error', () => {
      // EPIPE once the shell has died; its jobs are settled when its stdout closes.
    });
    // Runs when stdin ends, the service having closed it or exited.
    child.stdin.write(`trap 'trap "" TERM; kill -TERM 0' EXIT\n`);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      shell.stderrTail = (shell.stderrTail + chunk).slice(-stderrTailBytes);
    });
    let buffered = '';
    child.stdout.setEncoding('latin1');
    child.stdout.on('data', (chunk: string) => {
      const lines = (buffered + chunk).split('\n');
      buffered = lines.pop() as string;
      for (const line of lines) this.onEvent(shell, line);
    });
    // Job groups hold the stdout pipe until they have reported, so it closes only once every
    // job this shell started has reported or died with it.
    child.stdout.on('close', () => {
      this.retire(shell);
      const pid = child?.pid;
      for (const [key, pending] of shell.pending) {
        shell.pending.delete(key);
        const detail = shell.stderrTail.trim() ? ` (${shell.stderrTail.trim()})` : '';
        if (pending.pid === undefined) {
          this.settle(pending, {
            kind: 'failedToStart',
            message: `the launcher shell (pid ${pid}) exited before starting the process${detail}`,
          });
        } else {
          // The exit code is lost; make sure the process is gone before reporting it ended.
          this.kill(pending.pid, 'SIGKILL');
          this.settle(pending, {
            kind: 'lost',
            message: `the launcher shell (pid ${pid}) exited before reporting the exit of process ${pending.pid}${detail}`,
          });
        }
      }
      this.shells.delete(shell);
      this.reference(shell, false);
    });
    child.on('error', (error) => {
      shell.stderrTail = (shell.stderrTail + error.message).slice(-stderrTailBytes);
      this.retire(shell);
      // A shell that could not be spawned never emits 'exit'.
      if (child?.pid === undefined) markExited();
    });
    child.on('exit', () => {
      this.retire(shell);
      markExited();
    });
    return shell;
  }

  /** No new job goes to this shell. */
  private retire(shell: LauncherShell): void {
    shell.alive = false;
    if (this.shell === shell) this.shell = undefined;
  }

  /** An idle launcher must not keep the service's process alive; a busy one must, as a child would. */
  private reference(shell: LauncherShell, wanted: boolean): void {
    const child = shell.process;
    if (!child) return;
    const want = wanted || shell.pending.size > 0;
    if (want === shell.referenced) return;
    shell.referenced = want;
    for (const handle of [child, child.stdin, child.stdout, child.stderr] as {
      ref?: () => void;
      unref?: () => void;
    }[]) {
      if (want) handle.ref?.();
      else handle.unref?.();
    }
  }

  private onEvent(shell: LauncherShell, line: string): void {
    const [event, keyText, value] = line.split(' ');
    const key = Number(keyText);
    const pending = shell.pending.get(key);
    if (!pending || value === undefined) return;
    switch (event) {
      case 'S': {
        pending.pid = Number(value);
        pending.resolvePid(pending.pid);
        if (pending.queuedSignal) this.kill(pending.pid, pending.queuedSignal);
        return;
      }
      case 'F':
        pending.failure = value;
        return;
      case 'E': {
        shell.pending.delete(key);
        this.reference(shell, false);
        const failure = pending.failure === undefined ? undefined : startFailures[pending.failure];
        if (failure) this.settle(pending, { kind: 'failedToStart', message: failure(pending) });
        else this.settle(pending, { kind: 'exited', exitCode: Number(value) });
        return;
      }
      default:
        return;
    }
  }

  private settle(pending: Pending, outcome: LaunchOutcome): void {
    if (pending.settled) return;
    pending.settled = true;
    if (pending.pid === undefined) pending.resolvePid(undefined);
    pending.resolveOutcome(outcome);
  }

  private signal(pending: Pending, signal: NodeJS.Signals): void {
    if (pending.settled) return;
    if (pending.pid !== undefined) this.kill(pending.pid, signal);
    else if (pending.queuedSignal !== 'SIGKILL') pending.queuedSignal = signal;
  }

  private kill(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // ESRCH: it ended and its exit report is on its way.
    }
  }
}
