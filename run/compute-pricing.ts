/**
 * What the jobs themselves cost: Fargate (or EC2) time for their vCPUs and memory, and what the
 * stack bills by the hour whether or not a run happens. USD, region us-east-1, on-demand,
 * without free tier; Linux on x86_64, the platform the stack's job definitions use
 * (infra/private/compute.ts). docs/report.md, "Compute", says how each figure is counted.
 *
 * Checked on 2026-12-07 against the public pricing pages:
 * - Fargate Linux/x86: $0.04048 per vCPU-hour, $0.004445 per GB-hour; billed from the image pull
 *   to the task's end, per second rounded up, with a one-minute minimum (aws.amazon.com/fargate/pricing/)
 * - Fargate Spot: "up to a 70% discount" off the Fargate price; the current Spot price varies
 *   (aws.amazon.com/fargate/pricing/, "Fargate Spot Pricing for Amazon ECS")
 * - EC2 on-demand m5.large (2 vCPUs, 8 GiB), Linux: $0.096 per hour (aws.amazon.com/ec2/pricing/on-demand/)
 * - Public IPv4 address: $0.005 per address-hour, also for a task's address (aws.amazon.com/vpc/pricing/)
 * - Interface VPC endpoint: $0.01 per endpoint per Availability Zone-hour, each partial hour billed
 *   as a full one (aws.amazon.com/privatelink/pricing/); S3 gateway endpoints are free
 * - KMS customer managed key: $1 per month (aws.amazon.com/kms/pricing/)
 * - CloudWatch standard-resolution alarm: $0.10 per alarm-month (aws.amazon.com/cloudwatch/pricing/)
 */
export const COMPUTE_PRICES = {
  checkedOn: '2026-12-07',
  region: 'us-east-1',
  architecture: 'Linux/x86_64',
  fargatePerVcpuHour: 0.04048,
  fargatePerGbHour: 0.004445,
  fargateMinimumSeconds: 60,
  /** AWS names no fixed Spot price, only "up to 70%" off: the estimate assumes that much unless told otherwise. */
  defaultSpotDiscount: 0.7,
  ec2ReferenceInstance: { type: 'm5.large', perHour: 0.096, vcpus: 2, memoryGiB: 8 },
  publicIpv4PerHour: 0.005,
  interfaceEndpointPerAzHour: 0.01,
  kmsKeyPerMonth: 1,
  alarmPerMonth: 0.1,
  /** AWS pricing pages count a month as 730 hours. */
  hoursPerMonth: 730,
  sources: {
    fargate: 'https://aws.amazon.com/fargate/pricing/',
    ec2: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    vpc: 'https://aws.amazon.com/vpc/pricing/',
    privateLink: 'https://aws.amazon.com/privatelink/pricing/',
    kms: 'https://aws.amazon.com/kms/pricing/',
    cloudWatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  },
} as const;

/** Compute environment types as the configuration names them. */
export type ComputeEnvironmentType = 'FARGATE' | 'FARGATE_SPOT' | 'EC2' | 'SPOT';

/** What one job asks for, and where its queue places it first. */
export interface JobCompute {
  vcpus: number;
  memoryMiB: number;
  /** The type of the first compute environment of the job's queue: where a job goes while it has room. */
  firstChoice: ComputeEnvironmentType;
  /** The job definition and queue the figures come from, or why defaults were assumed. */
  origin: string;
}

/** `count` job attempts that each ran (or are assumed to run) `seconds`. */
export interface JobDurations {
  count: number;
  seconds: number;
}

/** Estimated compute cost of a set of job attempts, on demand and on Spot. */
export interface ComputeCost {
  platform: 'fargate' | 'ec2';
  /** Which price the queue's first compute environment bills at. */
  firstChoice: 'on-demand' | 'spot';
  attempts: number;
  /** Billed seconds summed over the attempts (Fargate: each rounded up, at least a minute). */
  billedSeconds: number;
  vcpuHours: number;
  gbHours: number;
  onDemand: number;
  spot: number;
  /** Fargate tasks in the stack's public subnets each hold a public IPv4 address while they run. */
  publicIpv4: number;
  spotDiscount: number;
}

/**
 * Fargate's billed seconds for a task that ran `seconds`: rounded up to the second, at least
 * one minute (aws.amazon.com/fargate/pricing/).
 * @example fargateBilledSeconds(0.4) // 60
 */
export function fargateBilledSeconds(seconds: number): number {
  return Math.max(COMPUTE_PRICES.fargateMinimumSeconds, Math.ceil(seconds));
}

/**
 * Prices job attempts of one size. Fargate: vCPU-hours and GB-hours of the billed seconds.
 * EC2: the job's vCPUs' share of the reference instance's hourly price for the seconds it ran;
 * the instance's idle time, start-up and per-instance minimum are not counted.
 * @example computeCostOf({ vcpus: 1, memoryMiB: 2048, firstChoice: 'FARGATE', origin: '' }, [{ count: 300, seconds: 60 }]).onDemand
 */
