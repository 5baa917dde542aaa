/**
 * How long a browser takes to show a large run report, against an empty page in the same
 * browser (the baseline: what opening any local file costs).
 *
 *   npx tsx bench/report.ts [--items 10000] [--repeat 5]
 *
 * Builds the report of a synthetic run (N items, a first round and a retry execution re-running
 * the 10 % that failed), and one at the bar limit (1,000 items, 2 rounds for every item: 2,000
 * bars), renders them, opens each in headless Chromium and measures, as the median of
 * `--repeat` loads, the time to the load event and to the first paint. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import {
  buildReportModel,
  type ExecutionRecord,
  type JobTiming,
  type ReportRow,
  type ReportSources,
  renderReport,
} from '../report';

/** A small deterministic generator (mulberry32), so every run of the benchmark draws the same report. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A run of `items` items over 10 minutes; a share `failing` fails its first attempt, and a retry
 * execution 5 minutes later re-runs them (one in ten fails again). With `failing: 1` every item
 * has two attempts.
 */
export function syntheticRun(items: number, failing: number): ReportSources {
  const random = seeded(7);
  const t0 = Date.parse('2026-11-22T10:00:00.000Z');
  const rows: ReportRow[] = [];
  const jobs = new Map<string, JobTiming>();
  for (let index = 0; index < items; index += 1) {
    const itemId = String(index).padStart(5, '0');
    const startedAt = t0 + 5_000 + (index / items) * 540_000 + random() * 5_000;
    const stoppedAt = startedAt + 20_000 + random() * 40_000;
    const kwargs = JSON.stringify({ seed: index, alpha: (random() * 10).toFixed(3) });
    if (random() >= failing) {
      rows.push({
        itemId,
        status: 'SUCCEEDED',
        idempotent: true,
        attempt: 1,
        kwargs,
        jobId: `job-${itemId}-1`,
        startedAt,
        stoppedAt,
        exitCode: 0,
      });
      continue;
    }
    jobs.set(`job-${itemId}-1`, { status: 'FAILED', startedAt, stoppedAt, exitCode: 1 });
    const retryStart = t0 + 905_000 + random() * 60_000;
    const retryStop = retryStart + 20_000 + random() * 40_000;
    const again = random() < 0.1;
    rows.push({
      itemId,
      status: again ? 'FAILED' : 'SUCCEEDED',
      idempotent: true,
      attempt: 2,
      kwargs,
      jobId: `job-${itemId}-2`,
      exitCode: again ? 1 : 0,
      logStream: `fanout-job/default/${itemId}-2`,
      attempts: [
        {
          attempt: 1,
          jobId: `job-${itemId}-1`,
          failureClass: 'APP_ERROR',
          statusReason: 'Essential container in task exited',
        },
      ],
      ...(again
        ? {
            failureClass: 'APP_ERROR' as const,
            statusReason: 'Essential container in task exited',
            error: 'States.TaskFailed',
          }
        : { startedAt: retryStart, stoppedAt: retryStop }),
    });
    if (again)
      jobs.set(`job-${itemId}-2`, { status: 'FAILED', startedAt: retryStart, stoppedAt: retryStop, exitCode: 1 });
  }
  const record = (name: string, from: number, to: number, extra: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
    name,
    runId: 'bench',
    path: 'map',
    status: 'SUCCEEDED',
    error: null,
    cause: null,
    stateTransitions: items * 3,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:fanout-map:${name}`,
    startedAt: new Date(t0 + from).toISOString(),
    stoppedAt: new Date(t0 + to).toISOString(),
    durationSeconds: (to - from) / 1000,
    ...extra,
  });
  return {
    runId: 'bench',
    dir: '.fanout',
    header: {
      status: 'COMPLETED_WITH_FAILURES',
      itemCount: items,
      round: 2,
      retry: { rounds: 0, maxAttempts: 3 },
      jobQueue: 'fanout-high',
      jobDefinition: 'fanout-job:1',
    },
    records: [
      record('bench', 0, 610_000),
      record('bench-retry-1', 900_000, 1_030_000, {
        retryOf: 'bench',
        stateTransitions: Math.round(items * failing * 3),
      }),
    ],
    rows,
    jobs,
    source: { kind: 'replicas', description: `replicas: ${items} copies, index in "seed"` },
    logUrl: (stream) => pathToFileURL(join('/state/batch/logs', `${stream}.log`)).href,
    now: new Date(t0 + 1_100_000),
  };
}

interface PageTiming {
  /** Navigation start to the end of the load event, ms. */
  loadMs: number;
  /** Navigation start to the first paint, ms. */
  firstPaintMs: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function timePage(browser: Browser, file: string, repeat: number): Promise<PageTiming> {
  const loads: number[] = [];
  const paints: number[] = [];
  for (let n = 0; n < repeat; n += 1) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    // Evaluated in the page: the browser's own navigation and paint timings.
    const timing = JSON.parse(
      (await page.evaluate(`new Promise((resolve) => {
        const done = (paint) => resolve(JSON.stringify({ loadMs: performance.getEntriesByType('navigation')[0].loadEventEnd, firstPaintMs: paint ? paint.startTime : -1 }));
        new PerformanceObserver((list) => {
          const paint = list.getEntries().find((entry) => entry.name === 'first-paint');
          if (paint) done(paint);
        }).observe({ type: 'paint', buffered: true });
        setTimeout(() => done(undefined), 10000);
      })`)) as string,
    ) as PageTiming;
    loads.push(timing.loadMs);
    paints.push(timing.firstPaintMs);
    await page.close();
  }
  return { loadMs: Math.round(median(loads)), firstPaintMs: Math.round(median(paints)) };
}

function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || '/usr/bin/chromium';
  } catch {
    return '/usr/bin/chromium';
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { items: { type: 'string', default: '10000' }, repeat: { type: 'string', default: '5' } },
  });
  const items = Number(values.items);
  const repeat = Number(values.repeat);
  const work = mkdtempSync(join(tmpdir(), 'fanout-bench-report-'));
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
  try {
    const emptyFile = join(work, 'empty.html');
    writeFileSync(
      emptyFile,
      '<!DOCTYPE html><html><head><meta charset="utf-8"><title>empty</title></head><body><p>empty</p></body></html>\n',
    );

    const pages: Record<string, { file: string; attempts: number; buildMs: number; renderMs: number; bytes: number }> =
      {};
    for (const [name, sources, barLimit] of [
      ['large', syntheticRun(items, 0.1), undefined],
      ['barLimit', syntheticRun(1_000, 1), undefined],
      // What the aggregation saves: the large run drawn one bar per attempt.
      ['largeAsBars', syntheticRun(items, 0.1), Number.POSITIVE_INFINITY],
    ] as const) {
      const built = performance.now();
      const model = buildReportModel(sources);
      const rendered = performance.now();
      const html = renderReport(model, barLimit === undefined ? {} : { barLimit });
      const done = performance.now();
      const file = join(work, `${name}.html`);
      writeFileSync(file, html);
      pages[name] = {
        file,
        attempts: model.attempts.length,
        buildMs: Math.round(rendered - built),
        renderMs: Math.round(done - rendered),
        bytes: statSync(file).size,
      };
    }

    // One load first, so that starting the browser's file loading is not charged to the first page measured.
    await timePage(browser, emptyFile, 1);
    const baseline = await timePage(browser, emptyFile, repeat);
    const result: Record<string, unknown> = { items, repeat, baseline };
    for (const [name, page] of Object.entries(pages)) {
      const timing = await timePage(browser, page.file, repeat);
      result[name] = {
        attempts: page.attempts,
        buildMs: page.buildMs,
        renderMs: page.renderMs,
        kilobytes: Math.round(page.bytes / 1024),
        ...timing,
        loadVsEmpty: Number((timing.loadMs / Math.max(baseline.loadMs, 1)).toFixed(1)),
      };
    }
    console.log(JSON.stringify(result));
  } finally {
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}
