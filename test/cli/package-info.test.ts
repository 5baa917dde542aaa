import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandPrefix, packageRoot, packageVersion } from '../../cli/package-info';
import { runCli } from '../../cli/program';
import { CONFIG_VARIABLE, defaultConfigPath, findConfigPath } from '../../config';
import { repoRoot, tempDir } from '../e2e/helpers';
import { captureIo } from './aws-stack';

describe('packageRoot and packageVersion', () => {
  it("find fanout's own package.json from the sources", () => {
    expect(packageRoot()).toBe(repoRoot);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('commandPrefix', () => {
  it('says npx fanout inside the checkout, in any of its folders', () => {
    expect(commandPrefix(repoRoot, repoRoot)).toBe('npx fanout');
    expect(commandPrefix(join(repoRoot, 'examples', 'python-sweep'), repoRoot)).toBe('npx fanout');
  });

  it('says npx fanout in a project that has this fanout in its node_modules', () => {
    const project = tempDir('fanout-project-');
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(repoRoot, join(project, 'node_modules', 'fanout'));
    mkdirSync(join(project, 'data'));
    expect(commandPrefix(join(project, 'data'), repoRoot)).toBe('npx fanout');
  });

  it('says fanout elsewhere (a global installation on the PATH)', () => {
    expect(commandPrefix(tempDir('fanout-elsewhere-'), repoRoot)).toBe('fanout');
  });
});

describe('findConfigPath', () => {
  it('takes --config (FANOUT_CONFIG), else ./fanout.config.json, else the configuration fanout ships', () => {
    const folder = tempDir('fanout-config-');
    expect(findConfigPath({}, folder)).toBe(defaultConfigPath);
    writeFileSync(join(folder, 'fanout.config.json'), '{}');
    expect(findConfigPath({}, folder)).toBe(join(folder, 'fanout.config.json'));
    expect(findConfigPath({ [CONFIG_VARIABLE]: 'other.json' }, folder)).toBe(join(folder, 'other.json'));
  });

  it('is what fanout --config sets for the command', async () => {
    const env: NodeJS.ProcessEnv = {};
    const io = captureIo();
    // Any command that runs: a missing run fails after the option took effect.
    expect(await runCli(['--config', 'mine.json', 'logs', 'nothing', '--dir', tempDir()], io, env)).toBe(2);
    expect(env[CONFIG_VARIABLE]).toBe('mine.json');
  });
});
