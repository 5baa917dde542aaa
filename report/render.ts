import { escapeHtml as esc, formatCount, formatDuration, formatTime, formatUsd } from './format';
import { durationHistogram } from './histogram';
import type {
  AggregateSummary,
  ComputeSummary,
  FailureEntry,
  FailureGroup,
  ReportModel,
  RetryVerdict,
  SchedulingSummary,
} from './model';
import { COLORS, renderTimeline } from './render-timeline';
import { TIMELINE_BAR_LIMIT } from './timeline';

/**
 * Renders a report as one self-contained HTML page: inline CSS, SVG drawn here, no script and
 * nothing fetched (its Content-Security-Policy forbids both). Every value from the run is
 * escaped. Pure: the same model gives the same page.
 * @example writeFileSync('report.html', renderReport(model))
 */
export function renderReport(model: ReportModel, options: RenderOptions = {}): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fanout run ${esc(model.runId)}: ${esc(model.status)}</title>
<style>${STYLE}</style>
</head>
<body>
${renderHeader(model)}
${renderExecutions(model)}
${renderStatus(model)}
${model.scheduling ? renderScheduling(model.scheduling) : ''}
${renderTimeline(model, options.barLimit ?? TIMELINE_BAR_LIMIT)}
${renderHistogram(model)}
${renderFailures(model)}
${renderRetry(model)}
${renderCost(model)}
<footer>Generated ${esc(formatTime(model.generatedAt))} by fanout report. Prices: ${esc(model.cost.region)}, orchestration checked ${esc(model.cost.pricesCheckedOn)}${model.cost.compute ? `, compute as of ${esc(model.cost.compute.pricesCheckedOn)}` : ''}.</footer>
</body>
</html>
`;
}

export interface RenderOptions {
  /** Most attempts drawn as one bar each; above it the timeline aggregates. @default TIMELINE_BAR_LIMIT */
  barLimit?: number;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d232b;margin:0 auto;max-width:1180px;padding:16px 24px 48px;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}h3{font-size:14px;margin:16px 0 6px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:8px 0}dl.facts dt{color:#5b6570}dl.facts dd{margin:0;overflow-wrap:anywhere}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;color:#fff;background:#6b7480;vertical-align:middle}
.status.SUCCEEDED{background:${COLORS.succeeded}}.status.FAILED,.status.TIMED_OUT{background:${COLORS.failed}}.status.COMPLETED_WITH_FAILURES,.status.ABORTED{background:${COLORS.aborted}}.status.RUNNING{background:${COLORS.running}}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 8px;border-bottom:1px solid #eef0f2;vertical-align:top}th{color:#5b6570;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}td code{white-space:pre-wrap;overflow-wrap:anywhere}
pre.command{background:#f4f6f8;border:1px solid #e3e6ea;border-radius:4px;padding:8px 12px;white-space:pre-wrap}
.stack{display:flex;height:18px;border-radius:4px;overflow:hidden;background:#eef0f2;margin:8px 0}.stack span{display:block;height:100%}
ul.counts{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 20px}ul.counts .count{font-size:18px;font-weight:600;margin-right:4px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:baseline}
.scroll{max-height:620px;overflow:auto;border:1px solid #e3e6ea;border-radius:4px}
svg text{font:11px system-ui,sans-serif;fill:#5b6570}svg .lane-label{fill:#1d232b}
svg .link{stroke:#9aa3ad;stroke-width:1;stroke-dasharray:2 2}
.note{color:#5b6570;font-size:13px}.verdict{font-size:12px;white-space:nowrap}.verdict.retryable{color:${COLORS.succeeded}}.verdict.blocked{color:${COLORS.failed}}
footer{margin-top:36px;color:#8a939c;font-size:12px}
`;

