import {
  type ComputeCost,
  computeAssumptions,
  computeCostOf,
  type FixedMonthly,
  type JobCompute,
  stackFixedMonthly,
} from '../../run';

/**
 * Seconds each job is assumed to run when `fanout compare` is not told (`--duration`): Fargate's
 * one-minute minimum, the least any job is billed (docs/map-vs-array.md, "Compute").
 */
export const DEFAULT_ASSUMED_JOB_SECONDS = 60;

/** The jobs' compute and the stack's fixed monthly cost, as `fanout compare` shows them. */
export interface ComputeEstimate {
  /** The same on both paths: the same jobs run, only their orchestration differs. */
  jobs: number;
  job: JobCompute;
  cost: ComputeCost;
  /** One sentence per assumption, printed with the figures. */
  assumptions: string[];
  fixedMonthly: FixedMonthly;
}

/**
 * Estimates the compute of a run of `itemCount` items (plus the aggregation job, if any), each
 * job assumed to run `secondsPerJob` and to succeed on its first attempt.
 * @example estimateCompute({ job, itemCount: 300, aggregate: true, secondsPerJob: 60 }).cost.onDemand
 */
export function estimateCompute(options: {
  job: JobCompute;
  itemCount: number;
  aggregate: boolean;
  /** @default DEFAULT_ASSUMED_JOB_SECONDS */
  secondsPerJob?: number;
  spotDiscount?: number;
}): ComputeEstimate {
  const jobs = options.itemCount + (options.aggregate ? 1 : 0);
  const secondsPerJob = options.secondsPerJob ?? DEFAULT_ASSUMED_JOB_SECONDS;
  const cost = computeCostOf(options.job, [{ count: jobs, seconds: secondsPerJob }], options.spotDiscount);
  return {
    jobs,
    job: options.job,
    cost,
    assumptions: computeAssumptions(options.job, cost, {
      kind: 'assumed',
      secondsPerJob,
      option: options.secondsPerJob === undefined ? 'the default; set it with --duration' : '--duration',
    }),
    fixedMonthly: stackFixedMonthly(),
  };
}
