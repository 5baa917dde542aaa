import { GetObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import {
  type Invocation,
  InvocationError,
  KWARGS_VARIABLE,
  type ResolvedInvocation,
  resolveInvocation,
} from './invocation';
import {
  ARRAY_INDEX_VARIABLE,
  ARRAY_OFFSET_VARIABLE,
  MANIFEST_INDEX_VARIABLE,
  MANIFEST_VARIABLE,
  ManifestReader,
  parseObjectUri,
  type ReadRange,
} from './manifest-index';

/**
 * The array path's side of the job: a child of an array job (or a plain job of the array path)
 * gets no kwargs in its environment, only where its item is: `FANOUT_MANIFEST`,
 * `FANOUT_MANIFEST_INDEX` and `FANOUT_ARRAY_OFFSET`, the position of its array's first item in
 * the manifest. Its item is at `FANOUT_ARRAY_OFFSET + AWS_BATCH_JOB_ARRAY_INDEX` (index 0 in a
 * plain job, which has no array index). Once read, the item becomes `FANOUT_KWARGS` and
 * `FANOUT_ITEM_ID`, and the job goes on exactly as a Map path job does.
 */

/** Variable the item's id is exported in, as on the Map path. */
export const ITEM_ID_VARIABLE = 'FANOUT_ITEM_ID';

type Environment = Readonly<Record<string, string | undefined>>;

function nonNegativeInteger(environment: Environment, name: string): number {
  const text = environment[name];
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text))
    throw new InvocationError(`${name} must be a non-negative integer; received ${text.slice(0, 80)}`);
  return Number(text);
}

/**
 * The environment with the job's item resolved from the manifest (`FANOUT_KWARGS` and
 * `FANOUT_ITEM_ID` set), or unchanged when it names no manifest.
 * @throws InvocationError when the variables are inconsistent or the item cannot be read.
 * @example await resolveArrayItem({ FANOUT_MANIFEST: 's3://b/m.jsonl', FANOUT_MANIFEST_INDEX: 's3://b/m.idx', FANOUT_ARRAY_OFFSET: '0', AWS_BATCH_JOB_ARRAY_INDEX: '3' }, reader)
 */
export async function resolveArrayItem(environment: Environment, reader: ManifestReader): Promise<Environment> {
  const manifestUri = environment[MANIFEST_VARIABLE];
  if (manifestUri === undefined || manifestUri === '') return environment;
  if (environment[KWARGS_VARIABLE] !== undefined && environment[KWARGS_VARIABLE] !== '') {
    throw new InvocationError(
      `${KWARGS_VARIABLE} and ${MANIFEST_VARIABLE} are both set; a job takes its kwargs from one of them`,
    );
  }
  const indexUri = environment[MANIFEST_INDEX_VARIABLE];
  if (indexUri === undefined || indexUri === '')
    throw new InvocationError(`${MANIFEST_VARIABLE} is set but ${MANIFEST_INDEX_VARIABLE} is not`);
  const manifest = parseObjectUri(manifestUri, MANIFEST_VARIABLE);
  const index = parseObjectUri(indexUri, MANIFEST_INDEX_VARIABLE);
  const position =
    nonNegativeInteger(environment, ARRAY_OFFSET_VARIABLE) + nonNegativeInteger(environment, ARRAY_INDEX_VARIABLE);

  let line: string;
  try {
    line = await reader.line(manifest, index, position);
  } catch (error) {
    if (error instanceof InvocationError) throw error;
    throw new InvocationError(
      `cannot read item ${position} of ${manifestUri}: ${(error as Error).name}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  let item: { itemId?: unknown; kwargs?: unknown };
  try {
    item = JSON.parse(line) as typeof item;
  } catch {
    throw new InvocationError(`line ${position} of ${manifestUri} is not JSON: ${line.slice(0, 80)}`);
  }
  if (
    typeof item.itemId !== 'string' ||
    item.kwargs === null ||
    typeof item.kwargs !== 'object' ||
    Array.isArray(item.kwargs)
  ) {
    throw new InvocationError(
      `line ${position} of ${manifestUri} is not a manifest item {itemId, kwargs}: ${line.slice(0, 80)}`,
    );
  }
  return { ...environment, [KWARGS_VARIABLE]: JSON.stringify(item.kwargs), [ITEM_ID_VARIABLE]: item.itemId };
}

/**
 * Ranged S3 reads with a client configured from the job's environment: the endpoint from
 * `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`, then path-style addressing), the region and,
 * when given, the access keys. Without them the SDK's own chain applies (the job role on AWS).
 */
export function s3RangeReader(environment: Environment): ReadRange {
  const endpoint = environment.AWS_ENDPOINT_URL_S3 || environment.AWS_ENDPOINT_URL;
  const region = environment.AWS_REGION || environment.AWS_DEFAULT_REGION;
  const config: S3ClientConfig = {
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(region ? { region } : {}),
    ...(environment.AWS_ACCESS_KEY_ID && environment.AWS_SECRET_ACCESS_KEY
      ? {
          credentials: {
            accessKeyId: environment.AWS_ACCESS_KEY_ID,
            secretAccessKey: environment.AWS_SECRET_ACCESS_KEY,
            ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
  };
  const client = new S3Client(config);
  return async (location, start, endInclusive) => {
    const response = await client.send(
      new GetObjectCommand({ Bucket: location.bucket, Key: location.key, Range: `bytes=${start}-${endInclusive}` }),
    );
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
  };
}

/** One reader per S3 configuration, so a process resolving many children reuses its client and blocks. */
const readers = new Map<string, ManifestReader>();

function readerFor(environment: Environment): ManifestReader {
  const key = [
    environment.AWS_ENDPOINT_URL_S3,
    environment.AWS_ENDPOINT_URL,
    environment.AWS_REGION,
    environment.AWS_DEFAULT_REGION,
    environment.AWS_ACCESS_KEY_ID,
  ].join('\n');
  let reader = readers.get(key);
  if (!reader) {
    reader = new ManifestReader(s3RangeReader(environment));
    readers.set(key, reader);
  }
  return reader;
}

/**
 * What the entrypoint (and the local Batch service, before it spawns a job) runs: the item from
 * the manifest when the job names one, then `resolveInvocation` as for any job.
 * @throws InvocationError when the item or the command cannot be resolved.
 * @example await resolveJobInvocation({ command: ['echo', '{seed}'], environment: process.env })
 */
export async function resolveJobInvocation(
  invocation: Invocation,
  reader?: ManifestReader,
): Promise<ResolvedInvocation> {
  const environment = invocation.environment[MANIFEST_VARIABLE]
    ? await resolveArrayItem(invocation.environment, reader ?? readerFor(invocation.environment))
    : invocation.environment;
  return resolveInvocation({ command: invocation.command, environment });
}
