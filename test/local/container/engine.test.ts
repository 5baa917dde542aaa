import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerEngineError, detectContainerEngine } from '../../../local/container';

/** A stand-in engine client: a script that answers `info` with the given exit code and message. */
function stubEngine(name: string, exitCode: number, message = ''): string {
  const folder = mkdtempSync(join(tmpdir(), 'fanout-engine-'));
  const file = join(folder, name);
  // Answers only `info`, after whatever leading arguments the engine was named with.
  writeFileSync(
    file,
    `#!/bin/sh\nfor last; do :; done\n[ "$last" = info ] || exit 9\necho '${message}' >&2\nexit ${exitCode}\n`,
  );
  chmodSync(file, 0o755);
  return folder;
}

describe('detectContainerEngine', () => {
  it('takes the first engine whose info answers', () => {
    const docker = stubEngine('docker', 1, 'Cannot connect to the Docker daemon. Is the docker daemon running?');
    const podman = stubEngine('podman', 0);
    expect(detectContainerEngine({ PATH: `${docker}:${podman}:/usr/bin:/bin` })).toEqual({ argv: ['podman'] });
  });

  it('uses the engine FANOUT_CONTAINER_ENGINE names, with its arguments', () => {
    const podman = stubEngine('podman', 0);
    expect(
      detectContainerEngine({ PATH: `${podman}:/usr/bin:/bin`, FANOUT_CONTAINER_ENGINE: 'podman --runtime runc' }),
    ).toEqual({ argv: ['podman', '--runtime', 'runc'] });
  });

  it('says clearly that no engine answered, and what each one said', () => {
    const docker = stubEngine('docker', 1, 'Cannot connect to the Docker daemon. Is the docker daemon running?');
    const attempt = () => detectContainerEngine({ PATH: `${docker}:/nonexistent` });
    expect(attempt).toThrow(ContainerEngineError);
    expect(attempt).toThrow(
      '--in-image needs a container engine, and none answered (docker: Cannot connect to the Docker daemon. Is the docker daemon running?; podman: not installed). Install and start Docker or Podman (or name one in FANOUT_CONTAINER_ENGINE), or run without --in-image',
    );
  });
});
