import { describe, expect, it } from 'vitest';
import { estimateCompute, formatCompute } from '../../../cli/compare';
import type { JobCompute } from '../../../run';

const spotFirstEc2: JobCompute = { vcpus: 2, memoryMiB: 4096, firstChoice: 'SPOT', origin: 'queue low' };

describe('estimateCompute', () => {
  it('counts one job per item, plus the aggregation job when there is one', () => {
    const job: JobCompute = { ...spotFirstEc2, firstChoice: 'FARGATE' };
    expect(estimateCompute({ job, itemCount: 10, aggregate: false, secondsPerJob: 60 }).jobs).toBe(10);
    expect(estimateCompute({ job, itemCount: 10, aggregate: true, secondsPerJob: 60 }).jobs).toBe(11);
  });
});

describe('formatCompute', () => {
  it('marks the Spot figure when the queue tries Spot first, and prints no IPv4 line for EC2', () => {
    const text = formatCompute(
      estimateCompute({ job: spotFirstEc2, itemCount: 1800, aggregate: false, secondsPerJob: 600 }),
    ).join('\n');
    // 1800 × 600 s = 300 h × 2 vCPUs × ($0.096 / 2) = $28.80 on demand; 70% off: $8.64
    expect(text).toMatch(/^ {2}EC2 on-demand\s+\$28\.8000$/m);
    expect(text).toMatch(/^ {2}EC2 Spot\s+\$8\.6400 {2}\(the queue tries it first\)$/m);
    expect(text).not.toContain('public IPv4');
    expect(text).toContain("EC2: the job's share of an m5.large");
  });
});
