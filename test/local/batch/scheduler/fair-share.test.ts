import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateComputeEnvironmentCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import {
  batchPerTest,
  describe1,
  gated,
  open,
  shell,
  submit,
  type TestBatch,
  testConfig,
  untilStatus,
} from '../helpers';

const start = batchPerTest();

/** One fair-share queue on one FARGATE compute environment of `maxvCpus`, on a machine of 8 vCPUs. */
const fairConfig = (policy: Record<string, unknown>, maxvCpus: number) =>
  testConfig({
    computeEnvironments: [{ name: 'pool', type: 'FARGATE', maxvCpus }],
    jobQueues: [{ name: 'fair', priority: 1, computeEnvironments: ['pool'], schedulingPolicy: 'policy' }],
    schedulingPolicies: [{ name: 'policy', ...policy }],
    jobDefinitions: [{ name: 'job', image: 'local/job:latest', vcpus: 1, command: ['true'], schedulingPriority: 2 }],
    local: { vcpus: 8 },
  });

const setPool = (t: TestBatch, state: 'ENABLED' | 'DISABLED') =>
  t.client.send(new UpdateComputeEnvironmentCommand({ computeEnvironment: 'pool', state }));

const startOrder = (t: TestBatch): string[] => readFileSync(join(t.dir, 'order.txt'), 'utf8').trim().split('\n');

// Weight factor: "A lower value lets jobs from the share identifier run or gives additional runtime to the share
// identifier. For example, jobs that use a share identifier with a weight factor of 0.125 (1/8) are assigned eight
// times the compute resources" (https://docs.aws.amazon.com/batch/latest/userguide/fair-share-scheduling.html)
describe('fair-share scheduling', () => {
  it('starts jobs of a share of weight 1 three times as often as those of a share of weight 3 (ratio within ±20%)', async () => {
    const t = await start({
      config: fairConfig(
        {
          shareDistribution: [
            { shareIdentifier: 'light', weightFactor: 1 },
            { shareIdentifier: 'heavy', weightFactor: 3 },
          ],
        },
        4,
      ),
    });
    await setPool(t, 'DISABLED');
    for (let i = 0; i < 32; i++) {
      for (const share of ['light', 'heavy']) {
        await submit(t, {
          jobQueue: 'fair',
          shareIdentifier: share,
          containerOverrides: { command: shell(`echo ${share} >> order.txt; sleep 0.05`) },
        });
      }
    }
    await setPool(t, 'ENABLED');
    await t.batch.service.waitForIdle();
    // Only the starts while both shares still had jobs waiting say anything about the ratio.
    const firstHalf = startOrder(t).slice(0, 32);
    const light = firstHalf.filter((share) => share === 'light').length;
    const heavy = firstHalf.length - light;
    expect(light / heavy).toBeGreaterThanOrEqual(3 * 0.8);
    expect(light / heavy).toBeLessThanOrEqual(3 * 1.2);
  });

  // "Jobs with a higher scheduling priority are scheduled before jobs with a lower scheduling priority"
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html, schedulingPriorityOverride)
  it('orders the jobs of a share by schedulingPriority, the definition default when SubmitJob does not override it, then FIFO', async () => {
    const t = await start({ config: fairConfig({}, 1) });
    await setPool(t, 'DISABLED');
    for (const [name, priority] of [
      ['p1', 1],
      ['p5', 5],
      ['default2', undefined],
      ['p3', 3],
      ['p5b', 5],
    ] as const) {
      await submit(t, {
        jobQueue: 'fair',
        shareIdentifier: 'team',
        ...(priority === undefined ? {} : { schedulingPriorityOverride: priority }),
        containerOverrides: { command: shell(`echo ${name} >> order.txt`) },
      });
    }
    await setPool(t, 'ENABLED');
    await t.batch.service.waitForIdle();
    expect(startOrder(t)).toEqual(['p5', 'p5b', 'p3', 'default2', 'p1']);
  });

  // "The reserved ratio is (computeReservation/100)^ActiveFairShares"
  // (https://docs.aws.amazon.com/batch/latest/APIReference/API_FairsharePolicy.html)
  it('holds back (computeReservation/100)^activeShares of the capacity for share identifiers not yet active', async () => {
    const t = await start({ config: fairConfig({ computeReservation: 50 }, 4) });
    const first: string[] = [];
    for (let i = 0; i < 4; i++) {
      first.push(
        await submit(t, { jobQueue: 'fair', shareIdentifier: 'one', containerOverrides: { command: gated('go') } }),
      );
    }
    // One active share: 50% of 4 vCPUs reserved, so 2 run.
    await untilStatus(t.client, first[1] as string, 'RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await describe1(t.client, first[2] as string)).status).toBe('RUNNABLE');
    // A second share makes the reservation 25%: one vCPU more, which the new share's job takes.
    const other = await submit(t, {
      jobQueue: 'fair',
      shareIdentifier: 'two',
      containerOverrides: { command: gated('go') },
    });
    await untilStatus(t.client, other, 'RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await t.batch.service.stats()).vcpusInUse).toBe(3);
    open(t.dir, 'go');
    await t.batch.service.waitForIdle();
  });

  // Share decay: "A value of zero indicates that only current usage is measured. A longer decay time gives more
  // weight to time." (https://docs.aws.amazon.com/batch/latest/userguide/fair-share-scheduling.html)
  it.each([
    [0, ['old', 'new']],
    [3600, ['new', 'old']],
  ])(
    'with shareDecaySeconds %i, a share that just ran and a new one start in the order %j',
    async (shareDecaySeconds, expected) => {
      const t = await start({ config: fairConfig({ shareDecaySeconds }, 1) });
      const past = await submit(t, {
        jobQueue: 'fair',
        shareIdentifier: 'old',
        containerOverrides: { command: ['sleep', '0.3'] },
      });
      await t.batch.service.waitForJob(past);
      await setPool(t, 'DISABLED');
      for (const share of ['old', 'new']) {
        await submit(t, {
          jobQueue: 'fair',
          shareIdentifier: share,
          containerOverrides: { command: shell(`echo ${share} >> order.txt`) },
        });
      }
      await setPool(t, 'ENABLED');
      await t.batch.service.waitForIdle();
      expect(startOrder(t)).toEqual(expected);
    },
  );
});
