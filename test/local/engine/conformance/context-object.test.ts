import { describe, expect, it } from 'vitest';
import { harness, scriptedIntegration, single } from '../helpers';

// https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html: `$$.State`
// holds Name and EnteredTime, and RetryCount where the state can retry: only Task, Parallel and
// Map states take a Retry field (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).

describe('$$.State (input-output-contextobject.html)', () => {
  it('holds only Name and EnteredTime in a Pass state', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'state.$': '$$.State' } }));
    expect(JSON.parse(result.output!)).toEqual({ state: { Name: 'S', EnteredTime: '2024-01-01T00:00:00.000Z' } });
  });

  it('holds only Name and EnteredTime in a Choice state', async () => {
    const h = harness();
    const result = await h.run({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          OutputPath: '$$.State',
          Choices: [{ Variable: '$.x', IsPresent: true, Next: 'Done' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });
    expect(JSON.parse(result.output!)).toEqual({ Name: 'C', EnteredTime: '2024-01-01T00:00:00.000Z' });
  });

  it('holds RetryCount in a Task state, counting the retries', async () => {
    const task = scriptedIntegration((request, call) => {
      if (call < 3) throw Object.assign(new Error('flaky'), { error: 'Flaky', cause: 'try again' });
      return request.parameters;
    });
    const h = harness([task]);
    const result = await h.run(
      single({
        Type: 'Task',
        Resource: 'arn:aws:states:::test:run',
        Parameters: { 'state.$': '$$.State' },
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1 }],
      }),
    );
    const state = (JSON.parse(result.output!) as { state: Record<string, unknown> }).state;
    expect(state).toEqual({ Name: 'S', EnteredTime: '2024-01-01T00:00:00.000Z', RetryCount: 2 });
  });

  it('holds RetryCount 0 in Parallel and Map states', async () => {
    const h = harness();
    const result = await h.run(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', End: true } } }],
            ResultSelector: { 'state.$': '$$.State' },
            ResultPath: '$.parallel',
            Next: 'M',
          },
          M: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemSelector: { 'state.$': '$$.State' },
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            ResultPath: '$.map',
            End: true,
          },
        },
      },
      { items: [1] },
    );
    const output = JSON.parse(result.output!) as { parallel: { state: object }; map: { state: object }[] };
    expect(output.parallel.state).toEqual({ Name: 'P', EnteredTime: '2024-01-01T00:00:00.000Z', RetryCount: 0 });
    expect(output.map[0]!.state).toEqual({ Name: 'M', EnteredTime: '2024-01-01T00:00:00.000Z', RetryCount: 0 });
  });
});
