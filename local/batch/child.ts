/**
 * The local Batch service as a child process of `startBatchService`: HTTP endpoint,
 * executor and launcher on an event loop of their own, so a job's end frees its vCPUs
 * and starts the next job however busy the parent (engine, SDK clients) is.
 *
 * Started by `child-entry.mjs` (which loads TypeScript support first). The child says
 * `ready`, the parent sends `start`, the child answers `listening` or `failed`; then `call`s are answered with
 * `result` or `error`, and `close` (or the IPC channel disconnecting, the parent having
 * died) kills the running jobs, stops the server and exits. SIGINT is ignored: a Ctrl+C
 * reaches the whole process group, and the parent decides when the service stops.
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveBatch } from './api/server';
import type { ChildMessage, ChildServiceOptions, InvocationModule, ParentMessage } from './child-protocol';
import { BatchServerError } from './errors';
import type { AttemptInvocation, PrepareInvocation } from './executor/invocation';
import { LocalBatch } from './local-batch';

/** Imports the named export of a module and checks it is a function. */
export async function loadPrepareInvocation(reference: InvocationModule): Promise<PrepareInvocation> {
  const url = isAbsolute(reference.module) ? pathToFileURL(reference.module).href : reference.module;
  const loaded = (await import(url)) as Record<string, unknown>;
  const prepare = loaded[reference.exportName];
  if (typeof prepare !== 'function') {
    throw new BatchServerError(
      `prepareInvocationModule: ${reference.module} has no exported function "${reference.exportName}"; received ${typeof prepare}`,
    );
  }
  const { options } = reference;
  // Options go in as a second argument only when given: an export may take another one (the
  // launcher's resolveJobInvocation takes an optional manifest reader).
  if (options === undefined) return prepare as PrepareInvocation;
  const withOptions = prepare as (
    job: AttemptInvocation,
    options: Readonly<Record<string, unknown>>,
  ) => ReturnType<PrepareInvocation>;
  return (job) => withOptions(job, options);
}

function send(message: ChildMessage): void {
  process.send?.(message);
}

async function start(options: ChildServiceOptions): Promise<{ service: LocalBatch; close(): Promise<void> }> {
  const prepareInvocation = options.prepareInvocationModule
    ? await loadPrepareInvocation(options.prepareInvocationModule)
    : undefined;
  const service = new LocalBatch({
    config: options.config,
    stateDir: options.stateDir,
    cwd: options.cwd,
    ...(options.vcpus === undefined ? {} : { vcpus: options.vcpus }),
    ...(options.jobEnvironment ? { jobEnvironment: options.jobEnvironment } : {}),
    ...(options.jobUmask === undefined ? {} : { jobUmask: options.jobUmask }),
    ...(prepareInvocation ? { prepareInvocation } : {}),
  });
  let server: Awaited<ReturnType<typeof serveBatch>>;
  try {
    server = await serveBatch(service, options.port, options.credentials);
  } catch (error) {
    await service.close();
    throw error;
  }
  send({ type: 'listening', url: server.url });
  return {
    service,
    async close() {
      await service.close();
      await server.close();
    },
  };
}

async function answer(service: LocalBatch, message: Extract<ParentMessage, { type: 'call' }>): Promise<void> {
  try {
    let value: Extract<ChildMessage, { type: 'result' }>['value'];
    if (message.method === 'waitForJob') value = await service.waitForJob(message.jobId);
    else if (message.method === 'waitForIdle') value = await service.waitForIdle().then(() => null);
    else value = await service.stats();
    send({ type: 'result', id: message.id, value });
  } catch (error) {
    const { name, message: text } = error instanceof Error ? error : new Error(String(error));
    send({ type: 'error', id: message.id, name, message: text });
  }
}

/** Serves the parent over IPC until told to close or disconnected. */
export function serveParent(): void {
  process.on('SIGINT', () => {});
  let running: Promise<{ service: LocalBatch; close(): Promise<void> } | undefined> | undefined;
  let closing = false;
  const stop = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    try {
      const started = await running?.catch(() => undefined);
      await started?.close();
      process.exitCode = 0;
    } catch (error) {
      process.stderr.write(`local Batch service: closing failed: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
    // A connected IPC channel would keep the process alive.
    process.exit();
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'start' && !running) {
      running = start(message.options).catch((error: unknown) => {
        process.send?.({ type: 'failed', message: (error as Error).message } satisfies ChildMessage, () =>
          process.exit(1),
        );
        return undefined;
      });
    } else if (message.type === 'call') {
      void running?.then((started) => (started ? answer(started.service, message) : undefined));
    } else if (message.type === 'close') {
      void stop();
    }
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  // Only now can a message be received; one sent earlier would find no listener.
  send({ type: 'ready' });
}
