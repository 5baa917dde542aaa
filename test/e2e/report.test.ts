import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../run';
import { repoRoot, runFanout, tempDir } from './helpers';

const hostile = '</script><img src=x onerror=alert(1)>';

function chromiumPath(): string {
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || '/usr/bin/chromium';
  } catch {
    return '/usr/bin/chromium';
  }
}

/** The report path a `fanout` command printed (`report: <path>`) on stdout or stderr. */
function reportPathOf(output: string): string {
  const path = /^report: (.+)$/m.exec(output)?.[1];
  if (!path) throw new Error(`no "report: <path>" line in:\n${output}`);
  return path;
}

interface OpenedReport {
  page: Page;
  /** Console errors and uncaught page errors, CSP violations included. */
  problems: string[];
}

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), headless: true });
});

afterAll(async () => {
  await browser?.close();
});

const open = async (file: string): Promise<OpenedReport> => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, problems };
};
const count = (page: Page, status: string) => page.locator(`li[data-status="${status}"] .count`).textContent();
const barsOf = (page: Page, item: string) => page.locator(`svg.timeline rect.bar[data-item="${item}"]`).count();

// A real local run with failures, then `fanout retry`, and their reports as a person sees them
// in a browser (headless Chromium, no download: the system's chromium).
describe('fanout report', () => {
  let work: string;
  let dir: string;
  let firstReport: string;
  let runStdout: string;
  let retryStdout: string;

  beforeAll(async () => {
    work = tempDir('fanout-report-');
    dir = join(work, 'state');
    const counts = join(work, 'counts');
    mkdirSync(counts);
    // item-0 fails once then succeeds; item-1 always fails and may not run twice; item-2 always
    // fails and has 2 attempts; item-3 succeeds. No automatic round: `fanout retry` re-runs.
    const items = [
      { id: 'item-0', mode: 'flaky', dir: counts },
      { id: 'item-1', mode: 'fail', dir: counts, note: hostile, idempotent: false },
      { id: 'item-2', mode: 'fail', dir: counts },
      { id: 'item-3', mode: 'ok', dir: counts },
    ];
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'flaky',
        items,
        command: [
          'sh',
          '-c',
          'echo x >> "{dir}/$FANOUT_ITEM_ID"; case {mode} in ok) exit 0;; fail) exit 3;; flaky) test "$(wc -l < "{dir}/$FANOUT_ITEM_ID")" -gt 1;; esac',
        ],
        toleratedFailurePercentage: 100,
        retry: { rounds: 0, maxAttempts: 2 },
      }),
    );
    const run = await runFanout(['run', input, '--dir', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    runStdout = run.stdout;
    expect(run.json<RunSummary>().counts).toMatchObject({ total: 4, succeeded: 1, failed: 3 });
    // The retry writes the run's report again: keep the first one.
    firstReport = join(work, 'first.html');
    copyFileSync(reportPathOf(run.stderr), firstReport);

    const retry = await runFanout(['retry', 'flaky', '--dir', dir]);
    expect(retry.code, retry.stderr).toBe(0);
    retryStdout = retry.stdout;
  });

  it('is written by fanout run (path on stderr with --json, the summary staying the last stdout line) and by fanout retry', () => {
    expect(runStdout).not.toContain('report:');
    expect(runStdout.trim().split('\n')).toHaveLength(1);
    expect(reportPathOf(retryStdout)).toBe(join(dir, 'reports', 'flaky.html'));
    expect(retryStdout.trim().split('\n').at(-1)).toBe(`report: ${join(dir, 'reports', 'flaky.html')}`);
  });

  it("shows the first run's counts, one bar per attempt, its failures and the command that retries them", async () => {
    const { page, problems } = await open(firstReport);
    expect(await page.getByTestId('run-id').textContent()).toBe('flaky');
    expect(await count(page, 'total')).toBe('4');
    expect(await count(page, 'succeeded')).toBe('1');
    expect(await count(page, 'failed')).toBe('3');
    expect(await page.locator('svg.timeline rect.bar').count()).toBe(4);
    expect(await page.locator('table.failures tbody tr').count()).toBe(3);
    expect(await page.getByTestId('retry-command').textContent()).toBe(`npx fanout retry flaky --dir ${dir}`);
    // item-0 and item-2 are re-run; item-1 is not idempotent.
    expect(await page.getByTestId('retryable').textContent()).toBe('2');
    expect(await page.locator('tr[data-item="item-1"]').textContent()).toContain('not retried: not idempotent');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('after the retry, draws every attempt of every item, retries in the same row, and lists what is left', async () => {
    const { page, problems } = await open(join(dir, 'reports', 'flaky.html'));
    expect(await page.getByTestId('run-status').textContent()).toBe('COMPLETED_WITH_FAILURES');
    expect(await count(page, 'succeeded')).toBe('2');
    expect(await count(page, 'failed')).toBe('2');
    expect(await page.locator('tr[data-execution]').count()).toBe(2);

    // Exactly one bar per attempt: the first run's 4, the retry's 2.
    expect(await page.locator('svg.timeline rect.bar').count()).toBe(6);
    expect([
      await barsOf(page, 'item-0'),
      await barsOf(page, 'item-1'),
      await barsOf(page, 'item-2'),
      await barsOf(page, 'item-3'),
    ]).toEqual([2, 1, 2, 1]);
    expect(await page.locator('svg.timeline rect.bar.failed[data-item="item-0"][data-attempt="1"]').count()).toBe(1);
    expect(await page.locator('svg.timeline rect.bar.succeeded[data-item="item-0"][data-attempt="2"]').count()).toBe(1);
    expect(await page.locator('svg.histogram rect.bin').count()).toBeGreaterThan(0);

    const rows = page.locator('table.failures tbody tr');
    expect(await rows.count()).toBe(2);
    const item1 = page.locator('tr[data-item="item-1"] td');
    expect(await item1.allTextContents()).toEqual([
      'item-1',
      'FAILED',
      '1',
      '3',
      JSON.stringify({ mode: 'fail', dir: join(work, 'counts'), note: hostile }),
      expect.stringMatching(/^fanout-job\//),
      'not retried: not idempotent',
    ]);
    expect(await page.locator('tr[data-item="item-2"] td').nth(6).textContent()).toBe('not retried: out of attempts');
    // The hostile kwarg is text, not an element.
    expect(await page.locator('img').count()).toBe(0);
    const log = await page.locator('tr[data-item="item-2"] a').getAttribute('href');
    expect(log).toMatch(/^file:\/\//);
    expect(existsSync(fileURLToPath(log as string))).toBe(true);

    expect(await page.getByTestId('retry-command').textContent()).toBe(`npx fanout retry flaky --dir ${dir}`);
    expect(await page.getByTestId('retryable').textContent()).toBe('0');
    expect(await page.locator('#cost').textContent()).toContain('2 writes per item per round');
    expect(problems).toEqual([]);
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results', 'report.png'), fullPage: true });
    await page.close();
  });

  it("is written again by fanout report, also for a retry execution's name, and refuses an unknown run", async () => {
    const out = join(work, 'again.html');
    const again = await runFanout(['report', 'flaky-retry-1', '--dir', dir, '--out', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(`report: ${out}`);
    const { page, problems } = await open(out);
    expect(await page.getByTestId('run-id').textContent()).toBe('flaky');
    expect(await page.locator('svg.timeline rect.bar').count()).toBe(6);
    expect(await page.getByTestId('header-counts').textContent()).toBe('4 items · 2 succeeded · 2 failed');
    expect(problems).toEqual([]);
    await page.close();

    const unknown = await runFanout(['report', 'never-ran', '--dir', dir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no run "never-ran" in');
  });
});

// An array-path run (`fanout run --path array`) with a failed child: its report as a person sees it.
describe('fanout report of an array run', () => {
  let dir: string;
  let report: string;

  beforeAll(async () => {
    const work = tempDir('fanout-report-array-');
    dir = join(work, 'state');
    const input = join(work, 'input.json');
    writeFileSync(
      input,
      JSON.stringify({
        runId: 'arr',
        items: [
          { id: 'a', mode: 'ok' },
          { id: 'b', mode: 'fail' },
          { id: 'c', mode: 'ok' },
        ],
        command: ['sh', '-c', 'test {mode} = ok || exit 4'],
      }),
    );
    const run = await runFanout(['run', input, '--path', 'array', '--dir', dir, '--json']);
    // A failed child fails the array job, and the run.
    expect(run.code, run.stderr).toBe(1);
    expect(run.json<RunSummary>()).toMatchObject({
      path: 'array',
      status: 'FAILED',
      counts: { succeeded: 2, failed: 1 },
    });
    report = reportPathOf(run.stderr);
  });

  it('draws every child, the failed one timed by Batch, and lists it with its log and the retry command', async () => {
    const { page, problems } = await open(report);
    expect(await page.getByTestId('run-status').textContent()).toBe('FAILED');
    expect(await page.locator('dt:text-is("path") + dd').textContent()).toBe('array');
    expect(await page.locator('tr[data-execution]').count()).toBe(1);
    expect([await barsOf(page, 'a'), await barsOf(page, 'b'), await barsOf(page, 'c')]).toEqual([1, 1, 1]);
    expect(await page.locator('svg.timeline rect.bar.failed[data-item="b"]').count()).toBe(1);

    const cells = await page.locator('tr[data-item="b"] td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['b', 'FAILED', '1', '4']);
    const log = await page.locator('tr[data-item="b"] a').getAttribute('href');
    expect(existsSync(fileURLToPath(log as string))).toBe(true);

    expect(await page.getByTestId('retry-command').textContent()).toBe(`npx fanout retry arr --dir ${dir}`);
    expect(await page.getByTestId('retryable').textContent()).toBe('1');
    expect(await page.locator('#cost').textContent()).toContain('Prepare, Collect and Notify per execution');
    expect(problems).toEqual([]);
    await page.close();
  });
});
