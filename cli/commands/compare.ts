import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config';
import { arrayPathIssues, effectiveRetry, FanoutInputError, type RunPlan, validateInput } from '../../lambdas/shared';
import { jobComputeOf } from '../../run';
import { arrayPathUsage } from '../../statemachine/array-costs';
import { mapPathUsage } from '../../statemachine/map-usage';
import {
  type ComparedInput,
  comparePaths,
  estimateCompute,
  formatComparison,
  measurePath,
  type PathMeasurement,
} from '../compare';
import { localJobResources, readJsonDocument } from '../input';
import { CliError, type CliIo, ExitCode } from '../io';

export interface CompareOptions {
  input: string;
  json?: boolean;
  /** Also run the input on both paths on the local cloud and show the measurements. */
  run?: boolean;
  /** Item count for an input whose items are in S3 (their count is not known before Prepare reads them). */
  items?: number;
  /** Where `--run` keeps its two local clouds. @default a new temporary directory */
  dir?: string;
  /** Seconds each job is assumed to run, for the compute estimate. @default 60 */
  durationSeconds?: number;
  /** Percentage Spot is assumed to cost less than on-demand. @default 70 */
  spotDiscountPercent?: number;
}

/**
 * `fanout compare`: the map path and the native array path side by side for the input's item
 * count and settings; with `--run`, both run on the local cloud and the measurements are shown
 * next to the estimates. Exit code 0, or 2 for invalid input.
 */
export async function compareCommand(options: CompareOptions, io: CliIo): Promise<number> {
  const raw = readJsonDocument(options.input, 'input');
  const config = loadConfig();
  let plan: RunPlan;
  try {
    // With --run both paths run on the local cloud, which has only the configuration's queues and definitions.
    plan = validateInput(raw, {
      executionName: 'compare',
      ...(options.run ? { jobResources: localJobResources(config) } : {}),
    });
  } catch (error) {
    if (error instanceof FanoutInputError) throw new CliError(`invalid input ${options.input}: ${error.message}`);
    throw error;
  }
  const itemCount = plan.items?.length ?? options.items;
  if (itemCount === undefined) {
    throw new CliError(
      `input ${options.input} reads its items from ${plan.input.source ?? 'S3'}; give their number with --items N`,
    );
  }
  if (options.run && plan.items === undefined) {
    throw new CliError(`--run needs inline items (items, grid or replicas); input ${options.input} reads them from S3`);
  }
  const compared: ComparedInput = {
    itemCount,
    aggregate: plan.input.aggregate !== undefined,
    retryRounds: effectiveRetry(plan.input).rounds,
    ...(plan.input.toleratedFailureCount === undefined
      ? {}
      : { toleratedFailureCount: plan.input.toleratedFailureCount }),
    ...(plan.input.toleratedFailurePercentage === undefined
      ? {}
      : { toleratedFailurePercentage: plan.input.toleratedFailurePercentage }),
  };
  const comparison = comparePaths(compared, {
    map: (input) => mapPathUsage(input.itemCount, input.retryRounds, input.aggregate),
    array: (input) => arrayPathUsage(input.itemCount, input.aggregate),
  });

  // Options an array job cannot honour (a tolerance, failFast, maxConcurrency, retry rounds) are
  // left out of the array path's run, and said so, rather than refusing the comparison.
  const arrayPathIgnores = arrayPathIssues(raw).map((issue) => ({ field: issue.path, why: issue.message }));
  // The configuration's job definitions and queues are those the stack deploys (infra/config.ts).
  const compute = estimateCompute({
    job: jobComputeOf(config, plan.input.jobQueue, plan.input.jobDefinition),
    itemCount,
    aggregate: compared.aggregate,
    ...(options.durationSeconds === undefined ? {} : { secondsPerJob: options.durationSeconds }),
    ...(options.spotDiscountPercent === undefined ? {} : { spotDiscount: options.spotDiscountPercent / 100 }),
  });
  const report = { ...comparison, compute, arrayPathIgnores };

  const measured: PathMeasurement[] = [];
  if (options.run) {
    const root = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'fanout-compare-')));
    for (const path of ['map', 'array'] as const) {
      if (!options.json) io.out(`running the ${path} path on the local cloud (${join(root, path)}) ...`);
      measured.push(
        await measurePath(path, path === 'array' ? withoutOptions(raw, arrayPathIgnores) : raw, join(root, path)),
      );
    }
  }

  if (options.json) io.out(JSON.stringify(options.run ? { ...report, measured } : report));
  else {
    io.out(formatComparison(comparison, measured, compute));
    for (const { field, why } of arrayPathIgnores) io.out(`array path ignores ${field}: ${why}`);
  }
  return ExitCode.Succeeded;
}

/** The input without the given options; `retry.rounds` is set to 0 rather than removed. */
function withoutOptions(raw: unknown, ignored: ReadonlyArray<{ field: string }>): unknown {
  const input = { ...(raw as Record<string, unknown>) };
  for (const { field } of ignored) {
    if (field === 'retry.rounds') input.retry = { ...(input.retry as Record<string, unknown>), rounds: 0 };
    else delete input[field];
  }
  return input;
}
