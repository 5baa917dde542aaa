import { describe, expect, it } from 'vitest';
import { usesAwsServices } from '../../local/engine-only';

const machine = (states: object) => JSON.stringify({ StartAt: Object.keys(states)[0], States: states });

describe('usesAwsServices', () => {
  it('is false for Pass, Choice, Wait, Succeed and Fail states, inline Maps and Parallels of them', () => {
    const inner = { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } };
    expect(
      usesAwsServices(
        machine({
          A: { Type: 'Pass', Next: 'B' },
          B: { Type: 'Wait', Seconds: 1, Next: 'C' },
          C: { Type: 'Parallel', Branches: [inner], Next: 'D' },
          D: { Type: 'Map', ItemProcessor: inner, Next: 'E' },
          E: { Type: 'Fail' },
        }),
      ),
    ).toBe(false);
  });

  it('is true for a Task state, also inside a Parallel branch or a Map', () => {
    const task = {
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
    };
    expect(usesAwsServices(machine({ T: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } }))).toBe(
      true,
    );
    expect(usesAwsServices(machine({ P: { Type: 'Parallel', Branches: [task], End: true } }))).toBe(true);
    expect(usesAwsServices(machine({ M: { Type: 'Map', Iterator: task, End: true } }))).toBe(true);
  });

  it('is true for a Map that reads or writes S3', () => {
    const inner = { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } };
    const reader = { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } };
    expect(usesAwsServices(machine({ M: { Type: 'Map', ItemProcessor: inner, ItemReader: reader, End: true } }))).toBe(
      true,
    );
    const writer = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } };
    expect(
      usesAwsServices(machine({ M: { Type: 'Map', ItemProcessor: inner, ResultWriter: writer, End: true } })),
    ).toBe(true);
  });

  it('is true for text that is not a definition, so the full local cloud reports it', () => {
    expect(usesAwsServices('not json')).toBe(true);
    expect(usesAwsServices('{"StartAt":"A"}')).toBe(true);
  });
});
