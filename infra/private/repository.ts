import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { IgnoreMode } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { FanoutInfraError } from '../errors';
import type { FanoutOrchestratorProps } from '../fanout-orchestrator-props';

/** What the stack deploys from this repository: handlers, state machine definitions and the job image. */

/** The repository this file lives in: handlers, definitions and the job image are found from here. */
export const REPOSITORY_ROOT = resolve(import.meta.dirname, '..', '..');

/** A handler's entry: its TypeScript beside the sources, its JavaScript in an installed package (dist/). */
export const lambdaEntry = (name: string): string =>
  [`${name}.ts`, `${name}.js`].map((file) => resolve(REPOSITORY_ROOT, 'lambdas', file)).find(existsSync) as string;

/** The array path's files, or undefined when `arrayPath` is false (then neither may be set). */
export function arrayPathFiles(
  props: FanoutOrchestratorProps,
): { definitionFile: string; collectEntry: string } | undefined {
  if (props.arrayPath === false) {
    for (const prop of ['arrayDefinitionFile', 'collectEntry'] as const) {
      if (props[prop] !== undefined)
        throw FanoutInfraError.of(prop, 'must not be set when arrayPath is false', props[prop]);
    }
    return undefined;
  }
  return {
    definitionFile: existingFile(
      'arrayDefinitionFile',
      props.arrayDefinitionFile ?? resolve(REPOSITORY_ROOT, 'statemachine', 'array.asl.json'),
    ),
    collectEntry: existingFile('collectEntry', props.collectEntry ?? lambdaEntry('collect')),
  };
}

function existingFile(prop: string, file: string): string {
  if (!existsSync(file)) throw FanoutInfraError.of(prop, 'must name an existing file', file);
  return file;
}

/**
 * The image built from job/Dockerfile with the repository root as context, as its header
 * says. Synth only copies the files the Dockerfile's own ignore file lets through; Docker runs
 * at deploy time (`cdk deploy` publishes the image).
 */
export function jobImageFromRepository(): ecs.ContainerImage {
  const dockerignore = readFileSync(resolve(REPOSITORY_ROOT, 'job', 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return ecs.ContainerImage.fromAsset(REPOSITORY_ROOT, {
    file: 'job/Dockerfile',
    platform: Platform.LINUX_AMD64,
    ignoreMode: IgnoreMode.DOCKER,
    exclude: [...dockerignore, '!job/Dockerfile', '!job/Dockerfile.dockerignore'],
  });
}
