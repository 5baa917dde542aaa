import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobDetail } from '@aws-sdk/client-batch';
import type { ChildMessage, ChildServiceOptions, ParentMessage } from './child-protocol';
import type { BatchServiceControl, BatchServiceStats } from './control';
import { BatchClientError, type BatchError, BatchServerError } from './errors';

const ENTRY = new URL('./child-entry.mjs', import.meta.url);

/** The child kills its jobs with SIGKILL and waits for them; one still alive after this is killed. */
const CHILD_CLOSE_TIMEOUT_MS = 30_000;

/** Enough of the child's stderr to explain a crash. */
const STDERR_TAIL_CHARS = 4_096;

const noop = (): void => {};

type Call = { method: 'stats' | 'waitForIdle' } | { method: 'waitForJob'; jobId: string };

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Rebuilds an error the child reported, keeping the Batch error classes callers test for. */
function rebuildError(name: string, message: string): Error {
  if (name === 'BatchClientError') return new BatchClientError(message);
  return new BatchServerError(`the local Batch service process failed: ${name}: ${message}`);
}

/** {@link BatchServiceControl} answered by the child process over IPC. */
class ChildBatchControl implements BatchServiceControl {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private gone: BatchError | undefined;

  constructor(private readonly child: ChildProcess) {}

  stats(): Promise<BatchServiceStats> {
    return this.call({ method: 'stats' }) as Promise<BatchServiceStats>;
  }

  waitForIdle(): Promise<void> {
    return this.call({ method: 'waitForIdle' }).then(() => undefined);
  }

  waitForJob(jobId: string): Promise<JobDetail> {
    return this.call({ method: 'waitForJob', jobId }) as Promise<JobDetail>;
  }

  receive(message: ChildMessage): void {
    if (message.type !== 'result' && message.type !== 'error') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.value);
    else pending.reject(rebuildError(message.name, message.message));
  }

  /** Fails every call still waiting, and every later one, with `error`. */
  end(error: BatchError): void {
    this.gone ??= error;
    for (const pending of this.pending.values()) pending.reject(this.gone);
    this.pending.clear();
  }

  private call(call: Call): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // With a callback, a channel closed meanwhile is reported here instead of as an 'error' event.
      this.child.send({ type: 'call', id, ...call } satisfies ParentMessage, (error) => {
        if (!error || !this.pending.delete(id)) return;
        reject(
          this.gone ?? new BatchServerError(`the local Batch service process cannot be reached: ${error.message}`),
        );
      });
    });
  }
}

/** A local Batch service running in a child process. */
interface BatchChild {
  url: string;
  control: BatchServiceControl;
  /** Asks the child to kill its jobs and stop; resolves once it has exited. */
  close(): Promise<void>;
  /** Resolves with why, if the child ends without being asked to (killed, crashed); never otherwise. */
  died: Promise<string>;
}

/**
 * Forks the child process of the local Batch service and waits until it listens. The
 * child exits, killing its jobs, when this process dies (the IPC channel disconnects).
 */
export async function startBatchChild(options: ChildServiceOptions): Promise<BatchChild> {
  // No loader flags: the entry is plain JavaScript and loads tsx itself; tsx's or vitest's
  // flags (or --inspect) in this process's execArgv have no business in the child.
  const child = fork(fileURLToPath(ENTRY), [], { execArgv: [], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    process.stderr.write(chunk);
  });
  const control = new ChildBatchControl(child);
  // Resolves with why the child ended badly, or undefined after a clean exit.
  const exited = new Promise<string | undefined>((resolveExit) => {
    // 'close' rather than 'exit': it comes after stderr is drained, so the tail is complete.
    child.once('close', (code, signal) => {
      const why =
        code === 0 ? undefined : `exited with ${signal ?? `code ${code}`}${stderrTail ? `: ${stderrTail.trim()}` : ''}`;
      control.end(new BatchServerError(`the local Batch service process ${why ?? 'exited'}`));
      resolveExit(why);
    });
  });

  const started = await new Promise<string | BatchServerError>((resolveStart) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') child.send({ type: 'start', options } satisfies ParentMessage, noop);
      else if (message.type === 'listening') resolveStart(message.url);
      else if (message.type === 'failed')
        resolveStart(new BatchServerError(`the local Batch service failed to start: ${message.message}`));
      else control.receive(message);
    });
    child.on('error', (error) =>
      resolveStart(new BatchServerError(`the local Batch service process failed: ${error.message}`)),
    );
    void exited.then((why) =>
      resolveStart(new BatchServerError(`the local Batch service process ${why ?? 'exited'} before listening`)),
    );
  });
  if (started instanceof BatchServerError) {
    // Rejected only once the child is gone, so nothing of it outlives the failed start.
    if (child.pid !== undefined) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    throw started;
  }

  let closing: Promise<void> | undefined;
  const died = exited.then((why) => (closing ? new Promise<string>(() => {}) : (why ?? 'exited')));
  return {
    url: started,
    control,
    died,
    close() {
      closing ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          if (child.connected)
            child.send({ type: 'close' } satisfies ParentMessage, (error) => error && child.kill('SIGTERM'));
          else child.kill('SIGTERM');
        }
        const kill = setTimeout(() => child.kill('SIGKILL'), CHILD_CLOSE_TIMEOUT_MS);
        kill.unref();
        const why = await exited;
        clearTimeout(kill);
        if (why !== undefined) throw new BatchServerError(`closing the local Batch service: its process ${why}`);
      })();
      return closing;
    },
  };
}
