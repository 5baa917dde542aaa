import { describe, expect, it } from 'vitest';
import type { ComputeEstimate } from '../../../cli/compare';
import { runCli } from '../../../cli/program';
import { captureIo } from '../aws-stack';

const MONTE_CARLO = 'examples/monte-carlo/input.json';

async function compare(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(['compare', MONTE_CARLO, ...args], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('fanout compare: compute cost', () => {
  it("prints the Monte Carlo example's compute cost with its assumptions", async () => {
    const { code, out } = await compare();
    expect(code).toBe(0);
    // 300 replicas and the aggregation job, 1 vCPU and 2048 MiB (fanout-job), 60 s each.
    expect(out).toMatch(/^compute \(the same on both paths\): 301 jobs, 1 vCPU and 2048 MiB each/m);
    // 301 × 60 s = 5.0167 h × (1 × $0.04048 + 2 × $0.004445) (aws.amazon.com/fargate/pricing/)
    expect(out).toMatch(/^ {2}Fargate on-demand\s+\$0\.2477 {2}\(the queue tries it first\)$/m);
    expect(out).toMatch(/^ {2}Fargate Spot\s+\$0\.0743$/m);
    expect(out).toContain('us-east-1, as of 2026-12-07');
    expect(out).toContain('Linux/x86_64');
    expect(out).toContain('durations assumed: 60 s per job (the default; set it with --duration)');
    expect(out).toContain('Spot: 70% below on-demand assumed');
    expect(out).toContain('at least 1 minute per attempt');
  });

  it("prints the stack's fixed monthly cost and what VPC endpoints add", async () => {
    const { out } = await compare();
    expect(out).toContain('fixed monthly cost of the stack, billed whether or not runs happen: $1.20');
    expect(out).toContain('no NAT gateway');
    expect(out).toContain('with -c fanout:vpcEndpoints=true: +$43.80');
    expect(out).toContain('https://aws.amazon.com/fargate/pricing/');
  });

  it('prices the duration and Spot discount it is given, and says they were given', async () => {
    const { out } = await compare('--duration', '120', '--spot-discount', '50', '--json');
    const { compute } = JSON.parse(out) as { compute: ComputeEstimate };
    expect(compute.jobs).toBe(301);
    expect(compute.cost.billedSeconds).toBe(301 * 120);
    // 301 × 120 s = 10.0333 h × $0.04937; Spot at half of it
    expect(compute.cost.onDemand).toBeCloseTo((301 * 120 * 0.04937) / 3600, 10);
    expect(compute.cost.spot).toBeCloseTo((301 * 120 * 0.04937) / 3600 / 2, 10);
    expect(compute.assumptions.join('\n')).toContain('durations assumed: 120 s per job (--duration)');
    expect(compute.assumptions.join('\n')).toContain('Spot: 50% below on-demand assumed');
    expect(compute.fixedMonthly.total).toBeCloseTo(1.2, 10);
  });

  it('refuses a Spot discount outside 0-99, naming the option and the value', async () => {
    const { code, err } = await compare('--spot-discount', '100');
    expect(code).toBe(2);
    expect(err).toContain('--spot-discount must be a whole percentage from 0 to 99; received "100"');
  });

  it('refuses a duration that is not a positive whole number of seconds', async () => {
    const { code, err } = await compare('--duration', '0');
    expect(code).toBe(2);
    expect(err).toContain('--duration must be a positive integer; received "0"');
  });
});
