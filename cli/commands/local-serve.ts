import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import type { CliIo } from '../io';
import { jobUmask } from '../private-state';
import { keepServedRuns, type ServedRunKeeper } from '../served-runs';
import { commandLine, holdStateDir } from '../state-lock';

export interface LocalServeOptions {
  dir?: string;
  json?: boolean;
  /** Print the shell form (`export AWS_...=...`) instead of the text summary. */
  env?: boolean;
}

/** The file, in the state folder, a shell can source to reach the served cloud. */
export const SERVE_ENV_FILE = 'local-cloud.env';

/**
 * Keeps the local cloud running for other programs until SIGINT or SIGTERM.
 * With `--json` the first stdout line is `{"region", "credentials", "endpoints", "environment",
 * "envFile"}`; with `--env` stdout is the shell form of `environment`. Either way the shell
 * form is also in `<dir>/local-cloud.env` (owner-only) while the cloud runs. Every execution of
 * the fanout state machines started through the endpoint gets a run record, as one `fanout run`
 * starts does; those still running when it stops are stopped (`Fanout.ServeStopped`).
 */
export async function localServe(
  options: LocalServeOptions,
  io: CliIo,
  untilStopped: Promise<unknown> = stopSignal(),
): Promise<number> {
  const release = holdStateDir(options.dir ?? '.fanout', commandLine());
  let cloud: LocalCloud;
  // Every execution started through the endpoint gets a run record, as one `fanout run` starts does.
  let keeper: ServedRunKeeper | undefined;
  try {
    cloud = await startLocalCloud({
      ...(options.dir ? { dir: options.dir } : {}),
      ...jobUmask(),
      onExecutionStarted: (executionArn) => keeper?.follow(executionArn),
    });
  } catch (error) {
    release();
    throw error;
  }
  keeper = keepServedRuns(cloud, (message) => io.err(`fanout: ${message}`));
  const environment = clientEnvironment(cloud);
  const envFile = join(cloud.dir, SERVE_ENV_FILE);
  const shellForm = shellEnvironment(environment);
  // Holds the secret key: owner-only whatever the umask.
  // The first line names this process, so a reader can tell the file from one a killed serve left.
  writeFileSync(envFile, `# fanout local serve, process ${process.pid}\n${shellForm}`, { mode: 0o600 });
  try {
    const { stepfunctions, batch, dynamodb, s3, sns } = cloud.endpoints;
    if (options.json) {
      io.out(
        JSON.stringify({
          region: cloud.region,
          credentials: {
            accessKeyId: cloud.credentials.accessKeyId,
            secretAccessKey: cloud.credentials.secretAccessKey,
          },
          endpoints: { stepfunctions, batch, dynamodb, s3, sns },
          environment,
          envFile,
        }),
      );
    } else if (options.env) {
      io.out(shellForm.trimEnd());
    } else {
      io.out(`fanout local cloud (${cloud.dir}), region ${cloud.region}`);
      for (const [service, url] of Object.entries(cloud.endpoints)) io.out(`  ${service.padEnd(14)} ${url}`);
      io.out(`  state machine  ${cloud.mapStateMachineArn}`);
      io.out(`  state machine  ${cloud.arrayStateMachineArn}`);
      io.out(`  access key id  ${cloud.credentials.accessKeyId} (the secret key is in the file below)`);
      io.out(`For the AWS CLI, boto3 and the SDKs in a shell: . ${envFile}`);
      io.out('Press Ctrl+C to stop.');
    }
    await untilStopped;
  } finally {
    // The executions cannot outlive the cloud: they end ABORTED, and their records say so.
    await keeper.stopAll(`fanout local serve (process ${process.pid}) stopped`);
    rmSync(envFile, { force: true });
    await cloud.stop();
    release();
  }
  return 0;
}

/**
 * The variables with which the AWS CLI, boto3 and the AWS SDKs reach this cloud unchanged:
 * its key pair, its region and one service-specific endpoint variable per service.
 */
export function clientEnvironment(cloud: Pick<LocalCloud, 'region' | 'credentials' | 'endpoints'>) {
  return {
    AWS_ACCESS_KEY_ID: cloud.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: cloud.credentials.secretAccessKey,
    AWS_REGION: cloud.region,
    AWS_DEFAULT_REGION: cloud.region,
    AWS_ENDPOINT_URL_SFN: cloud.endpoints.stepfunctions,
    AWS_ENDPOINT_URL_BATCH: cloud.endpoints.batch,
    AWS_ENDPOINT_URL_DYNAMODB: cloud.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: cloud.endpoints.s3,
    AWS_ENDPOINT_URL_SNS: cloud.endpoints.sns,
  };
}

/**
 * `export` lines for a POSIX shell. A profile or a session token left in the shell would win
 * over (or spoil) the keys, so they are unset first.
 */
function shellEnvironment(environment: Record<string, string>): string {
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  const exports = Object.entries(environment).map(([name, value]) => `export ${name}=${quote(value)}`);
  return ['unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN', ...exports, ''].join('\n');
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
