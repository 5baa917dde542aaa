/**
 * Workflow variables at run time (docs: step-functions/latest/dg/workflow-variables.html): each
 * scope (the execution's top level, a Parallel branch, an inline Map iteration, a Distributed Map
 * child) keeps its own variables and reads those of the scopes around it, except a Distributed
 * Map child, which starts a scope of its own.
 */

import { StatesError, StatesErrors } from '../errors';
import type { VariableReader } from '../expressions';
import type { Json, JsonObject } from '../types';

/** What the values of one Assign may weigh together (docs: workflow-variables.html, "Limits": 256 KiB). */
const ASSIGN_LIMIT_BYTES = 256 * 1024;
/** What all stored variables may weigh in one execution (docs: workflow-variables.html, "Limits": 10 MiB). */
const EXECUTION_LIMIT_BYTES = 10 * 1024 * 1024;

const sizeOf = (value: Json): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

export class VariableScope implements VariableReader {
  private readonly values = new Map<string, Json>();
  private readonly sizes = new Map<string, number>();
  /** The size of this scope's own values, each as JSON text. */
  private bytes = 0;

  /** `parent`: the scope whose variables this one may read (none for a Distributed Map child). */
  constructor(private readonly parent?: VariableScope) {}

  get(name: string): Json | undefined {
    return this.values.has(name) ? this.values.get(name) : this.parent?.get(name);
  }

  /** Every variable this scope can read, inner values first: what a JSONata expression is given. */
  snapshot(): Record<string, Json> {
    const out: Record<string, Json> = this.parent ? this.parent.snapshot() : {};
    for (const [name, value] of this.values) out[name] = value;
    return out;
  }

  /**
   * Sets the values a state's Assign produced, once the state is done: every expression of the
   * state read the values from before (docs: workflow-variables.html, "Evaluation order in an
   * assign field"). The values of one Assign are limited to 256 KiB together (and so each one), the
   * variables stored to 10 MiB: counted over this scope and the scopes around it, the variables
   * the assigning state can see (concurrent branches and iterations are not added together).
   */
  assign(values: JsonObject, stateName: string): void {
    const bytes = Buffer.byteLength(JSON.stringify(values), 'utf8');
    if (bytes > ASSIGN_LIMIT_BYTES) {
      throw new StatesError(
        StatesErrors.DataLimitExceeded,
        `The variables assigned by state '${stateName}' have a size of ${bytes} bytes, which exceeds the maximum of ${ASSIGN_LIMIT_BYTES} bytes.`,
      );
    }
    const sizes = new Map(Object.entries(values).map(([name, value]) => [name, sizeOf(value)]));
    let own = this.bytes;
    for (const [name, size] of sizes) own += size - (this.sizes.get(name) ?? 0);
    const stored = own + (this.parent?.storedBytes() ?? 0);
    if (stored > EXECUTION_LIMIT_BYTES) {
      throw new StatesError(
        StatesErrors.DataLimitExceeded,
        `The variables stored after state '${stateName}' would have a size of ${stored} bytes, which exceeds the maximum of ${EXECUTION_LIMIT_BYTES} bytes per execution.`,
      );
    }
    for (const [name, value] of Object.entries(values)) this.values.set(name, value);
    for (const [name, size] of sizes) this.sizes.set(name, size);
    this.bytes = own;
  }

  /** The scope whose variables this one may read. */
  get enclosing(): VariableScope | undefined {
    return this.parent;
  }

  /** This scope's own variables, in the order they were first assigned. */
  ownEntries(): [string, Json][] {
    return [...this.values];
  }

  /**
   * A scope holding `entries` as its own, as a redrive finds it again after it was kept as text
   * (resume-codec.ts). The values were within the limits when they were assigned.
   */
  static restore(parent: VariableScope | undefined, entries: readonly [string, Json][]): VariableScope {
    const scope = new VariableScope(parent);
    for (const [name, value] of entries) {
      const size = sizeOf(value);
      scope.values.set(name, value);
      scope.sizes.set(name, size);
      scope.bytes += size;
    }
    return scope;
  }

  /** The size of the variables stored in this scope and the scopes around it. */
  private storedBytes(): number {
    return this.bytes + (this.parent?.storedBytes() ?? 0);
  }
}
