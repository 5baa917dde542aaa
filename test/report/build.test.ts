import { describe, expect, it } from 'vitest';
import { estimateCost } from '../../cli/pricing';
import { buildReportModel, FAILURE_ROWS_PER_GROUP } from '../../report';
import { at, failedRow, iso, job, record, row, sources } from './factories';

describe('buildReportModel', () => {
  it('counts the items by status and draws one attempt per job, retries in the same lane', () => {
    const model = buildReportModel(
      sources({
        rows: [
          row('a'),
          row('b', { attempt: 2, jobId: 'job-b2', startedAt: at(20), stoppedAt: at(22), attempts: [{ attempt: 1, jobId: 'job-b1', failureClass: 'APP_ERROR' }] }),
          { ...row('c'), status: 'PENDING', jobId: undefined, startedAt: undefined, stoppedAt: undefined },
        ],
        jobs: new Map([['job-b1', job(1, 4, { exitCode: 2 })]]),
      }),
    );
    expect(model.counts).toEqual({ total: 3, pending: 1, running: 0, succeeded: 2, failed: 0, retrying: 0, abandoned: 0 });
    expect(model.lanes).toEqual(['a', 'b']);
    expect(model.attempts).toEqual([
      { lane: 0, attempt: 1, startedAt: at(1), stoppedAt: at(3), outcome: 'succeeded', exitCode: 0 },
      { lane: 1, attempt: 1, startedAt: at(1), stoppedAt: at(4), outcome: 'failed', failureClass: 'APP_ERROR', exitCode: 2 },
      { lane: 1, attempt: 2, startedAt: at(20), stoppedAt: at(22), outcome: 'succeeded', exitCode: 0 },
    ]);
    expect(model.recoveredItems).toBe(1);
    expect(model.undrawnAttempts).toBe(0);
  });

  it("does not draw an abandoned row's last attempt twice, nor a claimed attempt that has not run", () => {
    const model = buildReportModel(
      sources({
        rows: [
          failedRow('gone', { status: 'ABANDONED', attempt: 2, jobId: 'job-g2', attempts: [{ attempt: 1, jobId: 'job-g1' }, { attempt: 2, jobId: 'job-g2' }] }),
          failedRow('next', { status: 'RETRYING', attempt: 2, jobId: 'job-n1', attempts: [{ attempt: 1, jobId: 'job-n1' }] }),
        ],
        jobs: new Map([
          ['job-g1', job(1, 2)],
          ['job-g2', job(30, 31)],
          ['job-n1', job(1, 5)],
        ]),
      }),
    );
    expect(model.attempts.map((attempt) => [model.lanes[attempt.lane], attempt.attempt])).toEqual([
      ['gone', 1],
      ['gone', 2],
      ['next', 1],
    ]);
  });

  it('counts attempts without a job or start time as not drawn, and tells aborted and running attempts apart', () => {
    const model = buildReportModel(
      sources({
        rows: [
          failedRow('submit', { jobId: undefined, failureClass: 'SUBMIT_ERROR', error: 'Batch.ClientException', statusReason: undefined }),
          failedRow('stopped', { failureClass: 'ABORTED' }),
          { ...row('busy'), status: 'RUNNING', startedAt: undefined, stoppedAt: undefined },
          failedRow('unknown-job'),
        ],
        jobs: new Map([
          ['job-stopped', job(2, 6)],
          ['job-busy', job(5, undefined)],
        ]),
      }),
    );
    expect(model.undrawnAttempts).toBe(2);
    expect(model.attempts.map((attempt) => [model.lanes[attempt.lane], attempt.outcome, attempt.stoppedAt])).toEqual([
      ['stopped', 'aborted', at(6)],
      ['busy', 'running', null],
    ]);
  });

  it('groups final failures by class and reason, largest first, saying which ones fanout retry re-runs', () => {
    const model = buildReportModel(
      sources({
        header: { retry: { rounds: 1, maxAttempts: 2 } },
        rows: [
          failedRow('f1'),
          failedRow('f2', { idempotent: false }),
          failedRow('f3', { attempt: 2 }),
          failedRow('f4', { status: 'ABANDONED', attempt: 2, failureClass: 'TIMEOUT', statusReason: 'Job attempt duration exceeded timeout' }),
          failedRow('f5', { jobId: undefined, failureClass: 'SUBMIT_ERROR', statusReason: undefined, error: 'Batch.ClientException', idempotent: false }),
        ],
        logUrl: (stream) => `file:///logs/${stream}.log`,
      }),
    );
    expect(model.failures.total).toBe(5);
    expect(model.failures.groups.map((group) => [group.failureClass, group.reason, group.count])).toEqual([
      ['APP_ERROR', 'Essential container in task exited', 3],
      ['SUBMIT_ERROR', 'Batch.ClientException', 1],
      ['TIMEOUT', 'Job attempt duration exceeded timeout', 1],
    ]);
    const verdicts = Object.fromEntries(model.failures.groups.flatMap((group) => group.items.map((item) => [item.itemId, item.retry])));
    expect(verdicts).toEqual({ f1: 'retryable', f2: 'not-idempotent', f3: 'out-of-attempts', f4: 'abandoned', f5: 'retryable' });
    expect(model.retry).toEqual({ command: 'fanout retry sweep --dir .fanout', retryable: 2, notIdempotent: 1, outOfAttempts: 1, abandoned: 1 });
    expect(model.failures.groups[0]?.items[0]).toEqual({
      itemId: 'f1',
      status: 'FAILED',
      attempt: 1,
      exitCode: 3,
      kwargs: '{"id":"f1"}',
      error: 'States.TaskFailed',
      logStream: 'fanout-job/default/f1',
      logUrl: 'file:///logs/fanout-job/default/f1.log',
      retry: 'retryable',
    });
  });

  it('lists at most FAILURE_ROWS_PER_GROUP items of a group and still counts them all', () => {
    const rows = Array.from({ length: FAILURE_ROWS_PER_GROUP + 5 }, (_, n) => failedRow(`item-${String(n).padStart(4, '0')}`));
    const group = buildReportModel(sources({ rows })).failures.groups[0];
    expect(group?.count).toBe(FAILURE_ROWS_PER_GROUP + 5);
    expect(group?.items).toHaveLength(FAILURE_ROWS_PER_GROUP);
  });

  it('quotes a directory the shell would split in the retry command', () => {
    expect(buildReportModel(sources({ dir: "my runs/it's here" })).retry.command).toBe("fanout retry sweep --dir 'my runs/it'\\''s here'");
  });

  it('orders the executions, sums their transitions and takes the ledger status unless a stopped execution left it RUNNING', () => {
    const records = [
      record('sweep-retry-1', { retryOf: 'sweep', startedAt: iso(100), stoppedAt: iso(110), durationSeconds: 10, stateTransitions: 7, retriedItemCount: 2 }),
      record('sweep', { stateTransitions: 30 }),
    ];
    const model = buildReportModel(sources({ records, header: { status: 'COMPLETED_WITH_FAILURES', path: 'map' } }));
    expect(model.executions.map((execution) => [execution.name, execution.kind])).toEqual([
      ['sweep', 'run'],
      ['sweep-retry-1', 'retry'],
    ]);
    expect(model.stateTransitions).toBe(37);
    expect(model.status).toBe('COMPLETED_WITH_FAILURES');
    expect(model.timing).toEqual({ startedAt: iso(0), stoppedAt: iso(110), executingSeconds: 20 });

    const stopped = buildReportModel(sources({ records: [record('sweep', { status: 'ABORTED' })], header: { status: 'RUNNING' } }));
    expect(stopped.status).toBe('ABORTED');
  });

  it('names a resume execution and keeps the path a run record gives (array runs included)', () => {
    const model = buildReportModel(sources({ records: [record('sweep', { executionArn: 'arn:aws:states:us-east-1:1:execution:fanout-array:sweep-resume-abc', path: 'array' as 'map' })] }));
    expect(model.executions[0]?.kind).toBe('resume');
    expect(model.path).toBe('array');
  });

  it('estimates the cost from the transitions, about 2 ledger writes per item per round, and Lambda calls per execution', () => {
    const model = buildReportModel(
      sources({
        header: { round: 2 },
        records: [record('sweep', { stateTransitions: 100 }), record('sweep-retry-1', { retryOf: 'sweep', startedAt: iso(50), stateTransitions: 20 })],
        rows: [row('a'), row('b', { attempt: 2, attempts: [{ attempt: 1 }] })],
      }),
    );
    // 3 item-rounds × 2, plus Prepare and Summarize per execution (4) and one later round (1).
    expect(model.cost.usage).toEqual({ stateTransitions: 120, ledgerWriteUnits: 11, lambdaInvocations: 6, s3PutRequests: 10, s3GetRequests: 2 });
    expect(model.cost.estimate).toEqual(estimateCost(model.cost.usage));
    expect(model.cost.basis.join(' ')).toContain('2 writes per item per round');
  });
});
