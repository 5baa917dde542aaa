import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The `fanout-launcher` build context a job image copies into `/opt/fanout/` (docs/job-image.md):
 * `launch`, the sh wrapper that is the image's ENTRYPOINT, and `launch.cjs`, the job entrypoint
 * (job/entrypoint.ts) bundled into one CommonJS file with everything it needs. Node.js itself
 * comes from the official image, in the Dockerfile's other COPY line.
 */

/** The lines a job image's Dockerfile needs, after its last FROM. */
export const LAUNCHER_DOCKERFILE_LINES = [
  'COPY --from=node:22-bookworm-slim /usr/local/bin/node /opt/fanout/bin/node',
  'COPY --from=fanout-launcher . /opt/fanout/',
  'ENTRYPOINT ["/opt/fanout/launch"]',
] as const;

/** The build context's name, as the Dockerfile's `COPY --from=` names it. */
export const LAUNCHER_CONTEXT = 'fanout-launcher';

// Beside the sources the TypeScript entrypoint; in an installed package (dist/) its JavaScript.
const entrypoint = ['entrypoint.ts', 'entrypoint.js']
  .map((name) => join(import.meta.dirname, '..', name))
  .find((path) => existsSync(path)) as string;
const wrapper = join(import.meta.dirname, 'launch');

/**
 * Writes the launcher build context into a folder named after its content, so the same launcher
 * always lands in the same folder (an image asset's hash stays the same) and a changed one in a
 * new folder. Returns the folder.
 * @example const context = stageLauncher(); // `docker build --build-context fanout-launcher=${context} ...`
 */
export function stageLauncher(root: string = join(tmpdir(), 'fanout-launcher')): string {
  // Loaded here, not at the top: esbuild is a development dependency, needed only to build images.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const bundle = buildSync({
    entryPoints: [entrypoint],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  }).outputFiles[0];
  if (!bundle) throw new LauncherBuildError(`esbuild produced no bundle of ${entrypoint}`);
  const digest = createHash('sha256').update(bundle.contents).digest('hex').slice(0, 16);
  const folder = join(root, digest);
  if (existsSync(join(folder, 'launch.cjs'))) return folder;
  // Written beside, then renamed: a concurrent stage never sees half a folder.
  const partial = `${folder}.${process.pid}.partial`;
  mkdirSync(partial, { recursive: true });
  writeFileSync(join(partial, 'launch.cjs'), bundle.contents);
  copyFileSync(wrapper, join(partial, 'launch'));
  chmodSync(join(partial, 'launch'), 0o755);
  try {
    renameSync(partial, folder);
  } catch (error) {
    if (!existsSync(join(folder, 'launch.cjs'))) throw error;
  }
  return folder;
}

/** The launcher could not be bundled. */
export class LauncherBuildError extends Error {
  override readonly name = 'LauncherBuildError';
}
