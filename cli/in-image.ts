import { loadConfig } from '../config';
import {
  ContainerEngineError,
  detectContainerEngine,
  ENGINE_ENVIRONMENT,
  engineRunner,
  type InImageOptions,
  prepareJobImage,
} from '../local/container';
import { CliError, type CliIo } from './io';
import { readLedgerHeader } from './run-header';
import type { Target } from './targets';

/**
 * `--in-image` (docs/job-image.md): local jobs run in their job definition's image through
 * Docker or Podman. The engine is found before anything starts; the image is made ready (built
 * from its folder with the launcher, or pulled) before the execution starts. `fanout run` knows
 * the job definition from its input, `retry` and `resume` from the run's header row.
 */

/** Finds the container engine and the host variables its client needs. */
export function findJobEngine(): InImageOptions {
  try {
    const engine = detectContainerEngine();
    const engineEnvironment = Object.fromEntries(
      ENGINE_ENVIRONMENT.flatMap((variable) => {
        const value = process.env[variable];
        return value === undefined ? [] : [[variable, value]];
      }),
    );
    return { engine: engine.argv, engineEnvironment };
  } catch (error) {
    if (error instanceof ContainerEngineError) throw new CliError(error.message);
    throw error;
  }
}

/** Makes the image of `jobDefinition` (a name, `name:revision` or an ARN) ready with the engine. */
export function prepareImageOf(jobDefinition: string, dir: string, io: CliIo, engine: InImageOptions): void {
  const name = jobDefinition.replace(/^arn:.*:job-definition\//, '').replace(/:\d+$/, '');
  const definition = loadConfig().jobDefinitions.find((candidate) => candidate.name === name);
  if (!definition)
    throw new CliError(`--in-image: no job definition "${name}" in the configuration to take an image from`);
  try {
    io.err(`preparing the image of job definition ${name} with ${engine.engine.join(' ')} ...`);
    const image = prepareJobImage(
      engineRunner({ argv: [...engine.engine] }, { ...engine.engineEnvironment }),
      definition,
      dir,
    );
    io.err(`jobs run in ${image}`);
  } catch (error) {
    if (error instanceof ContainerEngineError) throw new CliError(error.message);
    throw error;
  }
}

/**
 * For `retry --in-image` and `resume --in-image`: makes the image of the run's job definition
 * ready, read from the run's header row on the started local cloud. A run without a header is
 * left to Prepare, which refuses it with its reason.
 */
export async function prepareImageOfRun(
  target: Target,
  runId: string,
  dir: string,
  io: CliIo,
  engine: InImageOptions,
): Promise<void> {
  const header = await readLedgerHeader(target, runId);
  if (header) prepareImageOf(header.jobDefinition, dir, io, engine);
}
