import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, type Timers, timerClock } from '../../../../local/engine';
import { harness } from '../helpers';

/** The error CreateStateMachine throws for a definition, or undefined when it accepts it. */
function creationError(definition: object): unknown {
  try {
    harness().start(definition);
  } catch (error) {
    return error;
  }
  return undefined;
}

const wait = (state: object): object => ({ StartAt: 'W', States: { W: { Type: 'Wait', ...state, End: true } } });

describe('Wait timestamps follow the RFC 3339 profile strictly', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html: "an uppercase T must separate
  // the date and time portions, and an uppercase Z must denote that a numeric time zone offset is not present"
  it.each([
    '2024-01-01 00:00:10Z',
    '2024-01-01t00:00:10Z',
    '2024-01-01T00:00:10z',
    '2024-01-01T00:00:10',
    '2024-01-01',
  ])('refuses the literal Timestamp %j when the state machine is created', (timestamp) => {
    expect(creationError(wait({ Timestamp: timestamp }))).toMatchObject({
      code: 'InvalidDefinition',
      message: expect.stringContaining('Timestamp'),
    });
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
  it.each(['2024-01-01T00:00:10Z', '2024-01-01T01:00:10+01:00'])(
    'accepts the literal Timestamp %j',
    async (timestamp) => {
      const h = harness();
      const arn = h.start(wait({ Timestamp: timestamp }));
      await h.clock.advance(9_999);
      expect(h.sfn.describeExecution(arn).status).toBe('RUNNING');
      await h.clock.advance(1);
      expect(h.sfn.describeExecution(arn).status).toBe('SUCCEEDED');
    },
  );

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
  it.each(['2024-01-01 00:00:10Z', '2024-01-01t00:00:10Z', '2024-01-01T00:00:10', 'Mon, 01 Jan 2024 00:00:10 GMT'])(
    'fails with States.Runtime when TimestampPath resolves to %j',
    async (timestamp) => {
      const h = harness();
      const result = await h.run(wait({ TimestampPath: '$.until' }), { until: timestamp });
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('States.Runtime');
      expect(result.cause).toContain(timestamp);
    },
  );

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html: "Step Functions considers
  // the time value up to seconds and truncates milliseconds"
  it('truncates the milliseconds of a timestamp', async () => {
    const h = harness();
    const arn = h.start(wait({ TimestampPath: '$.until' }), { until: '2024-01-01T00:00:05.900Z' });
    await h.clock.advance(5_000);
    expect(h.sfn.describeExecution(arn).status).toBe('SUCCEEDED');
  });
});

describe('long Waits', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html: "the maximum wait time that
  // you can specify for Standard workflows and Express workflows is one year and five minutes respectively"
  it('fails with States.Runtime when the delay is longer than one year', async () => {
    const h = harness();
    const result = await h.run(wait({ Seconds: 365 * 24 * 3600 + 1 }));
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain('Wait state delay is too long');
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
  it('fails with States.Runtime when a timestamp is more than one year away', async () => {
    const h = harness();
    const result = await h.run(wait({ TimestampPath: '$.until' }), { until: '2025-01-02T00:00:00Z' });
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toContain('Wait state delay is too long');
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html
  it('waits exactly one year when asked to', async () => {
    const h = harness();
    const year = 365 * 24 * 3600;
    const arn = h.start(wait({ Seconds: year }));
    await h.clock.advance(year * 1000 - 1);
    expect(h.sfn.describeExecution(arn).status).toBe('RUNNING');
    await h.clock.advance(1);
    expect(h.sfn.describeExecution(arn).status).toBe('SUCCEEDED');
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html (Seconds up to 99999999; one year
  // for Standard workflows): a 30-day Wait outlasts Node's 2^31 - 1 ms timer range and must not fire at once.
  it('chains timers for a sleep beyond the timer range of the system clock', async () => {
    const armed: number[] = [];
    const pending: Array<() => void> = [];
    const timers: Timers = {
      now: () => 0,
      setTimeout: (callback, ms) => {
        armed.push(ms);
        pending.push(callback);
        return pending.length;
      },
      clearTimeout: () => undefined,
    };
    const thirtyDays = 30 * 24 * 3600 * 1000;
    let woke = false;
    const sleeping = timerClock(timers)
      .sleep(thirtyDays)
      .then(() => {
        woke = true;
      });
    expect(armed).toEqual([MAX_TIMER_MS]);
    pending.shift()!();
    await Promise.resolve();
    expect(woke).toBe(false);
    expect(armed).toEqual([MAX_TIMER_MS, thirtyDays - MAX_TIMER_MS]);
    pending.shift()!();
    await sleeping;
    expect(woke).toBe(true);
  });
});