export function computeCostOf(
  job: JobCompute,
  durations: readonly JobDurations[],
  spotDiscount: number = COMPUTE_PRICES.defaultSpotDiscount,
): ComputeCost {
  if (!(spotDiscount >= 0 && spotDiscount < 1)) {
    throw new RangeError(`spotDiscount must be at least 0 and below 1; received ${spotDiscount}`);
  }
  const platform = job.firstChoice === 'FARGATE' || job.firstChoice === 'FARGATE_SPOT' ? 'fargate' : 'ec2';
  let attempts = 0;
  let billedSeconds = 0;
  for (const { count, seconds } of durations) {
    attempts += count;
    billedSeconds += count * (platform === 'fargate' ? fargateBilledSeconds(seconds) : Math.max(0, seconds));
  }
  const hours = billedSeconds / 3600;
  const vcpuHours = job.vcpus * hours;
  const gbHours = (job.memoryMiB / 1024) * hours;
  const instance = COMPUTE_PRICES.ec2ReferenceInstance;
  const onDemand =
    platform === 'fargate'
      ? vcpuHours * COMPUTE_PRICES.fargatePerVcpuHour + gbHours * COMPUTE_PRICES.fargatePerGbHour
      : vcpuHours * (instance.perHour / instance.vcpus);
  return {
    platform,
    firstChoice: job.firstChoice === 'FARGATE_SPOT' || job.firstChoice === 'SPOT' ? 'spot' : 'on-demand',
    attempts,
    billedSeconds,
    vcpuHours,
    gbHours,
    onDemand,
    spot: onDemand * (1 - spotDiscount),
    publicIpv4: platform === 'fargate' ? hours * COMPUTE_PRICES.publicIpv4PerHour : 0,
    spotDiscount,
  };
}

/** What the deployed stack consists of, as far as its hourly and monthly charges go. */
export interface StackShape {
  /** Availability Zones of the stack's VPC. @default 2 (the construct's maxAzs) */
  azs: number;
  /** Interface endpoints (ECR API, ECR Docker, CloudWatch Logs) when deployed with vpcEndpoints. */
  interfaceEndpoints: number;
  /** One ExecutionsFailed alarm per deployed state machine. */
  alarms: number;
  /** The notices topic's key. */
  kmsKeys: number;
  /** The stack's VPC has none (public subnets only). */
  natGateways: number;
}

/** One charge the stack bills whether or not runs happen. */
export interface FixedCharge {
  what: string;
  monthly: number;
}

/** The stack `cdk deploy` builds from fanout.config.json: 2 AZs, both paths, no NAT gateway, no endpoints. */
export const DEFAULT_STACK: StackShape = { azs: 2, interfaceEndpoints: 0, alarms: 2, kmsKeys: 1, natGateways: 0 };

/** The interface endpoints `-c fanout:vpcEndpoints=true` adds (infra/private/network.ts). */
export const VPC_ENDPOINT_SERVICES = ['ECR API', 'ECR Docker', 'CloudWatch Logs'] as const;

/**
 * The stack's charges per month (730 hours) that do not depend on runs. Usage-priced parts
 * (logs, S3 and DynamoDB storage, point-in-time recovery) are not fixed and not counted.
 * @example fixedMonthlyCharges(DEFAULT_STACK).reduce((sum, charge) => sum + charge.monthly, 0) // 1.2
 */
export function fixedMonthlyCharges(stack: StackShape): FixedCharge[] {
  const p = COMPUTE_PRICES;
  const charges: FixedCharge[] = [];
  if (stack.kmsKeys > 0)
    charges.push({
      what: `${stack.kmsKeys} KMS key(s) (the notices topic's) at $${p.kmsKeyPerMonth}/month`,
      monthly: stack.kmsKeys * p.kmsKeyPerMonth,
    });
  if (stack.alarms > 0)
    charges.push({
      what: `${stack.alarms} CloudWatch alarm(s) at $${p.alarmPerMonth.toFixed(2)}/month`,
      monthly: stack.alarms * p.alarmPerMonth,
    });
  if (stack.interfaceEndpoints > 0)
    charges.push({
      what: `${stack.interfaceEndpoints} interface VPC endpoint(s) × ${stack.azs} AZ(s) at $${p.interfaceEndpointPerAzHour}/hour × ${p.hoursPerMonth} h`,
      monthly: stack.interfaceEndpoints * stack.azs * p.interfaceEndpointPerAzHour * p.hoursPerMonth,
    });
  return charges;
}

