import { describe, expect, it } from 'vitest';
import { buildReportModel, FAILURE_ROWS_PER_GROUP } from '../../report';
import { estimateCost } from '../../run';
import { mapPathUsage } from '../../statemachine/map-usage';
import { at, failedRow, iso, job, record, row, sources, without } from './factories';

describe('buildReportModel', () => {
  it('counts the items by status and draws one attempt per job, retries in the same lane', () => {
    const model = buildReportModel(
      sources({
        rows: [
          row('a'),
          row('b', {
            attempt: 2,
            jobId: 'job-b2',
            startedAt: at(20),
            stoppedAt: at(22),
            attempts: [{ attempt: 1, jobId: 'job-b1', failureClass: 'APP_ERROR' }],
          }),
          without(row('c', { status: 'PENDING' }), 'jobId', 'startedAt', 'stoppedAt'),
        ],
        jobs: new Map([['job-b1', job(1, 4, { exitCode: 2 })]]),
      }),
    );
    expect(model.counts).toEqual({
      total: 3,
      pending: 1,
      running: 0,
      succeeded: 2,
      failed: 0,
      retrying: 0,
      abandoned: 0,
    });
    expect(model.lanes).toEqual(['a', 'b']);
    expect(model.attempts).toEqual([
      { lane: 0, attempt: 1, startedAt: at(1), stoppedAt: at(3), outcome: 'succeeded', exitCode: 0 },
      {
        lane: 1,
        attempt: 1,
        startedAt: at(1),
        stoppedAt: at(4),
        outcome: 'failed',
        failureClass: 'APP_ERROR',
        exitCode: 2,
      },
      { lane: 1, attempt: 2, startedAt: at(20), stoppedAt: at(22), outcome: 'succeeded', exitCode: 0 },
    ]);
    expect(model.recoveredItems).toBe(1);
    expect(model.undrawnAttempts).toBe(0);
  });

  it("does not draw an abandoned row's last attempt twice, nor a claimed attempt that has not run", () => {
    const model = buildReportModel(
      sources({
        rows: [
          failedRow('gone', {
            status: 'ABANDONED',
            attempt: 2,
            jobId: 'job-g2',
            attempts: [
              { attempt: 1, jobId: 'job-g1' },
              { attempt: 2, jobId: 'job-g2' },
            ],
          }),
          failedRow('next', {
            status: 'RETRYING',
            attempt: 2,
            jobId: 'job-n1',
            attempts: [{ attempt: 1, jobId: 'job-n1' }],
          }),
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
          without(
            failedRow('submit', { failureClass: 'SUBMIT_ERROR', error: 'Batch.ClientException' }),
            'jobId',
            'statusReason',
          ),
          failedRow('stopped', { failureClass: 'ABORTED' }),
          without(row('busy', { status: 'RUNNING' }), 'startedAt', 'stoppedAt'),
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
          failedRow('f4', {
            status: 'ABANDONED',
            attempt: 2,
            failureClass: 'TIMEOUT',
            statusReason: 'Job attempt duration exceeded timeout',
          }),
          without(
            failedRow('f5', { failureClass: 'SUBMIT_ERROR', error: 'Batch.ClientException', idempotent: false }),
            'jobId',
            'statusReason',
          ),
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
    const verdicts = Object.fromEntries(
      model.failures.groups.flatMap((group) => group.items.map((item) => [item.itemId, item.retry])),
    );
    expect(verdicts).toEqual({
      f1: 'retryable',
      f2: 'not-idempotent',
      f3: 'out-of-attempts',
      f4: 'abandoned',
      f5: 'retryable',
    });
    expect(model.retry).toEqual({
      command: 'fanout retry sweep --dir .fanout',
      failuresCommand: 'fanout status sweep --dir .fanout --failures --json',
      retryable: 2,
      notIdempotent: 1,
      outOfAttempts: 1,
      abandoned: 1,
    });
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
    const rows = Array.from({ length: FAILURE_ROWS_PER_GROUP + 5 }, (_, n) =>
      failedRow(`item-${String(n).padStart(4, '0')}`),
    );
    const group = buildReportModel(sources({ rows })).failures.groups[0];
    expect(group?.count).toBe(FAILURE_ROWS_PER_GROUP + 5);
    expect(group?.items).toHaveLength(FAILURE_ROWS_PER_GROUP);
  });

  it('quotes a directory the shell would split in the retry command', () => {
    expect(buildReportModel(sources({ dir: "my runs/it's here" })).retry.command).toBe(
      "fanout retry sweep --dir 'my runs/it'\\''s here'",
    );
  });

  it('orders the executions, sums their transitions and takes the ledger status unless a stopped execution left it RUNNING', () => {
    const records = [
      record('sweep-retry-1', {
        retryOf: 'sweep',
        startedAt: iso(100),
        stoppedAt: iso(110),
        durationSeconds: 10,
        stateTransitions: 7,
        retriedItemCount: 2,
      }),
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

    const stopped = buildReportModel(
      sources({ records: [record('sweep', { status: 'ABORTED' })], header: { status: 'RUNNING' } }),
    );
    expect(stopped.status).toBe('ABORTED');
  });

  it('names a resume execution and keeps the path a run record gives (array runs included)', () => {
    const model = buildReportModel(
      sources({
        records: [
          record('sweep', {
            executionArn: 'arn:aws:states:us-east-1:1:execution:fanout-array:sweep-resume-abc',
            path: 'array' as 'map',
          }),
        ],
      }),
    );
    expect(model.executions[0]?.kind).toBe('resume');
    expect(model.path).toBe('array');
  });

  it("builds an array-path run: children timed by Batch, retried as a smaller array, and the array path's own cost", () => {
    // Batch names array children `<parentId>:<index>` (docs.aws.amazon.com/batch/latest/userguide/array_jobs.html).
    const first = 'e1f0a6c2-3b4d-4c5e-8f90-0a1b2c3d4e5f';
    const retried = '7a2b9c4d-5e6f-4a0b-9c1d-2e3f4a5b6c7d';
    const model = buildReportModel(
      sources({
        header: {
          path: 'array',
          status: 'FAILED',
          round: 2,
          retry: { rounds: 0, maxAttempts: 3 },
          retries: [
            {
              executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-array:sweep-retry-1',
              startedAt: iso(100),
            },
          ],
        },
        records: [
          record('sweep', {
            path: 'array',
            status: 'FAILED',
            error: 'States.TaskFailed',
            stateTransitions: 9,
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-array:sweep',
          }),
          record('sweep-retry-1', {
            path: 'array',
            retryOf: 'sweep',
            status: 'FAILED',
            error: 'Fanout.ItemsNotSucceeded',
            stateTransitions: 6,
            retriedItemCount: 1,
            executionArn: 'arn:aws:states:us-east-1:000000000000:execution:fanout-array:sweep-retry-1',
            startedAt: iso(100),
            stoppedAt: iso(110),
          }),
        ],
        rows: [
          row('a', { jobId: `${first}:0` }),
          // Failed first, then succeeded as child 0 of the retry's array (a plain job: one item).
          row('b', {
            attempt: 2,
            jobId: retried,
            startedAt: at(102),
            stoppedAt: at(104),
            attempts: [{ attempt: 1, jobId: `${first}:1`, failureClass: 'APP_ERROR' }],
          }),
          failedRow('c', { jobId: `${first}:2`, idempotent: false }),
        ],
        jobs: new Map([
          [`${first}:1`, job(1, 4, { exitCode: 3 })],
          [`${first}:2`, job(1, 5, { exitCode: 3 })],
        ]),
      }),
    );
    expect(model.path).toBe('array');
    expect(
      model.executions.map((execution) => [
        execution.name,
        execution.kind,
        execution.status,
        execution.stateTransitions,
      ]),
    ).toEqual([
      ['sweep', 'run', 'FAILED', 9],
      ['sweep-retry-1', 'retry', 'FAILED', 6],
    ]);
    expect(
      model.attempts.map((attempt) => [
        model.lanes[attempt.lane],
        attempt.attempt,
        attempt.outcome,
        attempt.startedAt,
        attempt.stoppedAt,
      ]),
    ).toEqual([
      ['a', 1, 'succeeded', at(1), at(3)],
      ['b', 1, 'failed', at(1), at(4)],
      ['b', 2, 'succeeded', at(102), at(104)],
      ['c', 1, 'failed', at(1), at(5)],
    ]);
    expect(model.undrawnAttempts).toBe(0);
    expect(model.retry).toEqual({
      command: 'fanout retry sweep --dir .fanout',
      failuresCommand: 'fanout status sweep --dir .fanout --failures --json',
      retryable: 0,
      notIdempotent: 1,
      outOfAttempts: 0,
      abandoned: 0,
    });
    // Per execution: Prepare, Collect, Notify; a manifest and its index; 2 ranged GETs per child job and Collect's read.
    expect(model.cost.usage).toEqual({
      stateTransitions: 15,
      ledgerWriteUnits: 2 * 4 + 4,
      lambdaInvocations: 6,
      s3PutRequests: 4,
      s3GetRequests: 2 * 4 + 2,
    });
    expect(model.cost.basis.join(' ')).toContain('Prepare, Collect and Notify per execution');
  });

  it("points the retry command at a deployed stack with the target's flags", () => {
    expect(
      buildReportModel(without(sources({ targetFlags: '--aws --stack Fanout --region eu-west-1' }), 'dir')).retry
        .command,
    ).toBe('fanout retry sweep --aws --stack Fanout --region eu-west-1');
  });

  it('starts the retry command the way the user runs fanout (npx fanout inside a project)', () => {
    expect(buildReportModel(sources({ commandPrefix: 'npx fanout' })).retry.command).toBe(
      'npx fanout retry sweep --dir .fanout',
    );
  });

  it('takes the aggregation job from the header with its Batch times, reason and log link', () => {
    const failed = buildReportModel(
      sources({
        header: {
          aggregateOutcome: {
            status: 'FAILED',
            jobName: 'sweep-aggregate',
            jobId: 'job-agg',
            exitCode: 4,
            logStream: 'fanout-job/default/agg',
            error: 'States.TaskFailed',
            cause: JSON.stringify({
              JobId: 'job-agg',
              StatusReason: 'Essential container in task exited',
              Container: { ExitCode: 4 },
            }),
          },
        },
        rows: [row('a')],
        jobs: new Map([['job-agg', job(5, 8, { exitCode: 4 })]]),
        logUrl: (stream) => `file:///logs/${stream}.log`,
      }),
    );
    expect(failed.aggregate).toEqual({
      status: 'FAILED',
      jobName: 'sweep-aggregate',
      jobId: 'job-agg',
      exitCode: 4,
      error: 'States.TaskFailed',
      reason: 'Essential container in task exited',
      logStream: 'fanout-job/default/agg',
      logUrl: 'file:///logs/fanout-job/default/agg.log',
      bar: { startedAt: at(5), stoppedAt: at(8), outcome: 'failed' },
    });
    // The job is not an item: neither a lane nor an attempt of its own.
    expect(failed.lanes).toEqual(['a']);
    expect(failed.attempts).toHaveLength(1);
    expect(failed.failures.total).toBe(0);

    // Batch no longer knows the job: no bar; a cause cut short is no JSON, so the reason is the error.
    const forgotten = buildReportModel(
      sources({
        header: {
          aggregateOutcome: {
            status: 'FAILED',
            jobName: 'sweep-aggregate',
            jobId: 'job-agg',
            error: 'States.TaskFailed',
            cause: '{"JobId":"job-agg","Stat',
          },
        },
      }),
    );
    expect(forgotten.aggregate).toEqual({
      status: 'FAILED',
      jobName: 'sweep-aggregate',
      jobId: 'job-agg',
      error: 'States.TaskFailed',
      reason: 'States.TaskFailed',
    });
    expect(buildReportModel(sources()).aggregate).toBeUndefined();
  });

  it('estimates the cost from the transitions, about 2 ledger writes per item per round, and Lambda calls per execution', () => {
    const model = buildReportModel(
      sources({
        header: { round: 2 },
        records: [
          record('sweep', { stateTransitions: 100 }),
          record('sweep-retry-1', { retryOf: 'sweep', startedAt: iso(50), stateTransitions: 20 }),
        ],
        rows: [row('a'), row('b', { attempt: 2, attempts: [{ attempt: 1 }] })],
      }),
    );
    // 3 item-rounds × 2, plus Prepare and Summarize per execution (4) and one later round (1).
    expect(model.cost.usage).toEqual({
      stateTransitions: 120,
      ledgerWriteUnits: 11,
      lambdaInvocations: 6,
      s3PutRequests: 10,
      s3GetRequests: 2,
    });
    expect(model.cost.estimate).toEqual(estimateCost(model.cost.usage));
    expect(model.cost.basis.join(' ')).toContain('2 writes per item per round');
  });

  it('counts the Retry call a map-path pass makes while retry rounds remain, as fanout compare does', () => {
    const model = buildReportModel(
      sources({
        header: { round: 1, retry: { rounds: 1, maxAttempts: 3 } },
        records: [record('sweep', { stateTransitions: 15 })],
        rows: [row('a'), row('b')],
      }),
    );
    expect(model.cost.usage.lambdaInvocations).toBe(mapPathUsage(2, 1, false).lambdaInvocations);
  });

  describe('compute', () => {
    const computeConfig = {
      computeEnvironments: [
        { name: 'od', type: 'FARGATE' as const },
        { name: 'spot', type: 'FARGATE_SPOT' as const },
      ],
      jobQueues: [
        { name: 'fanout-high', computeEnvironments: ['od', 'spot'] },
        { name: 'low', computeEnvironments: ['spot', 'od'] },
      ],
      jobDefinitions: [
        { name: 'fanout-job', vcpus: 1, memoryMiB: 2048 },
        { name: 'big', vcpus: 2, memoryMiB: 4096 },
      ],
    };

    it("prices each finished attempt's measured time with Fargate's one-minute minimum", () => {
      const model = buildReportModel(
        sources({
          computeConfig,
          rows: [
            row('short', { startedAt: at(0), stoppedAt: at(2) }),
            row('long', { startedAt: at(0), stoppedAt: at(90.5) }),
            row('retried', {
              attempt: 2,
              startedAt: at(200),
              stoppedAt: at(320),
              attempts: [{ attempt: 1, jobId: 'job-r1', failureClass: 'APP_ERROR' }],
            }),
          ],
          jobs: new Map([['job-r1', job(100, 130)]]),
        }),
      );
      const compute = model.cost.compute!;
      expect(compute.cost.attempts).toBe(4);
      // 2 s and 30 s billed as 60 s each; 90.5 s as 91 s; 120 s as is
      expect(compute.cost.billedSeconds).toBe(60 + 91 + 60 + 120);
      // 331 s × (1 vCPU × $0.04048 + 2 GB × $0.004445) per hour (aws.amazon.com/fargate/pricing/)
      expect(compute.cost.onDemand).toBeCloseTo((331 * 0.04937) / 3600, 12);
      expect(compute.cost.firstChoice).toBe('on-demand');
      expect(compute.assumptions.join(' ')).toContain('durations measured');
      expect(compute.assumptions.join(' ')).toContain('us-east-1, as of 2026-12-07');
    });

    it("sizes the jobs from the run's job definition and queue, and leaves unfinished attempts out", () => {
      const model = buildReportModel(
        sources({
          computeConfig,
          header: { jobQueue: 'low', jobDefinition: 'big:4' },
          rows: [row('done'), without(row('busy', { status: 'RUNNING' }), 'stoppedAt')],
        }),
      );
      const compute = model.cost.compute!;
      expect(compute.job).toMatchObject({ vcpus: 2, memoryMiB: 4096, firstChoice: 'FARGATE_SPOT' });
      expect(compute.cost.attempts).toBe(1);
      expect(compute.cost.firstChoice).toBe('spot');
      expect(compute.assumptions.join(' ')).toContain('1 unfinished attempt(s) not counted');
    });

    it('counts the aggregation job among the attempts', () => {
      const model = buildReportModel(
        sources({
          computeConfig,
          header: { aggregateOutcome: { status: 'SUCCEEDED', jobName: 'agg', jobId: 'job-agg' } },
          rows: [row('a')],
          jobs: new Map([['job-agg', job(10, 20, { status: 'SUCCEEDED' })]]),
        }),
      );
      expect(model.cost.compute!.cost.attempts).toBe(2);
    });

    it('estimates no compute without the configuration that sizes the jobs, but still the fixed monthly cost', () => {
      const model = buildReportModel(sources({ rows: [row('a')] }));
      expect(model.cost.compute).toBeUndefined();
      expect(model.cost.fixedMonthly.total).toBeCloseTo(1.2, 12);
    });
  });
});
