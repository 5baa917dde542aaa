/**
 * A rehearsed Lambda function in its own Node.js process (`lambda-runner.mjs`): its bundle as
 * staged, its environment as Lambda sets it, its role's key pair, its output in its log file.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaContext, LambdaHandler } from '../../engine/integrations';
import { RehearsalError } from '../errors';
import { handlerModule, type RehearsedFunction } from '../stack';

const RUNNER = new URL('./lambda-runner.mjs', import.meta.url);

type RunnerMessage =
  | { type: 'ready' }
  | { type: 'failed'; message: string }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; errorType: string; errorMessage: string; trace: string[] };

/** The function's error as the runtime reports it: its name, message and stack. */
class FunctionError extends Error {
  constructor(errorType: string, message: string, trace: string[]) {
    super(message);
    this.name = errorType;
    this.stack = trace.join('\n');
  }
}

export interface LambdaProcess {
  readonly handler: LambdaHandler;
  stop(): void;
}

/**
 * Starts the function's process and resolves once its bundle has loaded (a bundle that fails to
 * load rejects, naming the function).
 */
export async function startLambdaProcess(
  fn: RehearsedFunction,
  environment: Record<string, string>,
  logDir: string,
): Promise<LambdaProcess> {
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  const log = openSync(join(logDir, `${fn.name}.log`), 'a', 0o600);
  const { file, exportName } = handlerModule(fn);
  let child: ChildProcess;
  try {
    child = fork(fileURLToPath(RUNNER), [JSON.stringify({ file, exportName })], {
      execArgv: [],
      cwd: fn.codeDir,
      env: environment,
      stdio: ['ignore', log, log, 'ipc'],
    });
  } finally {
    closeSync(log);
  }
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 0;
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => resolve(`exited with ${signal ?? `code ${code}`}`)),
  );
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: RunnerMessage) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'failed')
        reject(new RehearsalError(`${fn.logicalId}: the bundle does not load: ${message.message}`));
      else if (message.type === 'result') pending.get(message.id)?.resolve(message.value);
      else if (message.type === 'error') {
        pending.get(message.id)?.reject(new FunctionError(message.errorType, message.errorMessage, message.trace));
      }
      if (message.type === 'result' || message.type === 'error') pending.delete(message.id);
    });
    void exited.then((why) => {
      reject(new RehearsalError(`${fn.logicalId}: the function's process ${why} before it was ready`));
      for (const call of pending.values())
        call.reject(new FunctionError('Runtime.ExitError', `the function's process ${why}`, []));
      pending.clear();
    });
  });
  const handler: LambdaHandler = (event: unknown, context: LambdaContext) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const { getRemainingTimeInMillis, ...plain } = context;
      child.send({
        type: 'invoke',
        id,
        event,
        context: { ...plain, timeoutMs: Math.min(getRemainingTimeInMillis(), fn.timeoutSeconds * 1000) },
      });
    });
  return {
    handler,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
