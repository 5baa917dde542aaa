import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { findConfigPath } from './location';
import { type FanoutConfig, fanoutConfigSchema } from './schema';

/** Raised when the configuration file is missing, not JSON, or breaks a rule. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses and validates a configuration object; every error names the field path.
 * @example parseConfig({ computeEnvironments: [...], jobQueues: [...], jobDefinitions: [...] })
 */
export function parseConfig(raw: unknown, source = 'configuration'): FanoutConfig {
  const parsed = fanoutConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`${source} is invalid: ${problems.join('; ')}`);
  }
  const config = parsed.data;
  const environments = new Map(config.computeEnvironments.map((ce) => [ce.name, ce]));
  config.jobQueues.forEach((queue, index) => {
    const fargate = new Set<boolean>();
    for (const ce of queue.computeEnvironments) {
      const environment = environments.get(ce);
      if (!environment) {
        throw new ConfigError(
          `${source} is invalid: jobQueues.${index}.computeEnvironments: unknown compute environment "${ce}"`,
        );
      }
      fargate.add(environment.type.startsWith('FARGATE'));
    }
    if (new Set(queue.computeEnvironments).size !== queue.computeEnvironments.length) {
      throw new ConfigError(
        `${source} is invalid: jobQueues.${index}.computeEnvironments: lists a compute environment twice`,
      );
    }
    // docs: batch/latest/APIReference/API_CreateJobQueue.html (priority): EC2 and Fargate can't be mixed.
    if (fargate.size > 1) {
      throw new ConfigError(
        `${source} is invalid: jobQueues.${index}.computeEnvironments: mixes EC2 (EC2, SPOT) and Fargate (FARGATE, FARGATE_SPOT) compute environments, which a job queue cannot`,
      );
    }
  });
  return config;
}

/** Reads the configuration file that applies ({@link findConfigPath}), or the given file. */
export function loadConfig(path: string = findConfigPath()): FanoutConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read configuration ${path}: ${(error as Error).message}`, { cause: error });
  }
  const config = parseConfig(raw, path);
  // An image folder is written relative to the file that names it.
  for (const definition of config.jobDefinitions) {
    if (typeof definition.image !== 'string')
      definition.image.directory = resolve(dirname(path), definition.image.directory);
  }
  return config;
}
