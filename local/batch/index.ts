/**
 * The local AWS Batch service: an HTTP endpoint speaking Batch's REST-JSON protocol
 * (so `@aws-sdk/client-batch` and the AWS CLI work against it unchanged) in front of a
 * process executor that runs each job attempt as a process started by one launcher shell.
 * See docs/local-batch.md.
 */
import type { FanoutConfig } from '../../config';
import type { Clock } from '../engine/types';
import type { ProcessLauncher } from './launcher';
import { serveBatch } from './server';
import { LocalBatch, type PrepareInvocation } from './service';

export { BatchClientError, BatchError, BatchServerError } from './errors';
export { globMatches, decideRetry } from './retry';
export {
  ProcessLauncher,
  LaunchRequestError,
  type LaunchRequest,
  type LaunchOutcome,
  type LaunchedProcess,
} from './launcher';
export {
  LocalBatch,
  type Invocation,
  type JobStatus,
  type LocalBatchOptions,
  type PrepareInvocation,
  StatusReasons,
  logFileFor,
  substituteParameters,
} from './service';

export interface BatchServiceOptions {
  config: FanoutConfig;
  /** Logs go under `<stateDir>/batch/logs/<logStreamName>.log`. */
  stateDir: string;
  /** Port on 127.0.0.1. @default 0 (an ephemeral port) */
  port?: number;
  /** vCPUs shared by every compute environment. @default config.local.vcpus ('auto' = os.availableParallelism()) */
  vcpus?: number | 'auto';
  /** @default real time */
  clock?: Clock;
  /** Applied to each attempt's command and environment right before spawning. @default identity */
  prepareInvocation?: PrepareInvocation;
  /** Working directory of job processes. @default process.cwd() */
  cwd?: string;
  /** Starts job processes; closed with the service. @default a new `ProcessLauncher` */
  launcher?: ProcessLauncher;
}

export interface RunningBatchService {
  /** Endpoint URL for `new BatchClient({ endpoint: url })` or `aws --endpoint-url`. */
  url: string;
  service: LocalBatch;
  /** Kills running job processes and stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the local Batch service on 127.0.0.1.
 * @example
 * const batch = await startBatchService({ config: loadConfig(), stateDir: '.fanout' });
 * const client = new BatchClient({ endpoint: batch.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
 * await batch.close();
 */
export async function startBatchService(options: BatchServiceOptions): Promise<RunningBatchService> {
  const service = new LocalBatch({
    config: options.config,
    stateDir: options.stateDir,
    ...(options.vcpus === undefined ? {} : { vcpus: options.vcpus }),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.prepareInvocation ? { prepareInvocation: options.prepareInvocation } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.launcher ? { launcher: options.launcher } : {}),
  });
  const server = await serveBatch(service, options.port ?? 0);
  return {
    url: server.url,
    service,
    async close() {
      await service.close();
      await server.close();
    },
  };
}
