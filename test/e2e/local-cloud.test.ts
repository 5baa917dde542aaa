import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { tempDir } from './helpers';

async function runOneItem(cloud: LocalCloud, runId: string): Promise<string | undefined> {
  const input = { runId, items: [{ word: 'hello' }], command: ['echo', '{word}'] };
  const { executionArn } = await cloud.clients.sfn.send(
    new StartExecutionCommand({ stateMachineArn: cloud.mapStateMachineArn, name: runId, input: JSON.stringify(input) }),
  );
  for (;;) {
    const execution = await cloud.clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution.status;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the local cloud', () => {
  it('runs one after another in a process without changing its environment', async () => {
    const environment = { ...process.env };
    const first = await startLocalCloud({ dir: tempDir() });
    try {
      expect(await runOneItem(first, 'first')).toBe('SUCCEEDED');
    } finally {
      await first.stop();
    }
    const second = await startLocalCloud({ dir: tempDir() });
    try {
      expect(second.endpoints.s3).not.toBe(first.endpoints.s3);
      expect(await runOneItem(second, 'second')).toBe('SUCCEEDED');
    } finally {
      await second.stop();
    }
    expect(process.env).toEqual(environment);
  });
});