function renderHeader(model: ReportModel): string {
  const { input, timing, cost } = model;
  const facts: Array<[string, string]> = [
    ['path', esc(model.path)],
    [
      'items',
      `${formatCount(input.itemCount)}${input.source ? ` · ${esc(input.source.description)}` : ' · source not recorded'}`,
    ],
  ];
  if (input.jobQueue) facts.push(['job queue', esc(input.jobQueue)]);
  if (input.jobDefinition) facts.push(['job definition', esc(input.jobDefinition)]);
  if (input.command) facts.push(['command', `<code>${esc(JSON.stringify(input.command))}</code>`]);
  const policy = [
    input.failFast ? 'fail fast' : undefined,
    input.failFast ? undefined : toleranceText(input),
    input.retry
      ? `${input.retry.rounds} automatic retry round(s), at most ${input.retry.maxAttempts} attempts per item`
      : undefined,
    input.idempotent === undefined
      ? undefined
      : input.idempotent
        ? 'items idempotent unless they say otherwise'
        : 'items not idempotent unless they say otherwise',
    input.maxConcurrency === undefined ? undefined : `at most ${formatCount(input.maxConcurrency)} jobs at once`,
  ].filter((part): part is string => part !== undefined);
  if (policy.length > 0) facts.push(['policy', esc(policy.join(' · '))]);
  if (model.aggregate) facts.push(['aggregation job', renderAggregateFact(model.aggregate)]);
  facts.push(
    ['counts', `<span data-testid="header-counts">${esc(countsLine(model))}</span>`],
    ['started', esc(formatTime(timing.startedAt))],
    ['stopped', esc(formatTime(timing.stoppedAt))],
    [
      'duration',
      timing.executingSeconds === null
        ? '—'
        : `${esc(formatDuration(timing.executingSeconds * 1000))}${model.executions.length > 1 ? ` executing, over ${model.executions.length} executions` : ''}`,
    ],
    ['state transitions', formatCount(model.stateTransitions)],
    [
      'estimated cost',
      `<span data-testid="cost-total">${esc(formatUsd(cost.estimate.total))}</span> orchestration${cost.compute ? ` · <span data-testid="compute-total">${esc(formatUsd(firstChoiceCost(cost.compute)))}</span> compute (${esc(cost.compute.cost.firstChoice)})` : ''} <a href="#cost">(how)</a>`,
    ],
  );
  return `<header>
<h1>Run <span data-testid="run-id">${esc(model.runId)}</span> <span class="status ${esc(model.status)}" data-testid="run-status">${esc(model.status)}</span></h1>
<dl class="facts">${facts.map(([label, value]) => `<dt>${esc(label)}</dt><dd>${value}</dd>`).join('')}</dl>
</header>`;
}

/**
 * The run's failure tolerance as the user set it. The header keeps the thresholds the Map got,
 * where a threshold the user left out is 100% or every item (docs/map-path.md), so only the ones
 * that can be exceeded are quoted.
 */
export function toleranceText(input: ReportModel['input']): string | undefined {
  const { toleratedFailurePercentage: percentage, toleratedFailureCount: count, itemCount } = input;
  if (percentage === undefined && count === undefined) return undefined;
  const byPercentage = percentage !== undefined && percentage < 100;
  const byCount = count !== undefined && count < itemCount;
  if (byPercentage && percentage === 0 && (count ?? 0) === 0) return 'no failed item tolerated';
  if (byPercentage && byCount) return `tolerated ${percentage}% or ${formatCount(count)} items`;
  if (byPercentage) return `tolerated ${percentage}%`;
  if (byCount) return `tolerated ${formatCount(count)} items`;
  return 'every failure tolerated';
}

function renderAggregateFact(aggregate: AggregateSummary): string {
  const exit = aggregate.exitCode === undefined ? '' : ` (exit ${aggregate.exitCode})`;
  const log = aggregate.logUrl ? ` · <a href="${esc(aggregate.logUrl)}">log</a>` : '';
  return `<span data-testid="aggregate">${esc(aggregate.jobName)} <span class="status ${esc(aggregate.status)}">${esc(aggregate.status)}</span>${esc(exit)}${log}</span>`;
}

function logCell(logStream: string | undefined, logUrl: string | undefined): string {
  if (logUrl) return `<a href="${esc(logUrl)}">${esc(logStream ?? 'log')}</a>`;
  return logStream ? `<code>${esc(logStream)}</code>` : '—';
}

