import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRunLock } from './lock';
import type { StateLockHolder } from './state-lock';

/**
 * The endpoints of the local cloud a live process runs on a state folder it holds
 * (`<dir>/writer.lock`): `fanout local serve` writes them to `<dir>/local-cloud.env`, `fanout
 * run` (and `retry`, `resume`) to the lock file of the run it follows. Both files are the owner's
 * only. `fanout status`, `list` and `report` read the folder's runs through them while the
 * holder lives, since its ledger store is that process's alone.
 */
export interface LiveEndpoints {
  /** The process that serves them: the holder of the folder. */
  pid: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stepfunctions: string;
  dynamodb: string;
  /** Absent in the lock of a run started before the lock named it. */
  batch?: string;
}

/** The file `fanout local serve` keeps in the state folder (cli/commands/local-serve.ts). */
const SERVE_ENV_FILE = 'local-cloud.env';

/** The first line of the env file names the process that wrote it. */
const SERVE_ENV_OWNER = /^# fanout local serve, process (\d+)$/m;

/**
 * The endpoints of the live process `holder` holding `dir`, from its env file or one of its run
 * locks; undefined when it published none (a command that holds the folder only briefly).
 * @example const live = holder && liveEndpointsOf(dir, holder);
 */
export function liveEndpointsOf(dir: string, holder: Pick<StateLockHolder, 'pid'>): LiveEndpoints | undefined {
  return fromServeEnvFile(dir, holder.pid) ?? fromRunLocks(dir, holder.pid);
}

/** Parses the `export NAME='value'` lines of the env file (the form `local serve` writes). */
export function parseServeEnvFile(text: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)='(.*)'$/.exec(line);
    if (match) variables[match[1] as string] = (match[2] as string).replaceAll(`'\\''`, "'");
  }
  return variables;
}

function fromServeEnvFile(dir: string, pid: number): LiveEndpoints | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, SERVE_ENV_FILE), 'utf8');
  } catch {
    return undefined;
  }
  // A file left by a serve that was killed names a process that is not the holder.
  if (Number(SERVE_ENV_OWNER.exec(text)?.[1]) !== pid) return undefined;
  const env = parseServeEnvFile(text);
  const { AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_DYNAMODB } = env;
  if (
    !AWS_REGION ||
    !AWS_ACCESS_KEY_ID ||
    !AWS_SECRET_ACCESS_KEY ||
    !AWS_ENDPOINT_URL_SFN ||
    !AWS_ENDPOINT_URL_DYNAMODB
  )
    return undefined;
  return {
    pid,
    region: AWS_REGION,
    credentials: { accessKeyId: AWS_ACCESS_KEY_ID, secretAccessKey: AWS_SECRET_ACCESS_KEY },
    stepfunctions: AWS_ENDPOINT_URL_SFN,
    dynamodb: AWS_ENDPOINT_URL_DYNAMODB,
    ...(env.AWS_ENDPOINT_URL_BATCH ? { batch: env.AWS_ENDPOINT_URL_BATCH } : {}),
  };
}

function fromRunLocks(dir: string, pid: number): LiveEndpoints | undefined {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'runs'));
  } catch {
    return undefined;
  }
  for (const name of names.filter((file) => file.endsWith('.lock'))) {
    let lock: ReturnType<typeof readRunLock>;
    try {
      lock = readRunLock(dir, name.slice(0, -'.lock'.length));
    } catch {
      // Being written: another lock of the holder's, or the next look, names the endpoints.
      continue;
    }
    if (!lock || lock.pid !== pid || !lock.ledgerEndpoint) continue;
    return {
      pid,
      region: lock.region,
      credentials: lock.credentials,
      stepfunctions: lock.endpoint,
      dynamodb: lock.ledgerEndpoint,
      ...(lock.batchEndpoint ? { batch: lock.batchEndpoint } : {}),
    };
  }
  return undefined;
}
