import { describe, expect, it } from 'vitest';
import { buildReportModel, FAILURE_ROWS_PER_GROUP, renderReport, TIMELINE_BAR_LIMIT } from '../../report';
import { toleranceText } from '../../report/render';
import { at, failedRow, job, record, row, sources, without } from './factories';

const count = (html: string, pattern: RegExp) => html.match(pattern)?.length ?? 0;
const hostile = '</script><img src=x onerror=alert(1)>';

// The header keeps the thresholds the Map got: one the user left out is 100% or every item.
describe('toleranceText', () => {
  const input = (percentage: number, count: number) => ({
    itemCount: 20,
    toleratedFailurePercentage: percentage,
    toleratedFailureCount: count,
  });
  it('quotes only the thresholds the user set', () => {
    expect(toleranceText(input(0, 0))).toBe('no failed item tolerated');
    expect(toleranceText(input(10, 20))).toBe('tolerated 10%');
    expect(toleranceText(input(100, 3))).toBe('tolerated 3 items');
    expect(toleranceText(input(10, 3))).toBe('tolerated 10% or 3 items');
    expect(toleranceText(input(100, 20))).toBe('every failure tolerated');
    expect(toleranceText({ itemCount: 20 })).toBeUndefined();
  });
});

describe('renderReport', () => {
  const model = buildReportModel(
    sources({
      header: {
        status: 'COMPLETED_WITH_FAILURES',
        itemCount: 3,
        jobQueue: 'fanout-high',
        jobDefinition: 'fanout-job:1',
        retry: { rounds: 0, maxAttempts: 3 },
      },
      source: { kind: 'items', description: 'items: an inline list of 3' },
      records: [
        record('sweep', { stateTransitions: 40 }),
        record('sweep-retry-1', {
          retryOf: 'sweep',
          startedAt: new Date(at(100)).toISOString(),
          stoppedAt: new Date(at(110)).toISOString(),
        }),
      ],
      rows: [
        row('ok'),
        row('again', {
          attempt: 2,
          jobId: 'job-again-2',
          startedAt: at(101),
          stoppedAt: at(104),
          attempts: [{ attempt: 1, jobId: 'job-again', failureClass: 'APP_ERROR' }],
        }),
        failedRow('bad', {
          idempotent: false,
          kwargs: JSON.stringify({ note: hostile }),
          statusReason: `<b>${hostile}</b>`,
        }),
      ],
      jobs: new Map([
        ['job-again', job(1, 2)],
        ['job-bad', job(1, 5)],
      ]),
      logUrl: (stream) => `file:///state/batch/logs/${stream}.log?"q"`,
    }),
  );
  const html = renderReport(model);

  it('is one page that loads nothing and runs no script', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|<object|\ssrc=["']|url\(/i);
  });

  it('escapes every value from the run: kwargs, reasons, links', () => {
    expect(html).not.toContain(hostile);
    expect(html).toContain('&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;b&gt;');
    expect(html).toContain('href="file:///state/batch/logs/fanout-job/default/bad.log?&quot;q&quot;"');
  });

  it('shows the status, the counts and the input', () => {
    expect(html).toContain('data-testid="run-status">COMPLETED_WITH_FAILURES<');
    expect(html).toContain(
      '<li data-status="succeeded"><span class="swatch" style="background:#2f9e57"></span><span class="count">2</span>succeeded</li>',
    );
    expect(html).toContain(
      '<li data-status="failed"><span class="swatch" style="background:#d64545"></span><span class="count">1</span>failed</li>',
    );
    expect(html).toContain('items: an inline list of 3');
    expect(html).toContain('fanout-job:1');
    expect(html).toContain('data-execution="sweep-retry-1"');
  });

  it("draws one bar per attempt and links an item's retry to its earlier attempt", () => {
    expect(count(html, /<rect class="bar /g)).toBe(model.attempts.length);
    expect(model.attempts).toHaveLength(4);
    expect(count(html, /<rect class="bar failed" data-item="again" data-attempt="1"/g)).toBe(1);
    expect(count(html, /<rect class="bar succeeded" data-item="again" data-attempt="2"/g)).toBe(1);
    expect(count(html, /<line class="link"/g)).toBe(1);
    expect(html).toContain('<svg class="histogram"');
  });

  it('lists failures with exit code, kwargs, log and why they are not retried, and the retry command', () => {
    expect(html).toMatch(
      /<tr data-item="bad"><td>bad<\/td><td>FAILED<\/td><td class="num">1<\/td>\s*<td class="num">3<\/td>/,
    );
    expect(html).toContain('not retried: not idempotent');
    expect(html).toContain('data-testid="retry-command">fanout retry sweep --dir .fanout</pre>');
    expect(html).toContain('1 not idempotent');
  });

  it('shows the estimated cost and what it is based on', () => {
    expect(html).toContain('Estimated AWS cost');
    expect(html).toContain('2 writes per item per round');
    expect(html).toMatch(/data-testid="cost-total">\$[0-9.e-]+</);
  });

  it("shows the jobs' compute with its assumptions, and the stack's fixed monthly cost", () => {
    const sized = renderReport(
      buildReportModel(
        sources({
          computeConfig: {
            computeEnvironments: [{ name: 'od', type: 'FARGATE' }],
            jobQueues: [{ name: 'fanout-high', computeEnvironments: ['od'] }],
            jobDefinitions: [{ name: 'fanout-job', vcpus: 1, memoryMiB: 2048 }],
          },
          rows: [row('a', { startedAt: at(0), stoppedAt: at(3600) })],
        }),
      ),
    );
    // One hour of 1 vCPU and 2 GB: $0.04048 + 2 × $0.004445 (aws.amazon.com/fargate/pricing/)
    expect(sized).toMatch(/data-testid="compute-total">\$0\.0494</);
    expect(sized).toMatch(
      /<td>Fargate on-demand \(the queue tries it first\)<\/td><td>1 attempt\(s\), 1\.00 billed hours/,
    );
    expect(sized).toContain('durations measured');
    expect(sized).toContain('us-east-1, as of 2026-12-07');
    expect(sized).toContain('Spot: 70% below on-demand assumed');
    expect(sized).toMatch(/data-testid="fixed-monthly">Billed whether or not runs happen: <strong>\$1\.20<\/strong>/);
    expect(sized).toContain('+$43.80');
    expect(sized).toContain('orchestration checked 2026-11-22, compute as of 2026-12-07.</footer>');
  });

  it('says compute was not estimated when the job size is not known', () => {
    expect(html).toContain('Not estimated: the job size was not known.');
    expect(html).not.toContain('data-testid="compute-total"');
  });

  it('says how many failed items a group leaves out', () => {
    const rows = Array.from({ length: FAILURE_ROWS_PER_GROUP + 3 }, (_, n) => failedRow(`item-${n}`));
    expect(renderReport(buildReportModel(sources({ rows })))).toContain('and 3 more items');
  });

  it('aggregates the timeline by time above the bar limit', () => {
    const rows = Array.from({ length: TIMELINE_BAR_LIMIT + 1 }, (_, n) =>
      row(`item-${n}`, { startedAt: at(n % 50), stoppedAt: at((n % 50) + 5) }),
    );
    const big = renderReport(buildReportModel(sources({ rows })));
    expect(big).not.toContain('<rect class="bar ');
    expect(big).toContain('<svg class="timeline density"');
    expect(big).toContain(`more than one bar each can show (the limit is 2,000)`);
    expect(count(big, /<rect class="column succeeded"/g)).toBeGreaterThan(10);
  });

  describe('with an aggregation job', () => {
    const aggregateOutcome = {
      status: 'FAILED' as const,
      jobName: 'sweep-aggregate',
      jobId: 'job-agg',
      exitCode: 4,
      logStream: 'fanout-job/default/agg',
      error: 'States.TaskFailed',
      cause: JSON.stringify({ StatusReason: 'Essential container in task exited' }),
    };
    const withAggregate = (rows: ReturnType<typeof row>[], jobs = new Map([['job-agg', job(5, 9, { exitCode: 4 })]])) =>
      renderReport(
        buildReportModel(
          sources({ header: { aggregateOutcome }, rows, jobs, logUrl: (stream) => `https://logs.example/${stream}` }),
        ),
      );

    it('shows it in the header, in a lane after the items, and a failed one in the failures with its log', () => {
      const page = withAggregate([row('a'), row('b')]);
      expect(page).toContain(
        '<dt>aggregation job</dt><dd><span data-testid="aggregate">sweep-aggregate <span class="status FAILED">FAILED</span> (exit 4) · <a href="https://logs.example/fanout-job/default/agg">log</a></span></dd>',
      );
      // Two item lanes of 18 px under the 34 px axis, then a 6 px gap: the aggregation job's lane starts at 76.
      expect(page).toMatch(/<rect class="bar aggregate failed" data-aggregate="sweep-aggregate" x="[0-9.]+" y="76" /);
      expect(count(page, /<rect class="bar /g)).toBe(3);
      expect(page).toContain('The aggregation job has the last row.');
      expect(page).toContain('<h3>Aggregation job: Essential container in task exited</h3>');
      expect(page).toMatch(
        /<tr data-aggregate="sweep-aggregate"><td>sweep-aggregate<\/td><td><code>job-agg<\/code><\/td>\s*<td class="num">4<\/td><td>States.TaskFailed<\/td><td><a href="https:\/\/logs.example\/fanout-job\/default\/agg">fanout-job\/default\/agg<\/a><\/td><\/tr>/,
      );
      expect(page).toContain('No item failed.');
      expect(page).toContain('Its execution then runs the aggregation job again');
    });

    it('draws its lane under the aggregated timeline too, and says when Batch no longer knows its times', () => {
      const rows = Array.from({ length: TIMELINE_BAR_LIMIT + 1 }, (_, n) =>
        row(`item-${n}`, { startedAt: at(n % 50), stoppedAt: at((n % 50) + 5) }),
      );
      const big = withAggregate(rows, new Map([['job-agg', job(60, 70, { exitCode: 4 })]]));
      expect(big).toContain('<svg class="timeline density"');
      expect(big).toMatch(/<rect class="bar aggregate failed" data-aggregate="sweep-aggregate" x="[0-9.]+" y="280" /);

      const unknown = withAggregate([row('a')], new Map());
      expect(unknown).not.toContain('data-aggregate="sweep-aggregate" x=');
      expect(unknown).toContain("The aggregation job's times are not known to Batch: it is not drawn.");
    });

    it('lists no aggregation failure when the job succeeded', () => {
      const page = renderReport(
        buildReportModel(
          sources({
            header: {
              aggregateOutcome: { status: 'SUCCEEDED', jobName: 'sweep-aggregate', jobId: 'job-agg', exitCode: 0 },
            },
            rows: [row('a')],
            jobs: new Map([['job-agg', job(5, 6, { status: 'SUCCEEDED' })]]),
          }),
        ),
      );
      expect(page).toContain('sweep-aggregate <span class="status SUCCEEDED">SUCCEEDED</span> (exit 0)');
      expect(page).toMatch(/<rect class="bar aggregate succeeded"/);
      expect(page).not.toContain('data-failure-class="aggregate"');
    });
  });

  it('says so when no attempt ran and nothing failed', () => {
    const empty = renderReport(
      buildReportModel(
        sources({
          rows: [without(row('p', { status: 'PENDING' }), 'startedAt', 'stoppedAt', 'jobId')],
        }),
      ),
    );
    expect(empty).toContain('No job attempt started.');
    expect(empty).toContain('No item failed.');
    expect(empty).toContain('No attempt has finished.');
  });
});
