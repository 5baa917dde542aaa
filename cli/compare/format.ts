import { COMPUTE_PRICES } from '../../run';
import type { ComputeEstimate } from './compute';
import type { Comparison, PathEstimate, PathName } from './model';

/** What `fanout compare --run` measured for one path on the local cloud. */
export interface PathMeasurement {
  path: PathName;
  status: string;
  stateTransitions: number;
  submitJobCalls: number;
  lambdaInvocations: number;
  wallSeconds: number;
  /** Items whose ledger row ended SUCCEEDED / FAILED. */
  succeeded: number;
  failed: number;
}

function usd(value: number): string {
  return value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(6)}` : `$${value.toFixed(4)}`;
}

/** A monthly charge: whole cents are precise enough. */
function monthlyUsd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

/** The failure tolerance as the input sets it; a threshold it leaves out is not quoted. */
function toleranceOf(comparison: Comparison): string {
  const limits = [
    comparison.toleratedFailureCount === undefined
      ? undefined
      : `${count(comparison.toleratedFailureCount)} items (toleratedFailureCount)`,
    comparison.toleratedFailurePercentage === undefined
      ? undefined
      : `${comparison.toleratedFailurePercentage}% (toleratedFailurePercentage)`,
  ].filter((limit): limit is string => limit !== undefined);
  return limits.length === 0
    ? 'no failure tolerated (no threshold set)'
    : `failures tolerated up to ${limits.join(' or ')}`;
}

/**
 * The side-by-side view of `fanout compare`: estimates per path, then (with `--run`) what the
 * local cloud measured, then each path's failure semantics.
 */
export function formatComparison(
  comparison: Comparison,
  measured: readonly PathMeasurement[] = [],
  compute?: ComputeEstimate,
): string {
  const paths = comparison.paths;
  const header = ['', ...paths.map((path) => `${path.path} path`)];
  const row = (label: string, cell: (path: PathEstimate) => string) => [label, ...paths.map(cell)];
  const lines = [
    `${count(comparison.itemCount)} items, retry rounds ${comparison.retryRounds}, ${toleranceOf(comparison)}`,
    `estimates assume ${comparison.assumption}`,
    '',
    table([
      header,
      row('SubmitJob calls', (p) => count(p.submitJobCalls)),
      row('min submit time (50 SubmitJob/s)', (p) => `${p.minSubmitSeconds.toFixed(2)} s`),
      row('state transitions', (p) => count(p.stateTransitions)),
      row('ledger writes', (p) => count(p.ledgerWrites)),
      row('Lambda invocations', (p) => count(p.lambdaInvocations)),
      row('Step Functions', (p) => usd(p.costUsd.stepFunctions)),
      row('DynamoDB', (p) => usd(p.costUsd.dynamodb)),
      row('Lambda (requests)', (p) => usd(p.costUsd.lambda)),
      row('estimated total', (p) => usd(p.costUsd.total)),
    ]),
    `prices: ${comparison.prices.region}, checked ${comparison.prices.checkedOn}; orchestration only: compute follows`,
  ];
  if (compute) lines.push('', ...formatCompute(compute));
  if (measured.length > 0) {
    const byPath = (path: PathEstimate) => measured.find((entry) => entry.path === path.path);
    const cell = (path: PathEstimate, pick: (entry: PathMeasurement) => string) => {
      const entry = byPath(path);
      return entry ? pick(entry) : '-';
    };
    lines.push(
      '',
      'measured on the local cloud',
      table([
        header,
        row('status', (p) => cell(p, (m) => m.status)),
        row('items succeeded / failed', (p) => cell(p, (m) => `${count(m.succeeded)} / ${count(m.failed)}`)),
        row('state transitions', (p) =>
          cell(
            p,
            (m) =>
              `${count(m.stateTransitions)}${m.stateTransitions === p.stateTransitions ? '' : ` (est. ${count(p.stateTransitions)})`}`,
          ),
        ),
        row('SubmitJob calls', (p) => cell(p, (m) => count(m.submitJobCalls))),
        row('Lambda invocations', (p) => cell(p, (m) => count(m.lambdaInvocations))),
        row('wall time', (p) => cell(p, (m) => `${m.wallSeconds.toFixed(1)} s`)),
      ]),
    );
  }
  lines.push('', 'failure semantics');
  for (const path of paths) {
    lines.push(`  ${path.path} path`);
    for (const [label, text] of Object.entries(path.semantics)) lines.push(`    ${label}: ${text}`);
  }
  return lines.join('\n');
}

/**
 * The jobs' compute cost (the same on both paths) with its assumptions, and the stack's fixed
 * monthly cost, as lines of text.
 */
export function formatCompute(estimate: ComputeEstimate): string[] {
  const { cost, job, fixedMonthly } = estimate;
  const name = cost.platform === 'fargate' ? 'Fargate' : 'EC2';
  const first = (pricing: 'on-demand' | 'spot') => (cost.firstChoice === pricing ? '  (the queue tries it first)' : '');
  const rows = [
    [`${name} on-demand`, usd(cost.onDemand) + first('on-demand')],
    [`${name} Spot`, usd(cost.spot) + first('spot')],
    ...(cost.platform === 'fargate' ? [['public IPv4 addresses', usd(cost.publicIpv4)]] : []),
  ];
  const width = Math.max(...rows.map(([label]) => label!.length));
  return [
    `compute (the same on both paths): ${count(estimate.jobs)} jobs, ${job.vcpus} vCPU and ${job.memoryMiB} MiB each, ${(cost.billedSeconds / 3600).toFixed(2)} billed hours`,
    ...rows.map(([label, value]) => `  ${label!.padEnd(width)}  ${value}`),
    '  assumptions:',
    ...estimate.assumptions.map((line) => `    ${line}`),
    `fixed monthly cost of the stack, billed whether or not runs happen: ${monthlyUsd(fixedMonthly.total)}`,
    ...fixedMonthly.charges.map((charge) => `  ${monthlyUsd(charge.monthly)}  ${charge.what}`),
    '  no NAT gateway: the jobs run in public subnets',
    `  with -c fanout:vpcEndpoints=true: +${monthlyUsd(fixedMonthly.vpcEndpoints.monthly)} (${fixedMonthly.vpcEndpoints.what})`,
    `compute and fixed prices: ${COMPUTE_PRICES.region}, as of ${COMPUTE_PRICES.checkedOn} (${Object.values(COMPUTE_PRICES.sources).join(', ')})`,
  ];
}