function countsLine(model: ReportModel): string {
  const { items } = model;
  const parts = [
    `${formatCount(items.total)} items`,
    `${formatCount(items.succeeded)} succeeded`,
    `${formatCount(items.failed)} failed`,
  ];
  for (const [key, label] of ITEM_KEYS.slice(2)) if (items[key] > 0) parts.push(`${formatCount(items[key])} ${label}`);
  return parts.join(' · ');
}

/** Seconds after the run started, or a dash when unknown. */
function afterStart(seconds: number | null): string {
  return seconds === null ? '-' : `+${formatDuration(seconds * 1000)}`;
}

/** The run's queue, share and priority, and when its first, median and last job started. */
function renderScheduling(scheduling: SchedulingSummary): string {
  const share = scheduling.shareIdentifier === undefined ? '-' : `<code>${esc(scheduling.shareIdentifier)}</code>`;
  const priority = scheduling.schedulingPriority === undefined ? '-' : esc(scheduling.schedulingPriority);
  return `<section id="scheduling"><h2>Scheduling</h2>
<table><thead><tr><th>job queue</th><th>share</th><th class="num">priority</th><th class="num">jobs started</th><th class="num">first started</th><th class="num">median started</th><th class="num">last started</th></tr></thead>
<tbody><tr><td><code>${esc(scheduling.jobQueue)}</code></td><td>${share}</td><td class="num">${priority}</td><td class="num">${formatCount(scheduling.startedJobs)}</td><td class="num">${afterStart(scheduling.firstStartSeconds)}</td><td class="num">${afterStart(scheduling.medianStartSeconds)}</td><td class="num">${afterStart(scheduling.lastStartSeconds)}</td></tr></tbody></table>
<p class="note">Each item's first attempt, after the run started. Runs sharing the queue compare by these times: on a fair-share queue a share of lower weight starts more jobs, and within a share a higher priority starts first.</p></section>`;
}

function renderExecutions(model: ReportModel): string {
  const rows = model.executions.map(
    (execution) => `<tr data-execution="${esc(execution.name)}">
<td>${esc(execution.name)}</td><td>${esc(execution.kind)}</td><td><span class="status ${esc(execution.status)}">${esc(execution.status)}</span></td>
<td>${esc(formatTime(execution.startedAt))}</td><td class="num">${execution.durationSeconds === null ? '—' : esc(formatDuration(execution.durationSeconds * 1000))}</td>
<td class="num">${formatCount(execution.stateTransitions)}</td><td class="num">${execution.retriedItemCount === undefined ? '' : formatCount(execution.retriedItemCount)}</td><td>${esc(execution.error ?? '')}</td></tr>`,
  );
  return `<section id="executions"><h2>Executions</h2>
<table><thead><tr><th>execution</th><th>kind</th><th>status</th><th>started</th><th class="num">duration</th><th class="num">state transitions</th><th class="num">items re-run</th><th>error</th></tr></thead>
<tbody>${rows.join('')}</tbody></table></section>`;
}

/** The status model's item counts (docs/run-status.md), in the order the stack draws them. */
const ITEM_KEYS = [
  ['succeeded', 'succeeded', COLORS.succeeded],
  ['failed', 'failed', COLORS.failed],
  ['neverStarted', 'never started', '#b8c0c8'],
  ['queued', 'queued', '#7a5cc4'],
  ['running', 'running', COLORS.running],
] as const;

