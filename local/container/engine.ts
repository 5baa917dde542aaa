import { spawnSync } from 'node:child_process';
import { ContainerEngineError } from './errors';

/**
 * The container engine `fanout run --in-image` runs jobs with: Docker or Podman, found by asking
 * each for `info` (a client without a daemon, like Docker here without its engine, does not
 * count). `FANOUT_CONTAINER_ENGINE` names one, with arguments if needed (`podman --runtime runc`).
 */
export interface ContainerEngine {
  /** The engine's command and its leading arguments, e.g. `['docker']`. */
  readonly argv: readonly string[];
}

/** Variables an engine's client may need to reach its daemon or configuration; nothing else of the host passes. */
export const ENGINE_ENVIRONMENT = [
  'PATH',
  'HOME',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'CONTAINER_HOST',
  'CONTAINERS_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'XDG_RUNTIME_DIR',
] as const;

const CANDIDATES: ReadonlyArray<readonly string[]> = [['docker'], ['podman']];

/**
 * The first engine that answers `info`.
 * @throws ContainerEngineError saying what each candidate answered.
 * @example const engine = detectContainerEngine(process.env); // { argv: ['podman'] }
 */
export function detectContainerEngine(environment: NodeJS.ProcessEnv = process.env): ContainerEngine {
  const named = environment.FANOUT_CONTAINER_ENGINE?.trim();
  const candidates = named ? [named.split(/\s+/)] : CANDIDATES;
  const answers: string[] = [];
  for (const argv of candidates) {
    const [file, ...args] = argv as [string, ...string[]];
    const probe = spawnSync(file, [...args, 'info'], { env: environment, encoding: 'utf8', timeout: 20_000 });
    if (probe.status === 0) return { argv };
    const why =
      probe.error && (probe.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'not installed'
        : (probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n').at(-1);
    answers.push(`${argv.join(' ')}: ${why}`);
  }
  throw new ContainerEngineError(
    `--in-image needs a container engine, and none answered (${answers.join('; ')}). Install and start Docker or Podman (or name one in FANOUT_CONTAINER_ENGINE), or run without --in-image`,
  );
}
