import { type InputIssue, jsonPreview } from '../errors';

/**
 * How deeply arrays and objects may nest in an execution input, checked before the schema
 * (whose JSON rule, like `JSON.stringify`, recurses and would overflow the stack on a deep enough value).
 */

/**
 * The most levels of arrays and objects a kwarg value (or any other field's value) may nest:
 * DynamoDB's limit for one attribute (docs: amazondynamodb/latest/developerguide/
 * ServiceQuotas.html#limits-attributes), so a job can store its kwargs as a document.
 * `1` nests 0 levels, `[1]` one, `{"a": [1]}` two.
 */
export const MAX_NESTING = 32;

const isContainer = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** The levels of arrays and objects in a value, counted without recursion and only up to `limit + 1`. */
export function nestingDepth(value: unknown, limit = MAX_NESTING): number {
  let deepest = 0;
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (!isContainer(next.value)) continue;
    const depth = next.depth + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(next.value)) if (isContainer(child)) pending.push({ value: child, depth });
  }
  return deepest;
}

function checkValue(path: string, value: unknown, issues: InputIssue[]): void {
  if (nestingDepth(value) <= MAX_NESTING) return;
  issues.push({
    path,
    message: `must nest arrays and objects at most ${MAX_NESTING} levels deep (DynamoDB's limit for one attribute), but nests deeper`,
    received: jsonPreview(value),
  });
}

function checkEntries(prefix: string, container: unknown, issues: InputIssue[]): void {
  if (!isContainer(container)) return;
  for (const [key, value] of Object.entries(container)) checkValue(`${prefix}.${key}`, value, issues);
}

/**
 * The kwarg values of one item entry that nest too deeply, each named by its path (`where.name`).
 * @example entryNestingIssues({ seed: 1, config: deep }, 'source line 4') // [{ path: 'source line 4.config', ... }]
 */
export function entryNestingIssues(entry: unknown, where: string): InputIssue[] {
  const issues: InputIssue[] = [];
  if (isContainer(entry) && !Array.isArray(entry)) checkEntries(where, entry, issues);
  else checkValue(where, entry, issues);
  return issues;
}

/**
 * Every value of an execution input that nests more than {@link MAX_NESTING} levels, named by
 * its field path. Levels count from each kwarg value (`items.0.config`, `grid.size.2`,
 * `replicas.kwargs.config`, `aggregate.kwargs.config`), and from each other field's value.
 * @example inputNestingIssues({ items: [{ x: deep }] }) // [{ path: 'items.0.x', message: 'must nest ...', received: '[[[[…' }]
 */
export function inputNestingIssues(raw: unknown): InputIssue[] {
  const issues: InputIssue[] = [];
  if (!isContainer(raw) || Array.isArray(raw)) return issues;
  for (const [field, value] of Object.entries(raw)) {
    if (field === 'items' && Array.isArray(value)) {
      value.forEach((entry, index) => {
        issues.push(...entryNestingIssues(entry, `items.${index}`));
      });
    } else if (field === 'grid' && isContainer(value) && !Array.isArray(value)) {
      for (const [name, values] of Object.entries(value)) {
        if (Array.isArray(values)) checkEntries(`grid.${name}`, values, issues);
        else checkValue(`grid.${name}`, values, issues);
      }
    } else if ((field === 'replicas' || field === 'aggregate') && isContainer(value) && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (key === 'kwargs' && isContainer(child) && !Array.isArray(child))
          checkEntries(`${field}.kwargs`, child, issues);
        else checkValue(`${field}.${key}`, child, issues);
      }
    } else {
      checkValue(field, value, issues);
    }
  }
  return issues;
}
