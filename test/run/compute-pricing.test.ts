import { describe, expect, it } from 'vitest';
import {
  COMPUTE_PRICES,
  computeAssumptions,
  computeCostOf,
  DEFAULT_STACK,
  fargateBilledSeconds,
  fixedMonthlyCharges,
  fixedMonthlyCost,
  type JobCompute,
  jobComputeOf,
} from '../../run';

// Expected values below are worked by hand from the prices of aws.amazon.com/fargate/pricing/
// (Linux/x86, us-east-1: $0.04048 per vCPU-hour, $0.004445 per GB-hour), aws.amazon.com/ec2/pricing/on-demand/
// (m5.large $0.096/h), aws.amazon.com/vpc/pricing/ (public IPv4 $0.005/h), aws.amazon.com/privatelink/pricing/
// ($0.01 per endpoint-AZ-hour), aws.amazon.com/kms/pricing/ ($1/key-month) and
// aws.amazon.com/cloudwatch/pricing/ ($0.10/alarm-month).

const fargateJob: JobCompute = { vcpus: 1, memoryMiB: 2048, firstChoice: 'FARGATE', origin: 'test' };

describe('the compute price table', () => {
  it('holds the us-east-1 Linux/x86 prices with their date and source pages', () => {
    expect(COMPUTE_PRICES).toMatchObject({
      region: 'us-east-1',
      checkedOn: '2026-12-07',
      fargatePerVcpuHour: 0.04048,
      fargatePerGbHour: 0.004445,
      fargateMinimumSeconds: 60,
      publicIpv4PerHour: 0.005,
    });
    expect(COMPUTE_PRICES.sources.fargate).toBe('https://aws.amazon.com/fargate/pricing/');
  });
});

describe('fargateBilledSeconds', () => {
  it('bills at least one minute per task (Fargate pricing: one-minute minimum)', () => {
    expect(fargateBilledSeconds(0)).toBe(60);
    expect(fargateBilledSeconds(0.4)).toBe(60);
    expect(fargateBilledSeconds(60)).toBe(60);
  });

  it('rounds a longer task up to the next whole second', () => {
    expect(fargateBilledSeconds(61.2)).toBe(62);
    expect(fargateBilledSeconds(3599.01)).toBe(3600);
  });
});

describe('computeCostOf', () => {
  it('prices one hour of 1 vCPU and 2 GB on Fargate at $0.04937', () => {
    const cost = computeCostOf(fargateJob, [{ count: 1, seconds: 3600 }]);
    expect(cost.vcpuHours).toBeCloseTo(1, 12);
    expect(cost.gbHours).toBeCloseTo(2, 12);
    // 1 × 0.04048 + 2 × 0.004445
    expect(cost.onDemand).toBeCloseTo(0.04937, 12);
    // 70% off by default: 0.04937 × 0.3
    expect(cost.spot).toBeCloseTo(0.014811, 12);
    expect(cost.publicIpv4).toBeCloseTo(0.005, 12);
    expect(cost.firstChoice).toBe('on-demand');
  });

  it('bills 300 sub-second Monte Carlo jobs as 300 minutes: $0.24685', () => {
    const cost = computeCostOf(fargateJob, [{ count: 300, seconds: 0.4 }]);
    expect(cost.attempts).toBe(300);
    expect(cost.billedSeconds).toBe(18_000);
    // 5 vCPU-hours × 0.04048 + 10 GB-hours × 0.004445
    expect(cost.onDemand).toBeCloseTo(0.24685, 12);
    expect(cost.publicIpv4).toBeCloseTo(0.025, 12);
  });

  it('prices fractional sizes: 0.25 vCPU and 512 MiB for 90 s cost $0.0003085625', () => {
    const small: JobCompute = { ...fargateJob, vcpus: 0.25, memoryMiB: 512 };
    // 0.025 h: 0.25 × 0.025 × 0.04048 + 0.5 × 0.025 × 0.004445
    expect(computeCostOf(small, [{ count: 1, seconds: 90 }]).onDemand).toBeCloseTo(0.0003085625, 12);
  });

  it('sums groups of different durations, each attempt billed on its own', () => {
    const cost = computeCostOf(fargateJob, [
      { count: 2, seconds: 10 },
      { count: 1, seconds: 120.5 },
    ]);
    expect(cost.billedSeconds).toBe(60 + 60 + 121);
  });

  it("marks a queue that tries Fargate Spot first as billed at Spot's price", () => {
    expect(computeCostOf({ ...fargateJob, firstChoice: 'FARGATE_SPOT' }, []).firstChoice).toBe('spot');
  });

  it('applies the given Spot discount instead of the default', () => {
    const cost = computeCostOf(fargateJob, [{ count: 1, seconds: 3600 }], 0.5);
    expect(cost.spot).toBeCloseTo(0.024685, 12);
    expect(cost.spotDiscount).toBe(0.5);
  });

  it('refuses a Spot discount outside [0, 1), naming the value', () => {
    expect(() => computeCostOf(fargateJob, [], 1)).toThrow('spotDiscount must be at least 0 and below 1; received 1');
    expect(() => computeCostOf(fargateJob, [], -0.1)).toThrow('received -0.1');
  });

  it("prices an EC2 job as its vCPUs' share of an m5.large, without a per-job minimum", () => {
    const ec2: JobCompute = { vcpus: 4, memoryMiB: 8192, firstChoice: 'EC2', origin: 'test' };
    // 4 vCPUs × 0.5 h × ($0.096 / 2 vCPUs)
    expect(computeCostOf(ec2, [{ count: 1, seconds: 1800 }]).onDemand).toBeCloseTo(0.096, 12);
    // 2 vCPUs × 10 s: 2 × 10 / 3600 × 0.048
    const short = computeCostOf({ ...ec2, vcpus: 2 }, [{ count: 1, seconds: 10 }]);
    expect(short.onDemand).toBeCloseTo(0.000266666667, 10);
    expect(short.publicIpv4).toBe(0);
    expect(computeCostOf({ ...ec2, firstChoice: 'SPOT' }, []).firstChoice).toBe('spot');
  });
});