function renderStatus(model: ReportModel): string {
  const { items: tally } = model;
  const total = Math.max(tally.total, 1);
  const stack = ITEM_KEYS.filter(([key]) => tally[key] > 0)
    .map(
      ([key, label, colour]) =>
        `<span style="width:${((tally[key] / total) * 100).toFixed(3)}%;background:${colour}" title="${label}: ${tally[key]}"></span>`,
    )
    .join('');
  // Queued and running items exist only while the run goes on.
  const shown = ITEM_KEYS.filter(([key]) => model.status === 'RUNNING' || (key !== 'queued' && key !== 'running'));
  const items = shown.map(
    ([key, label, colour]) =>
      `<li data-status="${key}"><span class="swatch" style="background:${colour}"></span><span class="count">${formatCount(tally[key])}</span>${label}</li>`,
  );
  const attempts = model.attempts.length + model.undrawnAttempts;
  return `<section id="status"><h2>Status</h2>
<div class="stack">${stack}</div>
<ul class="counts"><li data-status="total"><span class="count">${formatCount(tally.total)}</span>items</li>${items.join('')}</ul>
<p class="note">${formatCount(attempts)} job attempts${model.recoveredItems > 0 ? `; ${formatCount(model.recoveredItems)} item(s) failed first and succeeded on a later attempt` : ''}.</p>
</section>`;
}

const HISTOGRAM_WIDTH = 1100;
const HISTOGRAM_HEIGHT = 180;

function renderHistogram(model: ReportModel): string {
  const histogram = durationHistogram(model.attempts);
  if (histogram.count === 0)
    return `<section id="durations"><h2>Durations</h2><p class="note">No attempt has finished.</p></section>`;
  const barWidth = (HISTOGRAM_WIDTH - 40) / histogram.bins.length;
  const scale = (HISTOGRAM_HEIGHT - 30) / Math.max(histogram.tallest, 1);
  const parts: string[] = [];
  const labelEvery = Math.ceil(histogram.bins.length / 12);
  histogram.bins.forEach((bin, index) => {
    const x = 40 + index * barWidth;
    let y = HISTOGRAM_HEIGHT - 18;
    for (const outcome of ['succeeded', 'failed', 'aborted'] as const) {
      if (bin[outcome] === 0) continue;
      const h = bin[outcome] * scale;
      y -= h;
      const range = `${formatDuration(index * histogram.binMs)}–${formatDuration((index + 1) * histogram.binMs)}`;
      parts.push(
        `<rect class="bin ${outcome}" x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(barWidth - 2, 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[outcome]}"><title>${esc(`${bin[outcome]} ${outcome} in ${range}`)}</title></rect>`,
      );
    }
    if (index % labelEvery === 0)
      parts.push(
        `<text x="${x.toFixed(1)}" y="${HISTOGRAM_HEIGHT - 4}">${esc(formatDuration(index * histogram.binMs))}</text>`,
      );
  });
  parts.push(
    `<text x="0" y="12">${formatCount(histogram.tallest)}</text><line x1="38" x2="38" y1="4" y2="${HISTOGRAM_HEIGHT - 18}" stroke="#9aa3ad"/>`,
  );
  return `<section id="durations"><h2>Durations</h2>
<p class="note">Duration of the ${formatCount(histogram.count)} finished attempts (job start to stop), in bins of ${esc(formatDuration(histogram.binMs))}, stacked by outcome.</p>
<svg class="histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${HISTOGRAM_WIDTH} ${HISTOGRAM_HEIGHT}" width="100%" role="img" aria-label="duration histogram">${parts.join('')}</svg></section>`;
}

const VERDICTS: Record<RetryVerdict, string> = {
  retryable: 'retried by fanout retry',
  'not-idempotent': 'not retried: not idempotent',
  'out-of-attempts': 'not retried: out of attempts',
  abandoned: 'abandoned: out of attempts',
};

function renderFailureRow(entry: FailureEntry): string {
  const log = logCell(entry.logStream, entry.logUrl);
  return `<tr data-item="${esc(entry.itemId)}"><td>${esc(entry.itemId)}</td><td>${esc(entry.status)}</td><td class="num">${entry.attempt}</td>
<td class="num">${entry.exitCode === null ? '—' : entry.exitCode}</td><td><code>${esc(entry.kwargs)}</code></td><td>${log}</td>
<td><span class="verdict ${entry.retry === 'retryable' ? 'retryable' : 'blocked'}">${esc(VERDICTS[entry.retry])}</span></td></tr>`;
}

