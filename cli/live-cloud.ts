import { BatchClient } from '@aws-sdk/client-batch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, SFNClient } from '@aws-sdk/client-sfn';
import type { FanoutConfig } from '../config';
import type { ExecutionStatus, LiveJobs, RunLedgerView, RunPath } from '../run';
import { readRunLedgerView } from '../run/ledger-view';
import type { LiveEndpoints } from './live-endpoints';
import { runningJobsOf } from './live-jobs';

/**
 * The local cloud of the live process holding a state folder, reached through its endpoints
 * (cli/live-endpoints.ts) the way any SDK user reaches it: what `fanout status`, `list` and
 * `report` read while that process runs. Loaded only when such a process is found, so that
 * `status` of a folder nobody holds never loads the SDK.
 */
export interface LiveCloud {
  readonly ledger: DynamoDBClient;
  /** DescribeExecution, or undefined when this cloud does not know the execution (one an earlier process ran). */
  describeExecution(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined>;
  /** The execution's status, or `fallback` when this cloud does not know it. */
  executionStatus(executionArn: string, fallback: ExecutionStatus): Promise<ExecutionStatus>;
  ledgerView(runId: string): Promise<RunLedgerView>;
  /** Jobs of the run Batch reports STARTING or RUNNING now; none when the endpoints do not name Batch. */
  runningJobs(run: { runId: string; path: RunPath; startedAt: string | null }): Promise<LiveJobs>;
  close(): void;
}

/**
 * Clients for the endpoints of a live holder, signing with its key pair.
 * @example const cloud = openLiveCloud(liveEndpointsOf(dir, holder), loadConfig()); try { ... } finally { cloud.close(); }
 */
export function openLiveCloud(endpoints: LiveEndpoints, config: FanoutConfig): LiveCloud {
  // One attempt: the holder answering or not is the answer, no backoff over a loopback socket.
  const clientConfig = { region: endpoints.region, credentials: { ...endpoints.credentials }, maxAttempts: 1 };
  const sfn = new SFNClient({ ...clientConfig, endpoint: endpoints.stepfunctions });
  const ledger = new DynamoDBClient({ ...clientConfig, endpoint: endpoints.dynamodb });
  const batch = endpoints.batch ? new BatchClient({ ...clientConfig, endpoint: endpoints.batch }) : undefined;
  const describeExecution = async (executionArn: string) => {
    try {
      return await sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (error) {
      if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw error;
    }
  };
  return {
    ledger,
    describeExecution,
    async executionStatus(executionArn, fallback) {
      const status = (await describeExecution(executionArn))?.status;
      if (!status) return fallback;
      // PENDING_REDRIVE is the moment between a redrive request and the execution running again.
      return (status === 'PENDING_REDRIVE' ? 'RUNNING' : status) as ExecutionStatus;
    },
    ledgerView: (runId) => readRunLedgerView(ledger, config.ledgerTable, runId),
    async runningJobs(run) {
      if (!batch) return { running: 0 };
      return runningJobsOf(
        batch,
        config.jobQueues.map((queue) => queue.name),
        run,
      );
    },
    close() {
      sfn.destroy();
      ledger.destroy();
      batch?.destroy();
    },
  };
}
