import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolveJobInvocation } from './array-item';
import { InvocationError, type ResolvedInvocation } from './invocation';

/**
 * The launcher: `/opt/fanout/launch <command...>` in a job image (job/launcher/). Resolves the
 * item's kwargs into the command and environment (see invocation.ts; on the array path the
 * item is first read from the manifest, see array-item.ts), runs the command with
 * inherited stdio, forwards termination signals to it, and exits with its exit code
 * (128 + n when a signal n ended it, as shells report it).
 *
 * Exit codes of its own: 125 the invocation could not be resolved, 126 the command cannot be
 * executed, 127 the command was not found.
 */

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

function fail(code: number, message: string): void {
  process.stderr.write(`fanout launcher: ${message}\n`);
  process.exitCode = code;
}

async function main(): Promise<void> {
  let resolved: ResolvedInvocation;
  try {
    resolved = await resolveJobInvocation({ command: process.argv.slice(2), environment: process.env });
  } catch (error) {
    if (error instanceof InvocationError) return fail(125, error.message);
    throw error;
  }
  const [file, ...args] = resolved.command as [string, ...string[]];
  const child = spawn(file, args, { stdio: 'inherit', env: resolved.environment });
  // Batch stops a job by signalling PID 1 (this process); the user's program must hear it.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.on('error', (error: NodeJS.ErrnoException) => {
    // Worded as a container runtime reports a command it cannot start (docs/job-contract.md).
    if (error.code === 'ENOENT') fail(127, `exec: "${file}": executable file not found in $PATH`);
    else fail(126, `exec: "${file}": ${error.code === 'EACCES' ? 'permission denied' : error.message}`);
  });
  child.on('close', (code, signal) => {
    for (const name of FORWARDED_SIGNALS) process.off(name, forward);
    if (process.exitCode !== undefined && process.exitCode !== 0) return;
    process.exitCode = signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1);
  });
}

void main();