describe('fixedMonthlyCharges', () => {
  it("bills the default stack's KMS key and two alarms: $1.20 a month, no NAT gateway", () => {
    const charges = fixedMonthlyCharges(DEFAULT_STACK);
    expect(charges.map((charge) => charge.monthly)).toEqual([1, 0.2]);
    expect(charges.map((charge) => charge.what).join(' ')).not.toContain('NAT');
    expect(fixedMonthlyCost(DEFAULT_STACK)).toBeCloseTo(1.2, 12);
  });

  it('adds $43.80 a month for three interface endpoints in two AZs (3 × 2 × $0.01 × 730 h)', () => {
    const stack = { ...DEFAULT_STACK, interfaceEndpoints: 3 };
    expect(fixedMonthlyCharges(stack).at(-1)?.monthly).toBeCloseTo(43.8, 10);
    expect(fixedMonthlyCost(stack)).toBeCloseTo(45, 10);
  });
});

describe('jobComputeOf', () => {
  const config = {
    computeEnvironments: [
      { name: 'od', type: 'FARGATE' as const },
      { name: 'spot', type: 'FARGATE_SPOT' as const },
    ],
    jobQueues: [
      { name: 'high', computeEnvironments: ['od', 'spot'] },
      { name: 'low', computeEnvironments: ['spot', 'od'] },
    ],
    jobDefinitions: [{ name: 'big', vcpus: 4, memoryMiB: 8192 }],
  };

  it("takes the job definition's size and the queue's first compute environment", () => {
    expect(jobComputeOf(config, 'low', 'big')).toMatchObject({
      vcpus: 4,
      memoryMiB: 8192,
      firstChoice: 'FARGATE_SPOT',
    });
  });

  it('finds a definition named by revision or ARN', () => {
    expect(jobComputeOf(config, 'high', 'big:3').vcpus).toBe(4);
    expect(jobComputeOf(config, 'high', 'arn:aws:batch:us-east-1:123456789012:job-definition/big:3').vcpus).toBe(4);
  });

  it('assumes the stack defaults for what the configuration does not name, and says so', () => {
    const job = jobComputeOf(config, 'elsewhere', 'other');
    expect(job).toMatchObject({ vcpus: 1, memoryMiB: 2048, firstChoice: 'FARGATE' });
    expect(job.origin).toContain('other not in the configuration');
    expect(job.origin).toContain('elsewhere not in the configuration');
  });
});

describe('computeAssumptions', () => {
  const cost = computeCostOf(fargateJob, [{ count: 3, seconds: 60 }]);

  it('names the region, date, architecture, durations and Spot discount', () => {
    const text = computeAssumptions(fargateJob, cost, {
      kind: 'assumed',
      secondsPerJob: 60,
      option: '--duration',
    }).join('\n');
    expect(text).toContain('us-east-1, as of 2026-12-07');
    expect(text).toContain('Linux/x86_64');
    expect(text).toContain('durations assumed: 60 s per job (--duration)');
    expect(text).toContain('Spot: 70% below on-demand assumed');
    expect(text).toContain('at least 1 minute per attempt');
  });

  it('says when durations are measured and how many unfinished attempts were left out', () => {
    const text = computeAssumptions(fargateJob, cost, { kind: 'measured', unfinishedAttempts: 2 }).join('\n');
    expect(text).toContain('durations measured');
    expect(text).toContain('2 unfinished attempt(s) not counted');
  });
});
