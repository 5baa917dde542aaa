import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
// Not the config index: it would load the configuration schema (and zod) for every command.
import { CONFIG_VARIABLE } from '../config/location';
import { palette } from './colour';
import { CliError, type CliIo, ExitCode, processIo } from './io';
import { packageVersion } from './package-info';
// The light part of the targets: the AWS target's SDK clients load with the commands that use them.
import type { AwsTargetOptions } from './targets';
import { DEFAULT_STACK } from './targets/target';

/** The options of a command that can use a deployed stack (`--aws`) instead of the local cloud. */
interface AwsFlags {
  aws?: boolean;
  stack?: string;
  region?: string;
}

function addAwsOptions(command: Command): Command {
  return command
    .option('--aws', 'use the deployed stack instead of the local cloud (docs/deploy-cli.md)')
    .option('--stack <name>', `with --aws: the CloudFormation stack (default ${DEFAULT_STACK})`)
    .option(
      '--region <region>',
      "with --aws: the stack's region (default: the AWS SDK's region, else fanout.config.json's)",
    );
}

/** A parser of an option's positive integer value. */
function positiveInteger(flag: string): (value: string) => number {
  return (value) => {
    const count = Number(value);
    if (!Number.isInteger(count) || count < 1)
      throw new InvalidArgumentError(`${flag} must be a positive integer; received "${value}"`);
    return count;
  };
}

/** A parser of an option's whole percentage from 0 to 99. */
function percentBelow100(flag: string): (value: string) => number {
  return (value) => {
    const percent = Number(value);
    if (value.trim() === '' || !Number.isInteger(percent) || percent < 0 || percent > 99)
      throw new InvalidArgumentError(`${flag} must be a whole percentage from 0 to 99; received "${value}"`);
    return percent;
  };
}

/** The target options `--aws` asks for, or undefined for the local cloud. */
function awsTargetOf(flags: AwsFlags): AwsTargetOptions | undefined {
  if (!flags.aws) {
    if (flags.stack !== undefined || flags.region !== undefined)
      throw new CliError('--stack and --region apply to a deployed stack only: add --aws');
    return undefined;
  }
  return { ...(flags.stack ? { stack: flags.stack } : {}), ...(flags.region ? { region: flags.region } : {}) };
}

/**
 * Builds the `fanout` command. Each action stores its exit code in `result.exitCode`;
 * tests call `makeProgram(io).parseAsync([...], { from: 'user' })` with `exitOverride()`.
 * @example const { program, result } = makeProgram(); await program.parseAsync(process.argv);
 */
