/**
 * A cloud assembly (`cdk synth`'s output folder): the stack's template and the staged file or
 * folder of each asset the template points at by bucket and key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { RehearsalError } from './errors';

export interface CloudAssembly {
  readonly dir: string;
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** The CloudFormation template, as synthesized. */
  readonly template: Template;
  /** The staged file or folder of the asset published to `s3://bucket/key`, or undefined. */
  assetPath(bucket: string, key: string): string | undefined;
}

export interface Template {
  readonly Resources: Readonly<Record<string, TemplateResource>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown; readonly Type?: string }>>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

interface Manifest {
  artifacts?: Record<
    string,
    { type?: string; environment?: string; properties?: { templateFile?: string; file?: string }; displayName?: string }
  >;
}

interface AssetManifest {
  files?: Record<
    string,
    { source?: { path?: string }; destinations?: Record<string, { bucketName?: string; objectKey?: string }> }
  >;
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new RehearsalError(`cannot read ${what} ${file}: ${(error as Error).message}`);
  }
}

/**
 * Reads the assembly in `dir`. With several stacks, `stackName` picks one.
 * @example const assembly = readCloudAssembly('cdk.out'); assembly.template.Resources
 */
export function readCloudAssembly(dir: string, stackName?: string): CloudAssembly {
  const root = resolve(dir);
  const manifestFile = join(root, 'manifest.json');
  if (!existsSync(manifestFile)) {
    throw new RehearsalError(
      `${root} is not a cloud assembly: it has no manifest.json (run cdk synth, or give --cdk-out)`,
    );
  }
  const artifacts = Object.entries(readJson<Manifest>(manifestFile, 'the assembly manifest').artifacts ?? {});
  const stacks = artifacts.filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack');
  const chosen = stackName === undefined ? stacks : stacks.filter(([id]) => id === stackName);
  if (chosen.length !== 1) {
    const names = stacks.map(([id]) => id).join(', ') || 'none';
    throw new RehearsalError(
      stackName === undefined
        ? `the cloud assembly in ${root} has ${stacks.length} stacks (${names}); name one`
        : `the cloud assembly in ${root} has no stack ${stackName} (stacks: ${names})`,
    );
  }
  const [id, stack] = chosen[0] as (typeof stacks)[number];
  const environment = /^aws:\/\/([^/]+)\/(.+)$/.exec(stack.environment ?? '');
  if (!environment || environment[1] === 'unknown-account' || environment[2] === 'unknown-region') {
    throw new RehearsalError(
      `stack ${id} has no concrete account and region (${stack.environment ?? 'none'}); give the stack an env`,
    );
  }
  const templateFile = stack.properties?.templateFile;
  if (!templateFile) throw new RehearsalError(`stack ${id} names no template file in manifest.json`);
  const template = readJson<Template>(join(root, templateFile), 'the template');

  const objects = new Map<string, string>();
  for (const [, artifact] of artifacts) {
    if (artifact.type !== 'cdk:asset-manifest' || !artifact.properties?.file) continue;
    const assets = readJson<AssetManifest>(join(root, artifact.properties.file), 'the asset manifest');
    for (const asset of Object.values(assets.files ?? {})) {
      if (!asset.source?.path) continue;
      for (const destination of Object.values(asset.destinations ?? {})) {
        if (destination.bucketName && destination.objectKey) {
          objects.set(`${destination.bucketName}/${destination.objectKey}`, join(root, asset.source.path));
        }
      }
    }
  }
  return {
    dir: root,
    stackName: id,
    account: environment[1] as string,
    region: environment[2] as string,
    template,
    assetPath: (bucket, key) => objects.get(`${bucket}/${key}`),
  };
}
