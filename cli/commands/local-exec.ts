import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { loadConfig } from '../../config';
import { localDefinition } from '../../local/definitions';
import { ServiceError } from '../../local/engine/errors';
import { startEngineOnly, usesAwsServices } from '../../local/engine-only';
import { readJsonDocument } from '../input';
import { CliError, type CliIo, ExitCode } from '../io';
import { jobUmask } from '../private-state';

export interface LocalExecOptions {
  definition: string;
  input: string;
  dir?: string;
  json?: boolean;
}

/** The contract of `fanout local exec --json`: one JSON object, the last stdout line. */
export interface LocalExecResult {
  status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output: unknown;
  error: string | null;
  cause: string | null;
  stateTransitions: number;
}

/**
 * Runs one state machine definition to completion on the local cloud.
 * Returns the exit code: 0 SUCCEEDED, 1 any other terminal status, 2 invalid definition or input.
 */
export async function localExec(options: LocalExecOptions, io: CliIo): Promise<number> {
  try {
    readFileSync(options.definition);
  } catch (error) {
    throw new CliError(`cannot read definition ${options.definition}: ${(error as Error).message}`);
  }
  const input = readJsonDocument(options.input, 'input');
  const config = loadConfig();
  let definition: string;
  try {
    definition = localDefinition(options.definition, config);
  } catch (error) {
    throw new CliError(`invalid definition ${options.definition}: ${(error as Error).message}`);
  }
  // A definition that calls no AWS service runs on the engine alone: no local service to start.
  // The local cloud's modules (AWS SDK clients, dynalite, Batch) load only when the definition needs them.
  const cloud = usesAwsServices(definition)
    ? await (await import('../../local/cloud')).startLocalCloud({
        ...(options.dir ? { dir: options.dir } : {}),
        config,
        ...jobUmask(),
      })
    : startEngineOnly(config);
  try {
    let stateMachineArn: string;
    try {
      const name = `exec-${basename(options.definition).replace(/[^A-Za-z0-9_-]/g, '-')}-${Date.now()}`.slice(0, 80);
      stateMachineArn = cloud.engine.createStateMachine({
        name,
        definition,
        roleArn: `arn:aws:iam::${config.accountId}:role/fanout-local`,
      }).stateMachineArn;
    } catch (error) {
      throw new CliError(`invalid definition ${options.definition}: ${(error as Error).message}`);
    }
    const { executionArn } = cloud.engine.startExecution({ stateMachineArn, input: JSON.stringify(input) });
    const execution = await cloud.engine.waitForExecution(executionArn);
    const result: LocalExecResult = {
      status: execution.status as LocalExecResult['status'],
      output: execution.output === undefined ? null : JSON.parse(execution.output),
      error: execution.error ?? null,
      cause: execution.cause ?? null,
      stateTransitions: execution.stateTransitions,
    };
    if (options.json) {
      io.out(JSON.stringify(result));
    } else {
      io.out(`status: ${result.status}`);
      if (result.error) io.out(`error: ${result.error}${result.cause ? `: ${result.cause}` : ''}`);
      io.out(`state transitions: ${result.stateTransitions}`);
      io.out(`output: ${JSON.stringify(result.output, null, 2)}`);
    }
    return result.status === 'SUCCEEDED' ? ExitCode.Succeeded : ExitCode.Failed;
  } catch (error) {
    if (error instanceof ServiceError) throw new CliError(`${error.code}: ${error.message}`);
    throw error;
  } finally {
    await cloud.stop();
  }
}
