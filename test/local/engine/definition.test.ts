import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../local/engine';
import { InvalidDefinitionError } from '../../../local/engine/errors';
import { scriptedIntegration } from './helpers';

// Retrier ranges: docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
// ("Retrying after an error"): IntervalSeconds is a positive integer with a maximum value of
// 99999999; MaxAttempts a non-negative integer (0 = never retried) with a maximum of 99999999;
// BackoffRate must be greater than or equal to 1.0; MaxDelaySeconds greater than 0 and less than
// 31622401; JitterStrategy FULL or NONE. Map limits: state-map-distributed.html,
// input-output-itembatcher.html and apireference/API_UpdateMapRun.html (maxConcurrency integer
// ≥ 0, toleratedFailureCount ≥ 0, toleratedFailurePercentage 0 to 100).

const integrations = [scriptedIntegration(() => null)];
const TASK = 'arn:aws:states:::test:run';

const load = (definition: object) => () => loadDefinition(JSON.stringify(definition), integrations);

function expectInvalid(definition: object, message: string): void {
  expect(load(definition)).toThrow(InvalidDefinitionError);
  expect(load(definition)).toThrow(`Invalid State Machine Definition: ${message}`);
}

/** A machine whose one Task state `Work` carries the given Retry. */
const withRetrier = (retrier: object) => ({
  StartAt: 'Work',
  States: { Work: { Type: 'Task', Resource: TASK, Retry: [{ ErrorEquals: ['States.ALL'], ...retrier }], End: true } },
});

/** A machine whose one Distributed Map state `Fan` carries the given fields. */
const withMap = (fields: object, mode: 'DISTRIBUTED' | 'INLINE' = 'DISTRIBUTED') => ({
  StartAt: 'Fan',
  States: {
    Fan: {
      Type: 'Map',
      ItemProcessor: {
        ProcessorConfig: { Mode: mode, ExecutionType: 'STANDARD' },
        StartAt: 'P',
        States: { P: { Type: 'Pass', End: true } },
      },
      ...fields,
      End: true,
    },
  },
});

