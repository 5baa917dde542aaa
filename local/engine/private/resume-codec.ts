/**
 * A resume point (redrive.ts) as one line of compact JSON, so that a Map Run can keep where each
 * of its unsuccessful children stopped in its log rather than in memory (docs/local-engine.md,
 * "What is retained"). Everything in a resume point is JSON except two kinds of reference:
 *
 * - variable scopes, which a branch's scope shares with the scope around it: each scope is
 *   written once in a table and referred to by its place there, so the decoded scopes share
 *   their enclosing scopes as the originals did;
 * - Map Runs of Distributed Map states inside the child, which live on in the service whatever
 *   happens to the child: they are returned beside the text, to be kept as references.
 */
import type { ContextObject, Json } from '../types';
import type { MapRunHandle } from './map-run-handle';
import type { BranchOutcome, InnerResume, ResumePoint } from './redrive';
import { VariableScope } from './variables';

/** A resume point as text, and the Map Runs the text refers to by their place in `runs`. */
export interface EncodedResume {
  text: string;
  runs: MapRunHandle[];
}

interface PointJson {
  state: string;
  input: Json;
  /** Place of the point's variable scope in `scopes`. */
  variables: number;
  item?: ContextObject['Map'];
  inner?: InnerJson;
}

type InnerJson = { kind: 'branches'; outcomes: OutcomeJson[] } | { kind: 'mapRun'; run: number };

/** `null` for a branch that never started. */
type OutcomeJson = { output: Json } | { resume: PointJson } | null;

/** A variable scope: the place of its enclosing scope (-1 for none) and its own variables. */
type ScopeJson = [number, [string, Json][]];

interface ResumeJson {
  scopes: ScopeJson[];
  point: PointJson;
}

/** Writes a resume point as one line of text (compact JSON has no raw newline). */
export function encodeResume(point: ResumePoint): EncodedResume {
  const scopes: ScopeJson[] = [];
  const places = new Map<VariableScope, number>();
  const runs: MapRunHandle[] = [];

  const placeOf = (scope: VariableScope): number => {
    const known = places.get(scope);
    if (known !== undefined) return known;
    const enclosing = scope.enclosing ? placeOf(scope.enclosing) : -1;
    const place = scopes.push([enclosing, scope.ownEntries()]) - 1;
    places.set(scope, place);
    return place;
  };

  const outcome = (branch: BranchOutcome): OutcomeJson => {
    if (branch === undefined) return null;
    return 'output' in branch ? { output: branch.output } : { resume: pointJson(branch.resume) };
  };

  const innerJson = (inner: InnerResume): InnerJson =>
    inner.kind === 'mapRun'
      ? { kind: 'mapRun', run: runs.push(inner.run) - 1 }
      : { kind: 'branches', outcomes: inner.outcomes.map(outcome) };

  function pointJson(resume: ResumePoint): PointJson {
    const json: PointJson = { state: resume.state, input: resume.input, variables: placeOf(resume.variables) };
    if (resume.item !== undefined) json.item = resume.item;
    if (resume.inner !== undefined) json.inner = innerJson(resume.inner);
    return json;
  }

  const encoded: ResumeJson = { point: pointJson(point), scopes };
  return { text: JSON.stringify(encoded), runs };
}

/** Reads back what {@link encodeResume} wrote, given the Map Runs it returned beside the text. */
export function decodeResume(text: string, runs: readonly MapRunHandle[]): ResumePoint {
  const { scopes, point } = JSON.parse(text) as ResumeJson;
  // An enclosing scope is always written before the scopes it encloses.
  const restored: VariableScope[] = [];
  for (const [enclosing, entries] of scopes)
    restored.push(VariableScope.restore(enclosing < 0 ? undefined : restored[enclosing], entries));

  const outcome = (branch: OutcomeJson): BranchOutcome => {
    if (branch === null) return undefined;
    return 'output' in branch ? { output: branch.output } : { resume: resumePoint(branch.resume) };
  };

  function resumePoint(json: PointJson): ResumePoint {
    const resume: ResumePoint = { state: json.state, input: json.input, variables: restored[json.variables]! };
    if (json.item !== undefined) resume.item = json.item;
    if (json.inner?.kind === 'mapRun') resume.inner = { kind: 'mapRun', run: runs[json.inner.run]! };
    else if (json.inner) resume.inner = { kind: 'branches', outcomes: json.inner.outcomes.map(outcome) };
    return resume;
  }

  return resumePoint(point);
}