export function makeProgram(
  io: CliIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
): { program: Command; result: { exitCode: number } } {
  const result = { exitCode: ExitCode.Succeeded as number };
  const errorPaint = palette(io.errColour);
  const program = new Command('fanout')
    .description('Run thousands of parameterised AWS Batch jobs from one Step Functions execution.')
    .version(packageVersion(), '-V, --version', 'print the version of fanout')
    .option(
      '--config <file>',
      'the configuration file (default: ./fanout.config.json when it exists, else the one fanout ships)',
    )
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
      // A usage error, with commander's "(Did you mean ...?)" when a command or option is close.
      outputError: (text, write) => write(errorPaint.red(text.trimEnd())),
    })
    .showHelpAfterError('(add --help for usage)')
    // Before the subcommands are added, which copy it: their usage errors then exit 2 too.
    .exitOverride()
    .hook('preAction', (command) => {
      const file = command.opts<{ config?: string }>().config;
      if (file !== undefined) env[CONFIG_VARIABLE] = file;
    });

  const dirOption = ['--dir <dir>', 'local state directory', '.fanout'] as const;
  const inImageOption = [
    '--in-image',
    "run each local job in its job definition's image with Docker or Podman, as on AWS (docs/job-image.md)",
  ] as const;

  program
    .command('run')
    .description('run the Map path (or --path array) on the local cloud and print the run summary')
    .argument('[input]', 'execution input JSON file, or - for stdin', 'examples/monte-carlo/input.json')
    .option(...dirOption)
    .option('--json', 'print the run summary as one JSON line (the last stdout line)')
    .addOption(
      new Option(
        '--path <path>',
        'map: a Distributed Map of one job per item; array: Batch array jobs of up to 10,000 children',
      )
        .choices(['map', 'array'])
        .default('map'),
    )
    .option(...inImageOption)
    .action(
      async (
        input: string,
        opts: { dir: string; json?: boolean; path: 'map' | 'array'; inImage?: boolean } & AwsFlags,
      ) => {
        // Each command loads its modules when it runs, so a command pays only for what it uses.
        const { runCommand } = await import('./commands/run');
        result.exitCode = await runCommand(
          {
            input,
            dir: opts.dir,
            json: opts.json ?? false,
            path: opts.path,
            aws: awsTargetOf(opts),
            inImage: opts.inImage ?? false,
          },
          io,
        );
      },
    );

  program
    .command('retry')
    .description(
      "re-run a finished run's failed idempotent items (and those never submitted) in a new execution that updates the run's ledger rows",
    )
    .argument('<runId>', 'the run id')
    .option(...dirOption)
    .option('--json', 'print the run summary as one JSON line (the last stdout line)')
    .option(...inImageOption)
    .action(async (runId: string, opts: { dir: string; json?: boolean; inImage?: boolean } & AwsFlags) => {
      const { retryCommand } = await import('./commands/retry');
      result.exitCode = await retryCommand(
        { runId, dir: opts.dir, json: opts.json ?? false, aws: awsTargetOf(opts), inImage: opts.inImage ?? false },
        io,
      );
    });

  program
    .command('resume')
    .description(
      'finish a run whose fanout run process died: succeeded items are kept, lost jobs re-run only when idempotent, never-started items run',
    )
    .argument('<runId>', 'the run id')
    .option(...dirOption)
    .option('--json', 'print the run summary as one JSON line (the last stdout line)')
    .option(...inImageOption)
    .action(async (runId: string, opts: { dir: string; json?: boolean; inImage?: boolean }) => {
      const { resumeCommand } = await import('./commands/resume');
      result.exitCode = await resumeCommand(
        { runId, dir: opts.dir, json: opts.json ?? false, inImage: opts.inImage ?? false },
        io,
      );
    });

  program
    .command('cancel')
    .description(
      'stop a run that a fanout run (or retry) process is running: its running jobs are terminated and the run ends ABORTED',
    )
    .argument('<runId>', 'the run id')
    .option(...dirOption)
    .action(async (runId: string, opts: { dir: string } & AwsFlags) => {
      const { cancelCommand } = await import('./commands/cancel');
      result.exitCode = await cancelCommand({ runId, dir: opts.dir, aws: awsTargetOf(opts) }, io);
    });

  program
    .command('status')
    .description('print the summary of a run from its ledger')
    .argument('<runId>', 'the run id')
    .option(...dirOption)
    .option('--json', 'print the run summary as one JSON line')
    .option(
      '--failures',
      'list every failed item instead: id, kwargs, class, reason, exit code and log (with --json: one JSON line)',
    )
    .action(async (runId: string, opts: { dir: string; json?: boolean; failures?: boolean } & AwsFlags) => {
      const { statusCommand } = await import('./commands/status');
      result.exitCode = await statusCommand(
        { runId, dir: opts.dir, json: opts.json ?? false, failures: opts.failures ?? false, aws: awsTargetOf(opts) },
        io,
      );
    });

  program
    .command('report')
    .description(
      "write a run's HTML report: status, timeline of every job attempt, durations, failures and how to retry them, estimated cost",
    )
    .argument('<runId>', 'the run id')
    .option(...dirOption)
    .option(
      '--out <file>',
      'where to write the report (default: <dir>/reports/<runId>.html; with --aws ./fanout-report-<runId>.html)',
    )
    .action(async (runId: string, opts: { dir: string; out?: string } & AwsFlags) => {
      const aws = awsTargetOf(opts);
      const { reportCommand } = await import('./commands/report');
      result.exitCode = await reportCommand(
        { runId, dir: opts.dir, ...(opts.out ? { out: opts.out } : {}), ...(aws ? { aws } : {}) },
        io,
      );
    });

  program
    .command('compare')
    .description(
      'the map path and the native array path side by side for the input: calls, transitions, ledger writes, cost and failure semantics',
    )
    .argument('[input]', 'execution input JSON file, or - for stdin', 'examples/monte-carlo/input.json')
    .option('--json', 'print the comparison as one JSON line')
    .option('--run', 'also run the input on both paths on the local cloud and show what was measured')
    .option('--items <count>', 'item count when the input reads its items from S3', positiveInteger('--items'))
    .option('--dir <dir>', 'where --run keeps its local clouds (default: a new temporary directory)')
    .option(
      '--duration <seconds>',
      "seconds each job is assumed to run, for the compute estimate (default 60, Fargate's minimum billed time)",
      positiveInteger('--duration'),
    )
    .option(
      '--spot-discount <percent>',
      'how much cheaper Spot is assumed to be than on-demand, 0-99 (default 70, the most AWS names for Fargate Spot)',
      percentBelow100('--spot-discount'),
    )
    .action(
      async (
        input: string,
        opts: {
          json?: boolean;
          run?: boolean;
          items?: number;
          dir?: string;
          duration?: number;
          spotDiscount?: number;
        },
      ) => {
        const { compareCommand } = await import('./commands/compare');
        result.exitCode = await compareCommand(
          {
            input,
            json: opts.json ?? false,
            run: opts.run ?? false,
            ...(opts.items === undefined ? {} : { items: opts.items }),
            ...(opts.dir === undefined ? {} : { dir: opts.dir }),
            ...(opts.duration === undefined ? {} : { durationSeconds: opts.duration }),
            ...(opts.spotDiscount === undefined ? {} : { spotDiscountPercent: opts.spotDiscount }),
          },
          io,
        );
      },
    );

  program
    .command('list')
    .description('list the runs, newest first: id, path, status, item counts, start and duration')
    .option(...dirOption)
    .option('--json', 'print {runs: [...]} as one JSON line')
    .option('--limit <count>', 'at most this many runs (default 50)', positiveInteger('--limit'))
    .action(async (opts: { dir: string; json?: boolean; limit?: number } & AwsFlags) => {
      const { listCommand } = await import('./commands/list');
      result.exitCode = await listCommand(
        {
          dir: opts.dir,
          json: opts.json ?? false,
          ...(opts.limit === undefined ? {} : { limit: opts.limit }),
          aws: awsTargetOf(opts),
        },
        io,
      );
    });

  program
    .command('logs')
    .description(
      "print what an item's job wrote (without ITEM: every failed item's log, each named by its id and kwargs)",
    )
    .argument('<runId>', 'the run id')
    .argument('[item]', 'the item id (as in the ledger and `status --failures`), or aggregate for the aggregation job')
    .option(...dirOption)
    .option('-f, --follow', "keep printing the item's output until its job ends")
    .action(async (runId: string, itemId: string | undefined, opts: { dir: string; follow?: boolean } & AwsFlags) => {
      const { logsCommand } = await import('./commands/logs');
      result.exitCode = await logsCommand(
        { runId, itemId, dir: opts.dir, follow: opts.follow ?? false, aws: awsTargetOf(opts) },
        io,
      );
    });

  // These also work on a deployed stack instead of the local cloud.
  for (const name of ['run', 'retry', 'cancel', 'status', 'report', 'list', 'logs'])
    addAwsOptions(program.commands.find((command) => command.name() === name) as Command);

  program
    .command('rehearse')
    .description(
      'stand the synthesized CDK stack up on the local cloud, IAM enforced, and run an input through both paths',
    )
    .option('--cdk-out <dir>', 'a cloud assembly to rehearse (default: synthesize the app of cdk.json)')
    .option('--input <file>', 'execution input JSON file', 'examples/monte-carlo/input.json')
    .option('--dir <dir>', 'state directory of the rehearsal', '.fanout/rehearsal')
    .option('--path <path>', 'rehearse only this path: map or array')
    .option('--json', 'print {map, array, denials, notRehearsed} as the last stdout line')
    .action(async (opts: { cdkOut?: string; input: string; dir: string; path?: string; json?: boolean }) => {
      if (opts.path !== undefined && opts.path !== 'map' && opts.path !== 'array')
        throw new CliError(`--path must be map or array (received "${opts.path}")`);
      const { rehearseCommand } = await import('./commands/rehearse');
      result.exitCode = await rehearseCommand(
        {
          ...(opts.cdkOut ? { cdkOut: opts.cdkOut } : {}),
          input: opts.input,
          dir: opts.dir,
          ...(opts.path ? { path: opts.path as 'map' | 'array' } : {}),
          ...(opts.json ? { json: true } : {}),
        },
        io,
      );
    });

  const local = program.command('local').description('the embedded local cloud');
  local
    .command('exec')
    .description('run one state machine definition to completion on the local cloud')
    .requiredOption('--definition <file>', 'Amazon States Language definition (JSON)')
    .requiredOption('--input <file>', 'execution input JSON file, or - for stdin')
    .option(...dirOption)
    .option('--json', 'print {status, output, error, cause, stateTransitions} as the last stdout line')
    .action(async (opts: { definition: string; input: string; dir: string; json?: boolean }) => {
      const { localExec } = await import('./commands/local-exec');
      result.exitCode = await localExec(opts, io);
    });
  local
    .command('serve')
    .description('keep the local cloud running until SIGINT/SIGTERM')
    .option(...dirOption)
    .option('--json', 'print {region, credentials, endpoints, environment, envFile} as the first stdout line')
    .option('--env', 'print the environment for the AWS CLI, boto3 and SDKs as shell export lines')
    .action(async (opts: { dir: string; json?: boolean; env?: boolean }) => {
      const { localServe } = await import('./commands/local-serve');
      result.exitCode = await localServe(opts, io);
    });

  return { program, result };
}

/** Runs the CLI with `argv` (user arguments only) and returns the process exit code. */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const { program, result } = makeProgram(io, env);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.exitCode;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(palette(io.errColour).red(`fanout: ${error.message}`));
      return error.exitCode;
    }
    if (error instanceof CommanderError) {
      // Help and version requests exit 0; usage errors are invalid input.
      return error.exitCode === 0 ? 0 : ExitCode.Invalid;
    }
    throw error;
  }
}
