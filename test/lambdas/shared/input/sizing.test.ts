import { describe, expect, it } from 'vitest';
import { ItemCollector, type RunContext } from '../../../../lambdas/shared/input/collector';
import { RequestSizer, SIZE_LIMITS } from '../../../../lambdas/shared/input/sizing';

const context: RunContext = {
  runId: 'run-1',
  round: 1,
  jobQueue: 'fanout-high',
  jobDefinition: 'fanout-job:1',
  command: ['sim', '--seed', '{seed}'],
  environment: { PYTHONPATH: 'src', NOTE: 'ünïcode "quoted"' },
  jobTimeout: { AttemptDurationSeconds: 900 },
  scheduling: { shareIdentifier: 'teamA', schedulingPriority: 5 },
  idempotent: true,
};
/** The requests one item causes, built for real: what RequestSizer must count without building them. */
function builtSizes(context: RunContext, item: { itemId: string; jobName: string; kwargsJson: string }) {
  const scheduling = context.scheduling ?? {};
  const containerOverrides = {
    command: context.command,
    environment: [
      { name: 'FANOUT_KWARGS', value: item.kwargsJson },
      { name: 'FANOUT_RUN_ID', value: context.runId },
      { name: 'FANOUT_ENVIRONMENT', value: JSON.stringify(context.environment) },
      { name: 'FANOUT_ITEM_ID', value: item.itemId },
    ],
  };
  const submit = {
    jobName: item.jobName,
    jobQueue: context.jobQueue,
    jobDefinition: context.jobDefinition,
    timeout: context.jobTimeout,
    ...(scheduling.shareIdentifier !== undefined ? { shareIdentifier: scheduling.shareIdentifier } : {}),
    ...(scheduling.schedulingPriority !== undefined
      ? { schedulingPriorityOverride: scheduling.schedulingPriority }
      : {}),
    containerOverrides,
  };
  const child = {
    runId: context.runId,
    round: context.round,
    jobQueue: context.jobQueue,
    jobDefinition: context.jobDefinition,
    environment: context.environment,
    timeout: context.jobTimeout,
    scheduling,
    command: context.command,
    itemId: item.itemId,
    jobName: item.jobName,
    kwargs: JSON.parse(item.kwargsJson),
  };
  const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  return { containerOverrides: bytes(containerOverrides), submitJobPayload: bytes(submit), childInput: bytes(child) };
}

describe('RequestSizer', () => {
  const { scheduling: _share, ...unshared } = context;
  it.each([
    ['in a share, with a priority', context],
    ['without a share (an empty scheduling in the child input)', unshared],
  ])(
    'computes the exact byte sizes of the overrides, the SubmitJob request and the child input, %s',
    (_label, runContext) => {
      const item = {
        itemId: 'e-1',
        jobName: 'run-1-e-1',
        kwargsJson: JSON.stringify({ seed: 3, text: 'ünïcode "quoted"\n' }),
      };
      expect(new RequestSizer(runContext).sizes(item)).toEqual(builtSizes(runContext, item));
    },
  );

  it('accepts an item at exactly the overrides budget and rejects one byte more', () => {
    const limit = SIZE_LIMITS.containerOverrides - SIZE_LIMITS.containerOverridesReservedForBatch;
    const sizer = new RequestSizer(context);
    const base = sizer.sizes({ itemId: '0', jobName: 'run-1-0', kwargsJson: '{"seed":1,"p":""}' }).containerOverrides;
    const fits = { seed: 1, p: 'x'.repeat(limit - base) };
    const collector = new ItemCollector(context);
    collector.add(fits, 'items.0');
    expect(collector.finish()).toHaveLength(1);
    const tooBig = new ItemCollector(context);
    tooBig.add({ seed: 1, p: 'x'.repeat(limit - base + 1) }, 'items.0');
    expect(() => tooBig.finish()).toThrow(/would take 7169 bytes; at most 7168/);
  });
});
