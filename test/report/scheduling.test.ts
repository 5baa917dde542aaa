import { describe, expect, it } from 'vitest';
import { buildReportModel, renderReport } from '../../report';
import { at, job, row, sources } from './factories';

const header = {
  runId: 'sweep',
  jobQueue: 'fanout-teams',
  scheduling: { shareIdentifier: 'teamB', schedulingPriority: 5 },
};

describe('the scheduling section', () => {
  it("gives a shared run's queue, share, priority and when its first, median and last item started", () => {
    const rows = [
      row('a', { startedAt: at(2), stoppedAt: at(3) }),
      row('b', {
        attempt: 2,
        startedAt: at(30),
        stoppedAt: at(31),
        // The first attempt started at 8 s: an item counts from its first attempt.
        attempts: [{ attempt: 1, jobId: 'b1', failureClass: 'SPOT_INTERRUPTED' }],
      }),
      row('c', { startedAt: at(20), stoppedAt: at(21) }),
    ];
    const model = buildReportModel(sources({ header, rows, jobs: new Map([['b1', job(8, 9, { exitCode: 137 })]]) }));
    expect(model.scheduling).toEqual({
      jobQueue: 'fanout-teams',
      shareIdentifier: 'teamB',
      schedulingPriority: 5,
      startedJobs: 3,
      firstStartSeconds: 2,
      medianStartSeconds: 8,
      lastStartSeconds: 20,
    });
    const html = renderReport(model);
    expect(html).toContain('<section id="scheduling"><h2>Scheduling</h2>');
    expect(html).toContain(
      '<td><code>fanout-teams</code></td><td><code>teamB</code></td><td class="num">5</td><td class="num">3</td><td class="num">+2.0 s</td><td class="num">+8.0 s</td><td class="num">+20 s</td>',
    );
  });

  it('is left out for a run that named neither a share nor a priority', () => {
    const model = buildReportModel(
      sources({
        header: { runId: 'sweep', jobQueue: 'fanout-high', scheduling: {} },
        rows: [row('a')],
      }),
    );
    expect(model.scheduling).toBeUndefined();
    expect(renderReport(model)).not.toContain('id="scheduling"');
  });

  it('shows a share without a priority, and unknown times, as a dash', () => {
    const model = buildReportModel(
      sources({
        header: { runId: 'sweep', jobQueue: 'fanout-teams', scheduling: { shareIdentifier: 'teamA' } },
        records: [],
        rows: [row('a')],
      }),
    );
    expect(model.scheduling).toMatchObject({
      jobQueue: 'fanout-teams',
      shareIdentifier: 'teamA',
      firstStartSeconds: null,
    });
    expect(model.scheduling).not.toHaveProperty('schedulingPriority');
    expect(renderReport(model)).toContain('<td><code>teamA</code></td><td class="num">-</td>');
  });
});
