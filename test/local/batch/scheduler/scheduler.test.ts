import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SubmitJobCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { batchPerTest, describe1, maxOverlap, shell, untilStatus } from '../helpers';

const start = batchPerTest();

describe('scheduling', () => {
  it('starts RUNNABLE jobs by queue priority, FIFO within a queue', async () => {
    const { client, batch, dir } = await start({ vcpus: 1 });
    const gate = await client.send(
      new SubmitJobCommand({
        jobName: 'gate',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: shell('while [ ! -f open ]; do sleep 0.01; done') },
      }),
    );
    await untilStatus(client, gate.jobId as string, 'RUNNING');
    const record = (name: string) => shell(`echo ${name} >> order.txt`);
    for (const [name, queue] of [
      ['low1', 'low'],
      ['high1', 'high'],
      ['low2', 'low'],
      ['high2', 'high'],
    ] as const) {
      await client.send(
        new SubmitJobCommand({
          jobName: name,
          jobQueue: queue,
          jobDefinition: 'job',
          containerOverrides: { command: record(name) },
        }),
      );
    }
    writeFileSync(join(dir, 'open'), '');
    await batch.service.waitForIdle();
    expect(readFileSync(join(dir, 'order.txt'), 'utf8').trim().split('\n')).toEqual(['high1', 'high2', 'low1', 'low2']);
  });

  it('never runs more jobs at once than the vCPU pool holds', async () => {
    const { client, batch } = await start({ vcpus: 2 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { jobId } = await client.send(
        new SubmitJobCommand({
          jobName: `c${i}`,
          jobQueue: 'high',
          jobDefinition: 'job',
          containerOverrides: { command: ['sleep', '0.15'] },
        }),
      );
      ids.push(jobId as string);
    }
    const twoVcpu = await client.send(
      new SubmitJobCommand({
        jobName: 'wide',
        jobQueue: 'high',
        jobDefinition: 'job',
        containerOverrides: { command: ['sleep', '0.15'], resourceRequirements: [{ type: 'VCPU', value: '2' }] },
      }),
    );
    await batch.service.waitForIdle();
    const jobs = await Promise.all([...ids, twoVcpu.jobId as string].map((id) => describe1(client, id)));
    const intervals = jobs.map((job) => ({ start: job.startedAt as number, stop: job.stoppedAt as number }));
    expect(jobs.every((job) => job.status === 'SUCCEEDED')).toBe(true);
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
    const wide = intervals.at(-1) as { start: number; stop: number };
    expect(intervals.slice(0, -1).some((other) => other.start < wide.stop && wide.start < other.stop)).toBe(false);
    expect(batch.service.vcpusInUse).toBe(0);
  });
});
