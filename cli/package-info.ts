import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The installed fanout package: where it is, its version, and how a user in some folder runs it. */

const PACKAGE_NAME = 'fanout';

function isFanoutPackage(dir: string): boolean {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/**
 * The folder of fanout's own package.json: the checkout when running from the sources, the
 * installed package when running from `dist/`.
 */
export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (isFanoutPackage(dir)) return dir;
    if (dirname(dir) === dir) return join(from, '..');
  }
}

/** The version in fanout's package.json (what `fanout --version` prints). */
export function packageVersion(root: string = packageRoot()): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * How a user in `cwd` runs this fanout, for the commands the CLI prints: `npx fanout` inside the
 * project that has it (its checkout, or a project with fanout in its node_modules), where a bare
 * `fanout` is not on the PATH; `fanout` elsewhere (an installation with `npm install -g`).
 * @example commandPrefix('/home/me/project') // 'npx fanout'
 */
export function commandPrefix(cwd: string = process.cwd(), root: string = packageRoot()): string {
  const real = (path: string) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  };
  const realRoot = real(root);
  for (let dir = real(cwd); ; dir = dirname(dir)) {
    if (dir === realRoot) return 'npx fanout';
    const installed = join(dir, 'node_modules', PACKAGE_NAME);
    if (existsSync(installed) && real(installed) === realRoot) return 'npx fanout';
    if (dirname(dir) === dir) return 'fanout';
  }
}
