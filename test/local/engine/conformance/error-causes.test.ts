import { describe, expect, it } from 'vitest';
import { harness, scriptedIntegration, single } from '../helpers';

// https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: States.Runtime,
// States.DataLimitExceeded and States.ItemReaderFailed. Step Functions words the cause of an error a
// state raises itself as "An error occurred while executing the state '<name>' (entered at the event
// id #<n>). <detail>".

const prefix = (state: string, eventId: number) =>
  `An error occurred while executing the state '${state}' (entered at the event id #${eventId}). `;

describe('causes of the errors a state raises (concepts-error-handling.html)', () => {
  it('names the state and its entered event for a path that names nothing', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', InputPath: '$.missing' }), { a: 1 });
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toBe(`${prefix('S', 2)}Invalid path '$.missing' : No results for path: $['missing']`);
  });

  it('counts the events before the state in the event id', async () => {
    const h = harness();
    const result = await h.run({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Next: 'B' },
        B: { Type: 'Pass', Parameters: { 'x.$': '$.nope' }, End: true },
      },
    });
    expect(result.cause).toBe(
      `${prefix('B', 4)}The JSONPath '$.nope' specified for the field 'x.$' could not be found in the input '{}'`,
    );
  });

  it('names the state for a payload larger than 256 KiB', async () => {
    const h = harness();
    const result = await h.run(single({ Type: 'Pass', Parameters: { 'big.$': "States.Format('{}{}', $.s, $.s)" } }), {
      s: 'x'.repeat(140_000),
    });
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause!.startsWith(prefix('S', 2))).toBe(true);
  });

  it('names the state for an intrinsic function failure, and a Catch sees the same cause', async () => {
    const h = harness();
    const result = await h.run(
      {
        StartAt: 'T',
        States: {
          T: {
            Type: 'Pass',
            Parameters: { 'v.$': 'States.ArrayGetItem($.a, 5)' },
            Next: 'Done',
          },
          Done: { Type: 'Succeed' },
        },
      },
      { a: [1] },
    );
    expect(result.error).toBe('States.IntrinsicFailure');
    expect(result.cause!.startsWith(prefix('T', 2))).toBe(true);
  });

  it('names the innermost state once for a failure inside a Parallel branch', async () => {
    const h = harness();
    const result = await h.run(
      single({
        Type: 'Parallel',
        Branches: [{ StartAt: 'In', States: { In: { Type: 'Pass', InputPath: '$.gone', End: true } } }],
      }),
    );
    expect(result.cause).toBe(`${prefix('In', 4)}Invalid path '$.gone' : No results for path: $['gone']`);
  });

  it("keeps a service's cause and a Fail state's cause as they are", async () => {
    const task = scriptedIntegration(() => {
      throw Object.assign(new Error('nope'), { error: 'States.Runtime', cause: 'the service said no' });
    });
    const h = harness([task]);
    const failed = await h.run(single({ Type: 'Task', Resource: 'arn:aws:states:::test:run' }));
    expect(failed.cause).toBe('the service said no');
    const fail = await h.run({ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'States.Runtime', Cause: 'mine' } } });
    expect(fail.cause).toBe('mine');
  });
});
