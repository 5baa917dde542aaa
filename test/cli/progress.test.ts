import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../cli/io';
import { formatProgress, ProgressReporter } from '../../cli/progress';

function recordingIo(isTTY: boolean) {
  const lines: string[] = [];
  const statuses: string[] = [];
  const io: CliIo = { out: (t) => lines.push(t), err: () => undefined, status: (t) => statuses.push(t), isTTY };
  return { io, lines, statuses };
}

const counts = { total: 100, succeeded: 30, failed: 10, running: 20, queued: 40 };

describe('formatProgress', () => {
  it('shows counts by status, the completion rate and the time left at that rate', () => {
    expect(formatProgress(counts, 8)).toBe(
      '40/100 done · 30 succeeded · 10 failed · 20 running · 40 queued · 5.0/s · ETA 12s',
    );
  });

  it('names the round it counts once a run has more than one', () => {
    expect(formatProgress({ total: 4, succeeded: 1, failed: 1, running: 2, queued: 0 }, 2, 'round 2')).toBe(
      'round 2: 2/4 done · 1 succeeded · 1 failed · 2 running · 0 queued · 1.0/s · ETA 2s',
    );
  });

  it('shows an unknown ETA before anything finished', () => {
    expect(formatProgress({ ...counts, succeeded: 0, failed: 0 }, 3)).toContain('ETA ?');
  });
});

describe('ProgressReporter', () => {
  it('redraws one line in place on a terminal', () => {
    const { io, lines, statuses } = recordingIo(true);
    const reporter = new ProgressReporter(io);
    reporter.update(counts, 1);
    reporter.update({ ...counts, succeeded: 31 }, 2);
    reporter.finish();
    expect(lines).toEqual([]);
    expect(statuses).toHaveLength(3);
    expect(statuses[2]).toMatch(/41\/100 done.*\n$/);
  });

  it('prints plain lines no more often than its interval when stdout is not a terminal', () => {
    const { io, lines } = recordingIo(false);
    let now = 0;
    const reporter = new ProgressReporter(io, () => now, 5_000);
    reporter.update(counts, 1);
    now = 1_000;
    reporter.update({ ...counts, succeeded: 31 }, 2);
    now = 6_000;
    reporter.update({ ...counts, succeeded: 32 }, 3);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('42/100 done');
  });
});