/** Total of {@link fixedMonthlyCharges}. */
export function fixedMonthlyCost(stack: StackShape): number {
  return fixedMonthlyCharges(stack).reduce((sum, charge) => sum + charge.monthly, 0);
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
 * The default stack's fixed monthly charges, and what its VPC endpoints would add. The CLI
 * cannot see how a stack was deployed, so it shows both.
 * @example stackFixedMonthly().total // 1.2
 */
export function stackFixedMonthly(): FixedMonthly {
  const withEndpoints = fixedMonthlyCharges({ ...DEFAULT_STACK, interfaceEndpoints: VPC_ENDPOINT_SERVICES.length });
  return {
    charges: fixedMonthlyCharges(DEFAULT_STACK),
    total: fixedMonthlyCost(DEFAULT_STACK),
    vpcEndpoints: withEndpoints.at(-1) as FixedCharge,
  };
}

/** The parts of fanout.config.json that decide a job's size and placement. */
export interface ComputeConfig {
  computeEnvironments: ReadonlyArray<{ name: string; type: ComputeEnvironmentType }>;
  jobQueues: ReadonlyArray<{ name: string; computeEnvironments: readonly string[] }>;
  jobDefinitions: ReadonlyArray<{ name: string; vcpus: number; memoryMiB: number }>;
}

/** Batch's Fargate defaults in the stack's job definitions when the configuration does not name the one used. */
const DEFAULT_JOB = { vcpus: 1, memoryMiB: 2048 } as const;

/**
 * The size and first placement of a job of `jobDefinition` (a name, `name:revision` or an ARN)
 * on `jobQueue`, from the configuration; a definition or queue it does not name gets the
 * stack's defaults (1 vCPU, 2048 MiB, Fargate), and `origin` says so.
 * @example jobComputeOf(loadConfig(), 'fanout-high', 'fanout-job')
 */
export function jobComputeOf(config: ComputeConfig, jobQueue: string, jobDefinition: string): JobCompute {
  const definitionName = jobDefinition.replace(/^arn:[^/]*\//, '').replace(/:\d+$/, '');
  const definition = config.jobDefinitions.find((candidate) => candidate.name === definitionName);
  const queue = config.jobQueues.find((candidate) => candidate.name === jobQueue);
  const firstEnvironment = config.computeEnvironments.find(
    (environment) => environment.name === queue?.computeEnvironments[0],
  );
  const origin = [
    definition
      ? `job definition ${definition.name}`
      : `job definition ${definitionName} not in the configuration: 1 vCPU and 2048 MiB assumed`,
    firstEnvironment
      ? `queue ${jobQueue} tries ${firstEnvironment.name} (${firstEnvironment.type}) first`
      : `queue ${jobQueue} not in the configuration: FARGATE assumed`,
  ].join('; ');
  return {
    vcpus: definition?.vcpus ?? DEFAULT_JOB.vcpus,
    memoryMiB: definition?.memoryMiB ?? DEFAULT_JOB.memoryMiB,
    firstChoice: firstEnvironment?.type ?? 'FARGATE',
    origin,
  };
}

/** Where the durations priced came from. */
export type DurationBasis =
  | { kind: 'assumed'; secondsPerJob: number; option: string }
  | { kind: 'measured'; unfinishedAttempts: number };

/**
 * The assumptions behind a compute figure, one sentence each, to print wherever it is printed.
 * @example computeAssumptions(job, cost, { kind: 'assumed', secondsPerJob: 60, option: '--duration' })
 */
export function computeAssumptions(job: JobCompute, cost: ComputeCost, durations: DurationBasis): string[] {
  const p = COMPUTE_PRICES;
  const instance = p.ec2ReferenceInstance;
  return [
    `prices: ${p.region}, as of ${p.checkedOn}; ${p.architecture}, on-demand, no free tier, no Savings Plans`,
    `each job: ${job.vcpus} vCPU, ${(job.memoryMiB / 1024).toLocaleString('en-US', { maximumFractionDigits: 3 })} GB (${job.origin})`,
    durations.kind === 'assumed'
      ? `durations assumed: ${durations.secondsPerJob} s per job (${durations.option}); every item succeeds on its first attempt`
      : `durations measured: each attempt from Batch's start to its stop (${cost.attempts} attempt(s)); image pull time not included${durations.unfinishedAttempts > 0 ? `; ${durations.unfinishedAttempts} unfinished attempt(s) not counted` : ''}`,
    cost.platform === 'fargate'
      ? `Fargate: billed per second, rounded up, at least 1 minute per attempt; $${p.fargatePerVcpuHour} per vCPU-hour, $${p.fargatePerGbHour} per GB-hour`
      : `EC2: the job's share of an ${instance.type} ($${instance.perHour}/h for ${instance.vcpus} vCPUs) for the seconds it runs; idle instance time and start-up not counted`,
    `Spot: ${Math.round(cost.spotDiscount * 100)}% below on-demand assumed (AWS: Fargate Spot up to 70% off; the current Spot price varies)`,
    ...(cost.platform === 'fargate'
      ? [
          `public IPv4: one address per running task at $${p.publicIpv4PerHour}/h (the stack's public subnets without NAT need it)`,
        ]
      : []),
  ];
}
