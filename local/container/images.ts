import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { imageReference, type JobDefinitionConfig } from '../../config';
import { LAUNCHER_CONTEXT, stageLauncher } from '../../job/launcher/stage';
import type { ContainerEngine } from './engine';
import { ContainerEngineError } from './errors';

/** The repository holding job/Dockerfile, fanout's own job image. */
const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');

/** How one engine command is run: its arguments after the engine's own, and its environment. */
export type EngineRunner = (args: readonly string[]) => { status: number | null; output: string };

/** Runs the engine for real, capturing what it prints. */
export function engineRunner(engine: ContainerEngine, environment: Readonly<Record<string, string>>): EngineRunner {
  const [file, ...leading] = engine.argv as [string, ...string[]];
  return (args) => {
    const result = spawnSync(file, [...leading, ...args], {
      env: environment,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return {
      status: result.status,
      output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}`,
    };
  };
}

/**
 * Makes a job definition's image ready on the engine before a run, and returns its reference: a
 * folder is built with the launcher's build context (as `cdk deploy` builds it), fanout's own
 * image from job/Dockerfile, and a registry image is pulled unless the engine has it. The
 * engine's output goes to `<stateDir>/images/<name>.log`.
 * @throws ContainerEngineError naming the job definition, with the end of the engine's output
 *   (`CannotPullContainerError: ...` for an image that cannot be pulled, as Batch reports it).
 */
export function prepareJobImage(
  run: EngineRunner,
  definition: Pick<JobDefinitionConfig, 'name' | 'image'>,
  stateDir: string,
): string {
  const reference = imageReference(definition);
  const logFile = join(stateDir, 'images', `${definition.name}.log`);
  const log = (text: string) => {
    mkdirSync(join(stateDir, 'images'), { recursive: true });
    writeFileSync(logFile, text);
  };
  const tail = (text: string) => `${text.trim().split('\n').slice(-5).join('\n')}\n(all of it: ${logFile})`;
  const { image } = definition;
  if (typeof image !== 'string' || !image.includes('/')) {
    const build =
      typeof image === 'string'
        ? ['build', '-f', join(REPOSITORY_ROOT, 'job', 'Dockerfile'), '-t', reference, REPOSITORY_ROOT]
        : [
            'build',
            '--build-context',
            `${LAUNCHER_CONTEXT}=${stageLauncher()}`,
            '-f',
            join(image.directory, image.file),
            '-t',
            reference,
            image.directory,
          ];
    const built = run(build);
    log(built.output);
    if (built.status !== 0) {
      throw new ContainerEngineError(
        `job definition ${definition.name}: the image ${reference} did not build (exit ${built.status}):\n${tail(built.output)}`,
      );
    }
    return reference;
  }
  if (run(['image', 'inspect', reference]).status === 0) return reference;
  const pulled = run(['pull', reference]);
  log(pulled.output);
  if (pulled.status !== 0) {
    throw new ContainerEngineError(
      `job definition ${definition.name}: CannotPullContainerError: ${reference} could not be pulled (exit ${pulled.status}):\n${tail(pulled.output)}`,
    );
  }
  return reference;
}
