import { describe, expect, it } from 'vitest';
import type { MapRunHandle } from '../../../../local/engine/private/map-run-handle';
import type { ResumePoint } from '../../../../local/engine/private/redrive';
import { decodeResume, encodeResume } from '../../../../local/engine/private/resume-codec';
import { VariableScope } from '../../../../local/engine/private/variables';

// A resume point kept as text must redrive exactly as the one it was written from
// (redrive-executions.html: the failed state, with its input; variables as they were).

/** A child's top-level scope and a Parallel branch's scope enclosed by it, as a failure inside the branch leaves them. */
function failedInsideBranch(): { point: ResumePoint; top: VariableScope } {
  const top = new VariableScope();
  top.assign({ tag: 'v7', settings: { retries: 2 } }, 'Prepare');
  const branch = new VariableScope(top);
  branch.assign({ line: 'first\nsecond' }, 'Left');
  const point: ResumePoint = {
    state: 'Both',
    input: { key: 7 },
    variables: top,
    inner: {
      kind: 'branches',
      outcomes: [
        { output: { done: 'left' } },
        { resume: { state: 'Right', input: { key: 7, side: 'right' }, variables: branch } },
        undefined,
      ],
    },
  };
  return { point, top };
}

describe('encodeResume / decodeResume', () => {
  it('writes one line that reads back as the same state, inputs, branch outcomes and variables', () => {
    const { point } = failedInsideBranch();
    const { text, runs } = encodeResume(point);
    expect(text).not.toContain('\n');
    expect(runs).toEqual([]);

    const decoded = decodeResume(text, runs);
    expect(decoded).toMatchObject({ state: 'Both', input: { key: 7 } });
    expect(decoded.variables.snapshot()).toEqual({ tag: 'v7', settings: { retries: 2 } });
    if (decoded.inner?.kind !== 'branches') throw new Error(`expected branches, received ${decoded.inner?.kind}`);
    const [left, right, never] = decoded.inner.outcomes;
    expect(left).toEqual({ output: { done: 'left' } });
    expect(never).toBeUndefined();
    if (!right || !('resume' in right)) throw new Error('expected the right branch to resume');
    expect(right.resume).toMatchObject({ state: 'Right', input: { key: 7, side: 'right' } });
    expect(right.resume.variables.snapshot()).toEqual({ tag: 'v7', settings: { retries: 2 }, line: 'first\nsecond' });
  });

  it('gives a branch scope the decoded enclosing scope itself, as the original shared it', () => {
    const { point } = failedInsideBranch();
    const encoded = encodeResume(point);
    const decoded = decodeResume(encoded.text, encoded.runs);
    const right = decoded.inner?.kind === 'branches' ? decoded.inner.outcomes[1] : undefined;
    const branchScope = right && 'resume' in right ? right.resume.variables : undefined;
    expect(branchScope?.enclosing).toBe(decoded.variables);
  });

  it('keeps the Map Run of a Distributed Map state beside the text, and gives that same handle back', () => {
    const run: MapRunHandle = { mapRunArn: 'arn:mapRun', executionArn: 'arn:execution', childArnPrefix: 'arn:child:' };
    const point: ResumePoint = {
      state: 'Inner',
      input: [1, 2],
      variables: new VariableScope(),
      item: { Item: { Index: 3, Value: 'x' } },
      inner: { kind: 'mapRun', run },
    };
    const encoded = encodeResume(point);
    expect(encoded.text).not.toContain('arn:mapRun');
    expect(encoded.runs).toEqual([run]);
    const decoded = decodeResume(encoded.text, encoded.runs);
    expect(decoded.inner).toEqual({ kind: 'mapRun', run });
    expect(decoded.inner?.kind === 'mapRun' && decoded.inner.run).toBe(run);
    expect(decoded.item).toEqual({ Item: { Index: 3, Value: 'x' } });
  });

  it('restores variables with their sizes: the 10 MiB limit still counts them (workflow-variables.html, "Limits")', () => {
    const scope = new VariableScope();
    for (let part = 0; part < 40; part++) scope.assign({ [`part${part}`]: 'x'.repeat(250 * 1024) }, 'Fill');
    const encoded = encodeResume({ state: 'Next', input: null, variables: scope });
    const decoded = decodeResume(encoded.text, encoded.runs);
    expect(() => decoded.variables.assign({ more: 'y'.repeat(250 * 1024) }, 'More')).toThrow(
      /exceeds the maximum of 10485760 bytes per execution/,
    );
  });
});
