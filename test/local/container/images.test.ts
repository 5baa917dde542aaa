import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerEngineError, type EngineRunner, prepareJobImage } from '../../../local/container';

/** An engine that answers each command from a table and records what it was asked. */
function fakeEngine(answers: (args: readonly string[]) => { status: number; output: string }) {
  const calls: string[][] = [];
  const run: EngineRunner = (args) => {
    calls.push([...args]);
    return answers(args);
  };
  return { run, calls };
}

const stateDir = () => mkdtempSync(join(tmpdir(), 'fanout-images-'));
const repository = resolve(import.meta.dirname, '..', '..', '..');

describe('prepareJobImage', () => {
  it("builds a folder's Dockerfile with the launcher's build context, tagged for the local run", () => {
    const engine = fakeEngine(() => ({ status: 0, output: 'built' }));
    const directory = join(repository, 'examples', 'python-sweep');
    const image = prepareJobImage(
      engine.run,
      { name: 'python-sweep', image: { directory, file: 'Dockerfile' } },
      stateDir(),
    );
    expect(image).toBe('fanout-local/python-sweep:latest');
    expect(engine.calls).toHaveLength(1);
    const [build] = engine.calls as [string[]];
    const context = build[2] as string;
    expect(build).toEqual([
      'build',
      '--build-context',
      context,
      '-f',
      join(directory, 'Dockerfile'),
      '-t',
      'fanout-local/python-sweep:latest',
      directory,
    ]);
    const launcherFolder = context.replace(/^fanout-launcher=/, '');
    expect(context).toMatch(/^fanout-launcher=/);
    expect(existsSync(join(launcherFolder, 'launch'))).toBe(true);
    expect(existsSync(join(launcherFolder, 'launch.cjs'))).toBe(true);
  });

  it("builds fanout's own image from job/Dockerfile for a bare tag", () => {
    const engine = fakeEngine(() => ({ status: 0, output: '' }));
    expect(prepareJobImage(engine.run, { name: 'fanout-job', image: 'fanout-job:latest' }, stateDir())).toBe(
      'fanout-job:latest',
    );
    expect(engine.calls).toEqual([
      ['build', '-f', join(repository, 'job', 'Dockerfile'), '-t', 'fanout-job:latest', repository],
    ]);
  });

  it('uses a registry image the engine has, and pulls one it has not', () => {
    const uri = 'public.ecr.aws/docker/library/python:3.12-slim';
    const present = fakeEngine(() => ({ status: 0, output: '' }));
    expect(prepareJobImage(present.run, { name: 'py', image: uri }, stateDir())).toBe(uri);
    expect(present.calls).toEqual([['image', 'inspect', uri]]);
    const absent = fakeEngine((args) => ({ status: args[0] === 'pull' ? 0 : 1, output: '' }));
    prepareJobImage(absent.run, { name: 'py', image: uri }, stateDir());
    expect(absent.calls).toEqual([
      ['image', 'inspect', uri],
      ['pull', uri],
    ]);
  });

  it('reports an image that cannot be pulled as Batch does, CannotPullContainerError, and keeps the engine output', () => {
    const dir = stateDir();
    const engine = fakeEngine(() => ({ status: 125, output: 'Error: manifest unknown\n' }));
    const attempt = () => prepareJobImage(engine.run, { name: 'py', image: 'example.com/team/missing:1' }, dir);
    expect(attempt).toThrow(ContainerEngineError);
    expect(attempt).toThrow(
      'job definition py: CannotPullContainerError: example.com/team/missing:1 could not be pulled (exit 125):\nError: manifest unknown',
    );
    expect(readFileSync(join(dir, 'images', 'py.log'), 'utf8')).toBe('Error: manifest unknown\n');
    expect(attempt).toThrow(`(all of it: ${join(dir, 'images', 'py.log')})`);
  });

  it('reports a build that fails with the end of its output', () => {
    const engine = fakeEngine(() => ({ status: 1, output: 'STEP 1/7: FROM python:3.12-slim\nError: no such host\n' }));
    expect(() =>
      prepareJobImage(
        engine.run,
        { name: 'sweep', image: { directory: '/src/sweep', file: 'Dockerfile' } },
        stateDir(),
      ),
    ).toThrow(
      'job definition sweep: the image fanout-local/sweep:latest did not build (exit 1):\nSTEP 1/7: FROM python:3.12-slim\nError: no such host',
    );
  });
});