function renderFailureGroup(group: FailureGroup, failuresCommand: string): string {
  const more =
    group.count > group.items.length
      ? `<p class="note">and ${formatCount(group.count - group.items.length)} more items (all failed items: the ledger's failed-items index, or <code>${esc(failuresCommand)}</code>).</p>`
      : '';
  return `<div class="failure-group" data-failure-class="${esc(group.failureClass)}">
<h3>${esc(group.failureClass)}: ${esc(group.reason)} <span class="note">(${formatCount(group.count)} item${group.count === 1 ? '' : 's'})</span></h3>
<table class="failures"><thead><tr><th>item</th><th>status</th><th class="num">attempt</th><th class="num">exit code</th><th>kwargs</th><th>log</th><th>retry</th></tr></thead>
<tbody>${group.items.map(renderFailureRow).join('')}</tbody></table>${more}</div>`;
}

/** A failed aggregation job, above the failed items: it failed the run on its own. */
function renderAggregateFailure(aggregate: AggregateSummary | undefined): string {
  if (aggregate?.status !== 'FAILED') return '';
  return `<div class="failure-group" data-failure-class="aggregate">
<h3>Aggregation job: ${esc(aggregate.reason ?? 'failed')}</h3>
<table class="aggregate-failure"><thead><tr><th>job</th><th>job id</th><th class="num">exit code</th><th>error</th><th>log</th></tr></thead>
<tbody><tr data-aggregate="${esc(aggregate.jobName)}"><td>${esc(aggregate.jobName)}</td><td>${aggregate.jobId ? `<code>${esc(aggregate.jobId)}</code>` : '—'}</td>
<td class="num">${aggregate.exitCode === undefined ? '—' : aggregate.exitCode}</td><td>${esc(aggregate.error ?? '')}</td><td>${logCell(aggregate.logStream, aggregate.logUrl)}</td></tr></tbody></table>
<p class="note">A failed aggregation job fails the run (<code>Fanout.AggregateFailed</code>); <code>fanout retry</code> runs it again after the items it re-runs, unless they fail the run.</p></div>`;
}

function renderFailures(model: ReportModel): string {
  const aggregate = renderAggregateFailure(model.aggregate);
  if (model.failures.total === 0)
    return `<section id="failures"><h2>Failures</h2>${aggregate}<p class="note">No item failed.</p></section>`;
  return `<section id="failures"><h2>Failures (${formatCount(model.failures.total)})</h2>${aggregate}
<p class="note">Items that ended FAILED or ABANDONED, grouped by failure class and Batch's status reason.</p>
${model.failures.groups.map((group) => renderFailureGroup(group, model.retry.failuresCommand)).join('\n')}</section>`;
}

function renderRetry(model: ReportModel): string {
  const { retry } = model;
  const blocked = [
    retry.notIdempotent > 0
      ? `${formatCount(retry.notIdempotent)} not idempotent (its job may have had effects; it stays FAILED)`
      : undefined,
    retry.outOfAttempts > 0
      ? `${formatCount(retry.outOfAttempts)} out of attempts (the next retry marks them ABANDONED)`
      : undefined,
    retry.abandoned > 0 ? `${formatCount(retry.abandoned)} already abandoned` : undefined,
  ].filter((part): part is string => part !== undefined);
  const what =
    retry.retryable > 0
      ? `re-runs the <span data-testid="retryable">${formatCount(retry.retryable)}</span> failed item(s) that are safe to re-run and have attempts left, updating this run's rows.`
      : `has <span data-testid="retryable">0</span> items to re-run now.`;
  return `<section id="retry"><h2>Retry</h2>
<pre class="command" data-testid="retry-command">${esc(retry.command)}</pre>
<p>This command ${what}${blocked.length > 0 ? ` Not re-run: ${esc(blocked.join('; '))}.` : ''}${model.aggregate ? ' Its execution then runs the aggregation job again, unless the items it re-runs fail the run.' : ''}</p></section>`;
}

