import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  AWS_MIN_TIMEOUT_SECONDS,
  arrayPathIssues,
  checkArrayPathInput,
  FanoutInputError,
  validateInput,
} from '../../lambdas/shared';
import { NOT_REHEARSED, RehearsalError, startRehearsal } from '../../local/rehearse';
import type { RunPath } from '../../run';
import { localJobResources, readJsonDocument } from '../input';
import { CliError, type CliIo, ExitCode } from '../io';
import { jobUmask } from '../private-state';
import { commandLine, holdStateDir } from '../state-lock';
import { localTarget } from '../targets';
import { writeReportAfterRun } from './report';
import { runOnTarget } from './run';

export interface RehearseOptions {
  /** A cloud assembly to read instead of synthesizing the app of cdk.json. */
  cdkOut?: string;
  /** @default examples/monte-carlo/input.json */
  input?: string;
  /** @default .fanout/rehearsal */
  dir?: string;
  json?: boolean;
  /** Only this path. @default both, map first */
  path?: RunPath;
}

const DEFAULT_INPUT = 'examples/monte-carlo/input.json';

/**
 * Synthesizes the app as `cdk synth` does: the `app` command of cdk.json, run with CDK_OUTDIR.
 * Returns the assembly's folder, which the caller removes.
 */
function synthesize(io: CliIo): string {
  if (!existsSync('cdk.json'))
    throw new CliError('no cdk.json here to synthesize: run in the project, or give --cdk-out');
  const app = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { app?: unknown }).app;
  if (typeof app !== 'string') throw new CliError('cdk.json names no "app" command to synthesize');
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-rehearse-cdk-'));
  io.err(`synthesizing the app (${app}) ...`);
  const result = spawnSync('sh', ['-c', app], {
    env: { ...process.env, CDK_OUTDIR: outdir },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(outdir, { recursive: true, force: true });
    throw new CliError(`synthesizing the app failed (${app}):\n${(result.stderr ?? '').trim()}`, ExitCode.Failed);
  }
  return outdir;
}

/**
 * The input without what the array path cannot honour (a failure threshold, a concurrency
 * limit, retry rounds), so one input rehearses both paths; says what it left out.
 */
function forArrayPath(raw: Record<string, unknown>, io: CliIo): Record<string, unknown> {
  const input: Record<string, unknown> = { ...raw };
  const left: string[] = [];
  for (const issue of arrayPathIssues(raw)) {
    if (issue.path === 'retry.rounds') input.retry = { ...(raw.retry as object), rounds: 0 };
    else delete input[issue.path];
    left.push(issue.path);
  }
  if (left.length > 0) io.err(`array path: leaving out ${left.join(', ')}, which the array path does not honour`);
  return input;
}

/** Collects what a run prints, for `--json`, which prints one document at the end. */
function capturing(io: CliIo): { io: CliIo; lastLine(): string | undefined } {
  const lines: string[] = [];
  return {
    io: { out: (text) => lines.push(text), err: (text) => io.err(text), isTTY: false, status: () => undefined },
    lastLine: () => lines.at(-1),
  };
}

/**
 * `fanout rehearse`: stands the synthesized stack up on the local cloud, IAM enforced, and runs
 * an input through the map state machine, then the array one, printing each run's summary as
 * `fanout run` does. Exit 0 when both runs succeeded and IAM denied nothing; 1 otherwise; 2 for
 * invalid input or a template the rehearsal cannot stand up.
 */
export async function rehearseCommand(options: RehearseOptions, io: CliIo): Promise<number> {
  const inputFile = options.input ?? DEFAULT_INPUT;
  const raw = readJsonDocument(inputFile, 'input') as Record<string, unknown>;
  const paths: RunPath[] = options.path ? [options.path] : ['map', 'array'];
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  const baseRunId = typeof raw.runId === 'string' ? raw.runId : `rehearsal-${stamp}`;
  io.err('rehearsing the deployed stack on the local cloud; not rehearsed:');
  for (const line of NOT_REHEARSED) io.err(`  - ${line}`);

  const dirText = options.dir ?? join('.fanout', 'rehearsal');
  const release = holdStateDir(dirText, commandLine());
  try {
    return await rehearse(options, raw, paths, baseRunId, inputFile, dirText, io);
  } finally {
    release();
  }
}

async function rehearse(
  options: RehearseOptions,
  raw: Record<string, unknown>,
  paths: RunPath[],
  baseRunId: string,
  inputFile: string,
  dirText: string,
  io: CliIo,
): Promise<number> {
  const cdkOut = options.cdkOut ? resolve(options.cdkOut) : synthesize(io);
  let rehearsal: Awaited<ReturnType<typeof startRehearsal>>;
  try {
    rehearsal = await startRehearsal({ cdkOut, dir: dirText, ...jobUmask() });
  } catch (error) {
    if (!options.cdkOut) rmSync(cdkOut, { recursive: true, force: true });
    if (error instanceof RehearsalError) throw new CliError(`cannot rehearse ${cdkOut}: ${error.message}`);
    throw error;
  }
  const results: Record<string, unknown> = {};
  let exitCode: number = ExitCode.Succeeded;
  try {
    for (const path of paths) {
      const runId = `${baseRunId}-${path}`;
      const input = path === 'array' ? forArrayPath(raw, io) : { ...raw };
      input.runId = runId;
      try {
        validateInput(input, {
          executionName: runId,
          minTimeoutSeconds: AWS_MIN_TIMEOUT_SECONDS,
          jobResources: localJobResources(rehearsal.config),
        });
        if (path === 'array') checkArrayPathInput(input);
      } catch (error) {
        if (error instanceof FanoutInputError) throw new CliError(`invalid input ${inputFile}: ${error.message}`);
        throw error;
      }
      io.err(
        `${path} path: ${runId} on ${path === 'map' ? rehearsal.mapStateMachineArn : rehearsal.arrayStateMachineArn}`,
      );
      const captured = options.json ? capturing(io) : undefined;
      const code = await runOnTarget(
        localTarget(rehearsal, dirText),
        { runId, executionName: runId, input, path },
        { json: options.json ?? false },
        captured?.io ?? io,
        () => writeReportAfterRun(rehearsal, { runId, input }, dirText, captured?.io ?? io),
      );
      exitCode = Math.max(exitCode, code);
      if (captured) results[path] = JSON.parse(captured.lastLine() ?? 'null');
    }
  } finally {
    await rehearsal.stop();
    if (!options.cdkOut) rmSync(cdkOut, { recursive: true, force: true });
  }
  const denials = rehearsal.denials;
  if (denials.length > 0) {
    exitCode = Math.max(exitCode, ExitCode.Failed);
    io.err(`IAM denied ${denials.length} call(s) during the rehearsal; the deployed stack would be denied them too:`);
    for (const denial of denials) io.err(`  - ${denial.message}`);
  }
  if (options.json) {
    io.out(
      JSON.stringify({
        ...results,
        denials: denials.map(({ roleArn, action, resource }) => ({ roleArn, action, resource })),
        notRehearsed: NOT_REHEARSED,
      }),
    );
  } else if (denials.length === 0) {
    io.out('IAM denied no call: every role had the permissions its calls needed.');
  }
  return exitCode;
}
