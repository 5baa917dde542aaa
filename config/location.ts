import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the configuration file is, without reading it: every command needs this (`--config`),
 * while only those that read the file load its schema (and zod).
 */

/** The configuration file the project ships (the embedded default), at the root of the sources or of `dist/`. */
export const defaultConfigPath = resolve(import.meta.dirname, '..', 'fanout.config.json');

/** The variable that names the configuration file (`fanout --config FILE` sets it for the command). */
export const CONFIG_VARIABLE = 'FANOUT_CONFIG';

/**
 * Which configuration file applies: the file `FANOUT_CONFIG` names (`fanout --config FILE`), else
 * `fanout.config.json` in the working directory, else the embedded default.
 * @example findConfigPath({}, '/home/me/sweep') // '/home/me/sweep/fanout.config.json' when it exists
 */
export function findConfigPath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const named = env[CONFIG_VARIABLE];
  if (named) return resolve(cwd, named);
  const local = join(cwd, 'fanout.config.json');
  return existsSync(local) ? local : defaultConfigPath;
}