function renderCost(model: ReportModel): string {
  const { usage, estimate, basis } = model.cost;
  const rows: Array<[string, string, number]> = [
    ['Step Functions', `${formatCount(usage.stateTransitions)} state transitions`, estimate.stepFunctions],
    ['DynamoDB', `${formatCount(usage.ledgerWriteUnits)} write units`, estimate.dynamodb],
    ['Lambda', `${formatCount(usage.lambdaInvocations)} requests`, estimate.lambda],
    ['S3', `${formatCount(usage.s3PutRequests ?? 0)} PUT, ${formatCount(usage.s3GetRequests ?? 0)} GET`, estimate.s3],
  ];
  return `<section id="cost"><h2>Estimated AWS cost</h2>
<table><thead><tr><th>service</th><th>usage</th><th class="num">cost</th></tr></thead><tbody>
${rows.map(([service, used, cost]) => `<tr><td>${esc(service)}</td><td>${esc(used)}</td><td class="num">${esc(formatUsd(cost))}</td></tr>`).join('')}
<tr><th>total</th><th></th><th class="num">${esc(formatUsd(estimate.total))}</th></tr></tbody></table>
<ul class="note">${basis.map((line) => `<li>${esc(line)}</li>`).join('')}<li>Prices: on-demand, ${esc(model.cost.region)}, no free tier, checked ${esc(model.cost.pricesCheckedOn)} (${model.cost.sources.map((url) => esc(url)).join(', ')}).</li></ul>
${renderCompute(model)}
${renderFixedMonthly(model)}</section>`;
}

/** The figure the queue's first compute environment bills at. */
function firstChoiceCost(compute: ComputeSummary): number {
  return compute.cost.firstChoice === 'spot' ? compute.cost.spot : compute.cost.onDemand;
}

function renderCompute(model: ReportModel): string {
  const compute = model.cost.compute;
  if (!compute) return '<h3>Compute</h3><p class="note">Not estimated: the job size was not known.</p>';
  const { cost } = compute;
  const name = cost.platform === 'fargate' ? 'Fargate' : 'EC2';
  const first = (pricing: 'on-demand' | 'spot') => (cost.firstChoice === pricing ? ' (the queue tries it first)' : '');
  const usage = `${formatCount(cost.attempts)} attempt(s), ${(cost.billedSeconds / 3600).toFixed(2)} billed hours: ${cost.vcpuHours.toFixed(2)} vCPU-hours, ${cost.gbHours.toFixed(2)} GB-hours`;
  const rows: Array<[string, string, number]> = [
    [`${name} on-demand${first('on-demand')}`, usage, cost.onDemand],
    [`${name} Spot${first('spot')}`, 'the same hours', cost.spot],
    ...(cost.platform === 'fargate'
      ? [['public IPv4 addresses', 'one per running task', cost.publicIpv4] as [string, string, number]]
      : []),
  ];
  return `<h3>Compute</h3>
<table data-testid="compute"><thead><tr><th>priced as</th><th>usage</th><th class="num">cost</th></tr></thead><tbody>
${rows.map(([what, used, amount]) => `<tr><td>${esc(what)}</td><td>${esc(used)}</td><td class="num">${esc(formatUsd(amount))}</td></tr>`).join('')}
</tbody></table>
<ul class="note" data-testid="compute-assumptions">${compute.assumptions.map((line) => `<li>${esc(line)}</li>`).join('')}<li>Sources: ${compute.sources.map((url) => esc(url)).join(', ')}.</li></ul>`;
}

function renderFixedMonthly(model: ReportModel): string {
  const fixed = model.cost.fixedMonthly;
  return `<h3>Fixed monthly cost of the stack</h3>
<p data-testid="fixed-monthly">Billed whether or not runs happen: <strong>$${esc(fixed.total.toFixed(2))}</strong> a month (${esc(fixed.charges.map((charge) => `$${charge.monthly.toFixed(2)} for ${charge.what}`).join('; '))}); no NAT gateway. Deployed with VPC endpoints: +$${esc(fixed.vpcEndpoints.monthly.toFixed(2))} (${esc(fixed.vpcEndpoints.what)}). Storage (logs, S3, DynamoDB) is priced by use and not counted.</p>`;
}
