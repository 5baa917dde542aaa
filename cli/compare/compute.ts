import {
  type ComputeCost,
  computeAssumptions,
  computeCostOf,
  DEFAULT_STACK,
  type FixedCharge,
  fixedMonthlyCharges,
  fixedMonthlyCost,
  type JobCompute,
  VPC_ENDPOINT_SERVICES,
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

/** What the stack bills per month whether or not runs happen. */
export interface FixedMonthly {
  /** The stack as deployed by default: no NAT gateway, no interface endpoints. */
  charges: FixedCharge[];
  total: number;
  /** What `-c fanout:vpcEndpoints=true` adds. */
  vpcEndpoints: FixedCharge;
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
  secondsPerJob: number;
  spotDiscount?: number;
}): ComputeEstimate {
  const jobs = options.itemCount + (options.aggregate ? 1 : 0);
  const cost = computeCostOf(options.job, [{ count: jobs, seconds: options.secondsPerJob }], options.spotDiscount);
  const secondsOption =
    options.secondsPerJob === DEFAULT_ASSUMED_JOB_SECONDS ? 'the default; set it with --duration' : '--duration';
  return {
    jobs,
    job: options.job,
    cost,
    assumptions: computeAssumptions(options.job, cost, {
      kind: 'assumed',
      secondsPerJob: options.secondsPerJob,
      option: secondsOption,
    }),
    fixedMonthly: stackFixedMonthly(),
  };
}

/** The default stack's fixed monthly charges, and what its VPC endpoints would add. */
export function stackFixedMonthly(): FixedMonthly {
  const withEndpoints = fixedMonthlyCharges({ ...DEFAULT_STACK, interfaceEndpoints: VPC_ENDPOINT_SERVICES.length });
  return {
    charges: fixedMonthlyCharges(DEFAULT_STACK),
    total: fixedMonthlyCost(DEFAULT_STACK),
    vpcEndpoints: withEndpoints.at(-1) as FixedCharge,
  };
}
