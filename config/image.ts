import type { JobDefinitionConfig } from './schema';

/**
 * The image a job definition names, as Docker and the local Batch show it: its URI or tag, or,
 * for a folder with a Dockerfile, the tag a local build gives it (`fanout-local/<name>:latest`).
 * @example imageReference({ name: 'sweep', image: { directory: '/src/sweep', file: 'Dockerfile' } }) // 'fanout-local/sweep:latest'
 */
export function imageReference(definition: Pick<JobDefinitionConfig, 'name' | 'image'>): string {
  return typeof definition.image === 'string' ? definition.image : `fanout-local/${definition.name}:latest`;
}
