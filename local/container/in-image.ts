import type { AttemptInvocation, Invocation } from '../batch';

/**
 * Runs a local job in its job definition's image, as Batch runs it on AWS: the local Batch
 * service calls this for every attempt (as its `prepareInvocationModule`) instead of resolving
 * the kwargs itself, so the image's own launcher does it, in the container. The attempt's
 * environment (FANOUT_*, AWS_BATCH_*, the local services' endpoints and credentials) goes into
 * the container by name (`--env NAME`, the value taken from the engine client's own
 * environment), so that no value, the local cloud's secret key and the kwargs included, shows
 * on a command line other users can list; the host network lets the job reach the local services on
 * 127.0.0.1; the working directory is the image's WORKDIR.
 */

/** What the local cloud passes: the engine command and the image of each job definition. */
export interface InImageOptions {
  readonly engine: readonly string[];
  /** Variables the engine's own client needs (DOCKER_HOST, CONTAINERS_CONF, ...), from the host. */
  readonly engineEnvironment: Readonly<Record<string, string>>;
}

/** Variables that belong to the host the job process would run on, not to the container. */
const HOST_ONLY = new Set(['PATH', 'HOME']);

/**
 * The `docker run` (or `podman run`) of one attempt.
 * @example containerInvocation({ command: ['python3', 'train.py'], environment: { FANOUT_RUN_ID: 'r' }, image: 'sweep:1', attemptName: 'fanout-ab12' }, { engine: ['docker'], engineEnvironment: { PATH: '/usr/bin' } })
 *   // { command: ['docker', 'run', '--rm', '--name', 'fanout-ab12', '--network', 'host', '--env', 'FANOUT_RUN_ID', 'sweep:1', 'python3', 'train.py'],
 *   //   environment: { PATH: '/usr/bin', FANOUT_RUN_ID: 'r' } }
 */
export function containerInvocation(job: AttemptInvocation, options: Readonly<Record<string, unknown>>): Invocation {
  const { engine, engineEnvironment } = options as unknown as InImageOptions;
  const passed = Object.entries(job.environment).filter(([name]) => !HOST_ONLY.has(name));
  // A job variable the engine's client also needs under another value has to be given in full.
  const byName = passed.filter(([name]) => !(name in engineEnvironment));
  const inFull = passed.filter(([name]) => name in engineEnvironment);
  const variables = [
    ...byName.flatMap(([name]) => ['--env', name]),
    ...inFull.flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  ];
  return {
    command: [
      ...engine,
      'run',
      '--rm',
      '--name',
      job.attemptName,
      '--network',
      'host',
      ...variables,
      job.image,
      ...job.command,
    ],
    environment: { ...Object.fromEntries(byName), ...engineEnvironment },
  };
}