describe('Retrier fields', () => {
  it.each([
    [
      'IntervalSeconds',
      0,
      '/States/Work/Retry/0/IntervalSeconds must be a positive integer of at most 99999999 (received 0)',
    ],
    [
      'IntervalSeconds',
      1.5,
      '/States/Work/Retry/0/IntervalSeconds must be a positive integer of at most 99999999 (received 1.5)',
    ],
    [
      'IntervalSeconds',
      100_000_000,
      '/States/Work/Retry/0/IntervalSeconds must be a positive integer of at most 99999999 (received 100000000)',
    ],
    [
      'IntervalSeconds',
      '5',
      '/States/Work/Retry/0/IntervalSeconds must be a positive integer of at most 99999999 (received "5")',
    ],
    [
      'MaxAttempts',
      -1,
      '/States/Work/Retry/0/MaxAttempts must be a non-negative integer of at most 99999999 (received -1)',
    ],
    [
      'MaxAttempts',
      2.5,
      '/States/Work/Retry/0/MaxAttempts must be a non-negative integer of at most 99999999 (received 2.5)',
    ],
    [
      'MaxAttempts',
      100_000_000,
      '/States/Work/Retry/0/MaxAttempts must be a non-negative integer of at most 99999999 (received 100000000)',
    ],
    [
      'BackoffRate',
      0.5,
      '/States/Work/Retry/0/BackoffRate must be a number greater than or equal to 1.0 (received 0.5)',
    ],
    [
      'MaxDelaySeconds',
      0,
      '/States/Work/Retry/0/MaxDelaySeconds must be a positive integer less than 31622401 (received 0)',
    ],
    [
      'MaxDelaySeconds',
      31_622_401,
      '/States/Work/Retry/0/MaxDelaySeconds must be a positive integer less than 31622401 (received 31622401)',
    ],
    ['JitterStrategy', 'PARTIAL', '/States/Work/Retry/0/JitterStrategy must be FULL or NONE (received "PARTIAL")'],
  ])('rejects %s %j with the pointer, the rule and the value', (field, value, message) => {
    expectInvalid(withRetrier({ [field]: value }), message);
  });

  it('accepts the documented bounds', () => {
    const bounds = {
      IntervalSeconds: 99_999_999,
      MaxAttempts: 0,
      BackoffRate: 1,
      MaxDelaySeconds: 31_622_400,
      JitterStrategy: 'FULL',
    };
    expect(load(withRetrier(bounds))()).toMatchObject({ graph: { startAt: 'Work' } });
    expect(
      load(
        withRetrier({
          IntervalSeconds: 1,
          MaxAttempts: 99_999_999,
          BackoffRate: 1.5,
          MaxDelaySeconds: 1,
          JitterStrategy: 'NONE',
        }),
      )(),
    ).toBeDefined();
  });

  it('names the retrier by its index', () => {
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: TASK,
          Retry: [{ ErrorEquals: ['Custom.Error'] }, { ErrorEquals: ['States.ALL'], BackoffRate: 0 }],
          End: true,
        },
      },
    };
    expect(load(definition)).toThrow(
      '/States/Work/Retry/1/BackoffRate must be a number greater than or equal to 1.0 (received 0)',
    );
  });

  it('checks states inside Parallel branches', () => {
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            {
              StartAt: 'B',
              States: {
                B: {
                  Type: 'Task',
                  Resource: TASK,
                  Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 0 }],
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    };
    expect(load(definition)).toThrow(
      '/States/Both/Branches/1/States/B/Retry/0/IntervalSeconds must be a positive integer of at most 99999999 (received 0)',
    );
  });

  it('checks states inside a Map ItemProcessor, and escapes "/" in state names', () => {
    const definition = {
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Submit/Job',
            States: {
              'Submit/Job': {
                Type: 'Task',
                Resource: TASK,
                Retry: [{ ErrorEquals: ['States.ALL'], JitterStrategy: 'full' }],
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    expect(load(definition)).toThrow(
      '/States/Fan/ItemProcessor/States/Submit~1Job/Retry/0/JitterStrategy must be FULL or NONE (received "full")',
    );
  });
});

describe('Catcher fields', () => {
  it('rejects a Next that names no state of the same scope', () => {
    const definition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'B',
              States: {
                B: {
                  Type: 'Task',
                  Resource: TASK,
                  Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover' }],
                  End: true,
                },
              },
            },
          ],
          Next: 'Recover',
        },
        Recover: { Type: 'Pass', End: true },
      },
    };
    // A branch cannot transition to a state outside it (docs: state-parallel.html).
    expect(load(definition)).toThrow(
      '/States/Both/Branches/0/States/B/Catch/0/Next must name a state of the same States object (received "Recover")',
    );
  });

  it('rejects a catcher without Next', () => {
    const definition = {
      StartAt: 'Work',
      States: { Work: { Type: 'Task', Resource: TASK, Catch: [{ ErrorEquals: ['States.ALL'] }], End: true } },
    };
    expect(load(definition)).toThrow(/\/States\/Work\/Catch\/0 .*Next/);
  });
});

describe('Map limits', () => {
  it.each([
    ['ToleratedFailurePercentage', 101, 'must be a number from 0 to 100 (received 101)'],
    ['ToleratedFailurePercentage', -1, 'must be a number from 0 to 100 (received -1)'],
    ['ToleratedFailureCount', -1, 'must be a non-negative integer (received -1)'],
    ['ToleratedFailureCount', 1.5, 'must be a non-negative integer (received 1.5)'],
    ['MaxConcurrency', -1, 'must be a non-negative integer (received -1)'],
    ['MaxConcurrency', 2.5, 'must be a non-negative integer (received 2.5)'],
  ])('rejects %s %j with the pointer, the rule and the value', (field, value, rule) => {
    expectInvalid(withMap({ [field]: value }), `/States/Fan/${field} ${rule}`);
  });

  it('rejects a fractional MaxConcurrency on an inline Map too', () => {
    expect(load(withMap({ MaxConcurrency: 0.5 }, 'INLINE'))).toThrow(
      '/States/Fan/MaxConcurrency must be a non-negative integer (received 0.5)',
    );
  });

  it.each([
    ['MaxItemsPerBatch', 0, 'must be a positive integer (received 0)'],
    ['MaxInputBytesPerBatch', 0, 'must be a positive integer of at most 262144 (256 KiB) (received 0)'],
  ])('rejects ItemBatcher.%s %j', (field, value, rule) => {
    expectInvalid(withMap({ ItemBatcher: { [field]: value } }), `/States/Fan/ItemBatcher/${field} ${rule}`);
  });

  it('accepts the documented bounds', () => {
    const fields = {
      ToleratedFailurePercentage: 100,
      ToleratedFailureCount: 0,
      MaxConcurrency: 0,
      ItemBatcher: { MaxItemsPerBatch: 1, MaxInputBytesPerBatch: 262_144 },
    };
    expect(load(withMap(fields))()).toMatchObject({ graph: { startAt: 'Fan' } });
  });
});
