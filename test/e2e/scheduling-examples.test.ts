import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTogether } from '../../examples/run-together';
import { repoRoot, tempDir } from './helpers';

// The two scheduling examples, run as their READMEs say, on one local cloud each
// (docs: batch/latest/userguide/fair-share-scheduling.html; local model: docs/local-batch.md, "Fair share").
const example = (...parts: string[]) => join(repoRoot, 'examples', ...parts);

describe('examples/fair-share', () => {
  it('starts about three of team A jobs (weight 1) for each of team B (weight 3) while both wait', async () => {
    // The array path queues each team's 24 jobs at once, and the shared compute environment is
    // held until both teams have queued theirs: both wait from the start, with no usage yet,
    // however slowly a loaded machine prepares one run or the other.
    const [teamA, teamB] = await runTogether({
      dir: tempDir(),
      inputs: [example('fair-share', 'team-a.json'), example('fair-share', 'team-b.json')],
      path: 'array',
      queueTogether: true,
      log: () => undefined,
    });
    expect(teamA?.exitCode).toBe(0);
    expect(teamB?.exitCode).toBe(0);
    expect(teamA?.starts).toHaveLength(24);
    expect(teamB?.starts).toHaveLength(24);
    expect(existsSync(teamA?.report as string)).toBe(true);
    // While both have jobs waiting: from the later first start to the earlier last one.
    const a = teamA?.starts ?? [];
    const b = teamB?.starts ?? [];
    const from = Math.max(a[0] as number, b[0] as number);
    const to = Math.min(a.at(-1) as number, b.at(-1) as number);
    const inWindow = (starts: number[] | undefined) => (starts ?? []).filter((at) => at >= from && at <= to).length;
    expect(inWindow(teamA?.starts)).toBeGreaterThanOrEqual(2 * inWindow(teamB?.starts));
    expect(inWindow(teamB?.starts)).toBeGreaterThan(0);
  });
});

describe('examples/priority', () => {
  it("starts the high-priority run's jobs before the low-priority jobs queued before them", async () => {
    const [low, high] = await runTogether({
      dir: tempDir(),
      inputs: [example('priority', 'low.json'), example('priority', 'high.json')],
      delaySeconds: 2,
      log: () => undefined,
    });
    expect(low?.exitCode).toBe(0);
    expect(high?.exitCode).toBe(0);
    expect(high?.starts).toHaveLength(8);
    expect(existsSync(high?.report as string)).toBe(true);
    // Low jobs still waiting when the high run arrived start after every high job.
    const arrived = high?.starts[0] as number;
    const lowAfter = (low?.starts ?? []).filter((at) => at > arrived);
    expect(lowAfter.length).toBeGreaterThan(0);
    expect(Math.min(...lowAfter)).toBeGreaterThanOrEqual(Math.max(...(high?.starts ?? [])));
  });
});
