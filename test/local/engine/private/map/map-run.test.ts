import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createLocalStepFunctions, FakeClock, MemoryObjectStore } from '../../../../../local/engine';
import type { TaskIntegration } from '../../../../../local/engine/types';
import { fail } from '../../helpers';

// What a Map Run keeps of its unsuccessful children (docs/local-engine.md, "What is retained"):
// the full history of the last failedChildHistoryLimit only; where each one stopped goes to the
// Map Run's log, so that a redrive (redrive-map-run.html) still continues every one of them.

/** Forces a full garbage collection (vitest does not start Node.js with --expose-gc). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

describe('memory held for the unsuccessful children of a Map Run', () => {
  it('holds none of their payloads, and a redrive still continues each one from its failed state', async () => {
    // 4,000 children, each with a distinct ~4 KiB input that it also keeps in a variable, all
    // failing in their Task: about 16 MB of strings if the Map Run kept their scopes.
    const CHILDREN = 4000;
    const clock = new FakeClock();
    const store = new MemoryObjectStore(() => clock.now());
    // The result files (a FAILED file of ~40 MB) are counted, not kept: only the engine's own memory is measured.
    let resultBytes = 0;
    store.putObjectStream = async (_bucket, _key, chunks) => {
      for await (const chunk of chunks) resultBytes += chunk.length;
    };
    const lines: string[] = [];
    for (let id = 0; id < CHILDREN; id++)
      lines.push(JSON.stringify({ id, pad: `${id}:`.padEnd(4000, String.fromCharCode(97 + (id % 26))) }));
    await store.putObject('in', 'items.jsonl', lines.join('\n'));
    lines.length = 0;
    let failing = true;
    let calls = 0;
    // Not scriptedIntegration: it keeps every request, and with it every payload.
    const job: TaskIntegration = {
      service: 'test',
      actions: ['run'],
      async invoke(request) {
        calls++;
        const { id, pad } = request.parameters as { id: number; pad: string };
        if (failing) fail('Job.Failed', `job ${id} failed`);
        return { id, head: pad.slice(0, 4) };
      },
    };
    const sfn = createLocalStepFunctions({
      integrations: [job],
      objectStore: store,
      clock,
      spillMemoryBytes: 64 * 1024,
      failedChildHistoryLimit: 10,
    });
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemReader: {
            Resource: 'arn:aws:states:::s3:getObject',
            ReaderConfig: { InputType: 'JSONL' },
            Parameters: { Bucket: 'in', Key: 'items.jsonl' },
          },
          // Every child fails; the last failure exceeds the threshold, so the parent can be redriven.
          ToleratedFailureCount: CHILDREN - 1,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Prepare',
            States: {
              Prepare: {
                Type: 'Pass',
                Parameters: { 'id.$': '$.id' },
                Assign: { 'pad.$': '$$.Execution.Input.pad' },
                Next: 'Work',
              },
              Work: {
                Type: 'Task',
                Resource: 'arn:aws:states:::test:run',
                Parameters: { 'id.$': '$.id', 'pad.$': '$pad' },
                End: true,
              },
            },
          },
          ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: 'runs' } },
          End: true,
        },
      },
    };
    const { stateMachineArn } = sfn.createStateMachine({
      name: 'failing',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/test',
    });

    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    const { executionArn } = sfn.startExecution({ stateMachineArn, input: '{}' });
    const done = sfn.waitForExecution(executionArn);
    await clock.runAll();
    expect(await done).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - before;
    const mapRunArn = sfn.listMapRuns(executionArn).items[0]!.mapRunArn;
    expect(resultBytes).toBeGreaterThan(CHILDREN * 4000);
    expect(sfn.describeMapRun(mapRunArn).executionCounts).toMatchObject({ failed: CHILDREN, total: CHILDREN });
    // Kept: a few numbers per child, 10 histories, a 64 KiB buffer. Keeping their scopes would be > 16 MB.
    expect(retained).toBeLessThan(4 * 1024 * 1024);

    failing = false;
    sfn.redriveExecution({ executionArn });
    const redriven = sfn.waitForExecution(executionArn);
    await clock.runAll();
    expect((await redriven).status).toBe('SUCCEEDED');
    // Each child ran Prepare once and Work twice, the second time with the variable Prepare assigned.
    expect(calls).toBe(2 * CHILDREN);
    const firstChild = `${sfn.listExecutions({ mapRunArn, maxResults: 1 }).items[0]!.executionArn.slice(0, -12)}${'0'.repeat(12)}`;
    expect(sfn.describeExecution(firstChild)).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      output: '{"id":0,"head":"0:aa"}',
    });
  });
});
