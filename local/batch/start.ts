/**
 * Starting the local Batch service: in a child process by default, or on this event loop.
 * See docs/local-batch.md, "Where the service runs".
 */
import { resolve } from 'node:path';
import type { FanoutConfig } from '../../config';
import type { Clock } from '../engine/types';
import type { EndpointAccess } from '../private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from '../private/sigv4.mjs';
import { serveBatch } from './api/server';
import { loadPrepareInvocation } from './child';
import { startBatchChild } from './child-process';
import type { InvocationModule } from './child-protocol';
import type { BatchServiceControl } from './control';
import type { PrepareInvocation } from './executor/invocation';
import type { ProcessLauncher } from './executor/launcher';
import { LocalBatch } from './local-batch';

/** Options of {@link startBatchService} that hold in both modes: plain data. */
export interface BatchServiceOptions {
  config: FanoutConfig;
  /** Logs go under `<stateDir>/batch/logs/<logStreamName>.log`. */
  stateDir: string;
  /** Port on 127.0.0.1. @default 0 (an ephemeral port) */
  port?: number;
  /** The only key pair requests may be signed with. @default a fresh pair */
  credentials?: LocalCredentials;
  /** vCPUs this machine lends every compute environment together. @default config.local.vcpus ('auto' = os.availableParallelism()) */
  vcpus?: number | 'auto';
  /** Working directory of job processes. @default process.cwd() */
  cwd?: string;
  /** Variables every job process starts with, below the job's own (e.g. endpoints of the local services). @default {} */
  jobEnvironment?: Record<string, string>;
  /** File mode creation mask of job processes, e.g. 0o022; the local cloud keeps the user's for jobs while its own files are private. @default inherited */
  jobUmask?: number;
  /**
   * An exported function applied to each attempt's command and environment right before
   * spawning, named by module rather than passed, so that a child process can load it.
   * @default identity
   */
  prepareInvocationModule?: InvocationModule;
  /**
   * Run the service on this event loop instead of a child process. The child (the
   * default) frees a job's vCPUs and starts the next job however busy this process is;
   * in-process, the service is the {@link LocalBatch} itself, with its synchronous API,
   * an injectable clock and launcher, and `prepareInvocation` as a function.
   * @default false
   */
  inProcess?: false;
}

/** Options of {@link startBatchService} with the service on this event loop. */
export interface InProcessBatchServiceOptions extends Omit<BatchServiceOptions, 'inProcess'> {
  inProcess: true;
  /** @default real time */
  clock?: Clock;
  /** More callers and what each may do (a rehearsal's roles). @default the key pair alone, allowed everything */
  access?: EndpointAccess;
  /** Uniform on [0, 1): draws Spot interruptions (`local.spotInterruptionRate`); tests inject a fixed sequence. @default Math.random */
  random?: () => number;
  /** Applied to each attempt's command and environment right before spawning; wins over `prepareInvocationModule`. @default identity */
  prepareInvocation?: PrepareInvocation;
  /** Starts job processes; closed with the service. @default a new `ProcessLauncher` */
  launcher?: ProcessLauncher;
  /** Finished jobs whose whole record stays in memory; older ones are read back from a file. @default 1000 */
  finishedJobsInMemory?: number;
}

export interface RunningBatchService<Service extends BatchServiceControl = BatchServiceControl> {
  /** Endpoint URL for `new BatchClient({ endpoint: url })` or `aws --endpoint-url`. */
  url: string;
  /** The key pair clients must sign with. */
  credentials: LocalCredentials;
  /** Counters and waits the AWS API does not offer; the {@link LocalBatch} itself when in-process. */
  service: Service;
  /** Kills running job processes and stops the server (and the child process, once it has exited). */
  close(): Promise<void>;
  /** In a child process: resolves with why, if the service's process ends without `close()`. */
  died?: Promise<string>;
}

/**
 * Starts the local Batch service on 127.0.0.1, by default in a child process that exits
 * (killing its jobs) when this process dies.
 * @example
 * const batch = await startBatchService({ config: loadConfig(), stateDir: '.fanout' });
 * const client = new BatchClient({ endpoint: batch.url, region: 'us-east-1', credentials: batch.credentials });
 * await batch.service.waitForIdle();
 * await batch.close();
 */
export function startBatchService(options: InProcessBatchServiceOptions): Promise<RunningBatchService<LocalBatch>>;
export function startBatchService(options: BatchServiceOptions): Promise<RunningBatchService>;
export async function startBatchService(
  options: BatchServiceOptions | InProcessBatchServiceOptions,
): Promise<RunningBatchService<LocalBatch> | RunningBatchService> {
  const credentials = options.credentials ?? generateLocalCredentials();
  if (options.inProcess) return startInProcess(options, credentials);
  const child = await startBatchChild({
    config: options.config,
    stateDir: resolve(options.stateDir),
    port: options.port ?? 0,
    credentials,
    cwd: resolve(options.cwd ?? process.cwd()),
    ...(options.vcpus === undefined ? {} : { vcpus: options.vcpus }),
    ...(options.jobEnvironment ? { jobEnvironment: options.jobEnvironment } : {}),
    ...(options.jobUmask === undefined ? {} : { jobUmask: options.jobUmask }),
    ...(options.prepareInvocationModule ? { prepareInvocationModule: options.prepareInvocationModule } : {}),
  });
  return { url: child.url, credentials, service: child.control, close: () => child.close(), died: child.died };
}

async function startInProcess(
  options: InProcessBatchServiceOptions,
  credentials: LocalCredentials,
): Promise<RunningBatchService<LocalBatch>> {
  const prepareInvocation =
    options.prepareInvocation ??
    (options.prepareInvocationModule ? await loadPrepareInvocation(options.prepareInvocationModule) : undefined);
  const service = new LocalBatch({
    config: options.config,
    stateDir: options.stateDir,
    ...(options.vcpus === undefined ? {} : { vcpus: options.vcpus }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(prepareInvocation ? { prepareInvocation } : {}),
    ...(options.jobEnvironment ? { jobEnvironment: options.jobEnvironment } : {}),
    ...(options.jobUmask === undefined ? {} : { jobUmask: options.jobUmask }),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
    ...(options.finishedJobsInMemory === undefined ? {} : { finishedJobsInMemory: options.finishedJobsInMemory }),
  });
  const server = await serveBatch(service, options.port ?? 0, credentials, options.access);
  return {
    url: server.url,
    credentials,
    service,
    async close() {
      await service.close();
      await server.close();
    },
  };
}
