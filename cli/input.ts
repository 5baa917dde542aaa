import { readFileSync } from 'node:fs';
import type { FanoutConfig } from '../config';
import type { KnownJobResources } from '../lambdas/shared';
// The modules themselves, not lambdas/shared's index, which loads the Lambdas' AWS SDK clients and
// zod: `fanout local exec` reads its input through here and needs neither.
import { FanoutInputError } from '../lambdas/shared/errors';
import { decodeUtf8 } from '../lambdas/shared/input/utf8';
import { CliError } from './io';

/**
 * Reads a JSON document from a file, or from stdin when the path is `-`. Bytes that are not
 * UTF-8 are refused with their offset rather than silently replaced.
 */
export function readJsonDocument(path: string, what: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (error) {
    throw new CliError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  let text: string;
  try {
    text = decodeUtf8(bytes, what);
  } catch (error) {
    if (!(error instanceof FanoutInputError)) throw error;
    const issue = error.issues[0];
    throw new CliError(`invalid ${what} ${path}: the file ${issue?.message} (received ${issue?.received})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The job queues and job definitions a run on the local cloud may use: those of the
 * configuration, each definition at revision 1 (local/batch/resources.ts).
 * @example validateInput(raw, { jobResources: localJobResources(loadConfig()) })
 */
export function localJobResources(config: FanoutConfig): KnownJobResources {
  return {
    source: 'fanout.config.json (the local cloud)',
    jobQueues: config.jobQueues.map((queue) => queue.name),
    schedulingPolicies: Object.fromEntries(
      config.jobQueues.flatMap((queue) => (queue.schedulingPolicy ? [[queue.name, queue.schedulingPolicy]] : [])),
    ),
    jobDefinitions: config.jobDefinitions.map((definition) => definition.name),
    onlyRevision: 1,
    definitionArnPrefix: `arn:aws:batch:${config.region}:${config.accountId}:job-definition/`,
  };
}
