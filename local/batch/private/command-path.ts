import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { resolve } from 'node:path';

/** The search path execvp uses when the environment has no PATH. */
const defaultSearchPath = '/usr/bin:/bin';
const maxCachedCommands = 1024;

/** Where a command was found, or why it was not. */
type CommandLookup =
  | { readonly found: true; readonly path: string }
  | { readonly found: false; readonly message: string };

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds the file a command's first argument names, the way execvp would, before the launcher
 * runs it: a shell cannot tell "not found" (127) from a program that exits 127, and Batch
 * reports the first as `CannotStartContainerError` with no exit code. Hits are cached per
 * (working directory, PATH, command), so a run of 10,000 identical jobs searches once; misses
 * are not cached, so a command installed later is found.
 * @example await new CommandLocator().locate('true', '/usr/bin:/bin', '/tmp') // { found: true, path: '/usr/bin/true' }
 */
export class CommandLocator {
  private readonly hits = new Map<string, string>();

  async locate(command: string, searchPath: string | undefined, cwd: string): Promise<CommandLookup> {
    const key = `${cwd}\0${searchPath ?? ''}\0${command}`;
    const cached = this.hits.get(key);
    if (cached !== undefined) return { found: true, path: cached };
    const lookup = await this.search(command, searchPath ?? defaultSearchPath, cwd);
    if (lookup.found) {
      if (this.hits.size >= maxCachedCommands) this.hits.clear();
      this.hits.set(key, lookup.path);
    }
    return lookup;
  }

  private async search(command: string, searchPath: string, cwd: string): Promise<CommandLookup> {
    if (command.includes('/')) {
      const path = resolve(cwd, command);
      if (await isExecutableFile(path)) return { found: true, path };
      return { found: false, message: `exec: "${command}": no executable file at ${path}` };
    }
    // An empty PATH entry means the working directory, as for execvp.
    for (const directory of searchPath.split(':')) {
      const path = resolve(cwd, directory, command);
      if (await isExecutableFile(path)) return { found: true, path };
    }
    return { found: false, message: `exec: "${command}": executable file not found in $PATH` };
  }
}
