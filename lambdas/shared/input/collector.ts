import { createHash } from 'node:crypto';
import { placeholderNames } from '../../../job/invocation';
import { describeValue, FanoutInputError, type InputIssue } from '../errors';
import { entryNestingIssues } from './nesting';
import { toInputIssues } from './private/zod-issues';
import { itemEntrySchema, MAX_ITEMS } from './schema';
import { type RequestContext, RequestSizer, SIZE_LIMITS } from './sizing';

/**
 * Turns a run's entries, from any source, into prepared items: identities, job names and
 * request sizes, every item checked before anything is written.
 */

/** One item, ready for the manifest and the ledger. */
export interface PreparedItem {
  readonly itemId: string;
  readonly jobName: string;
  /** The kwargs as JSON text: exactly what `FANOUT_KWARGS` carries. */
  readonly kwargsJson: string;
  readonly idempotent: boolean;
}

/** What every item of a run shares; request sizes depend on all of it but `idempotent`. */
export interface RunContext extends RequestContext {
  /** Default for items that do not set `idempotent`. */
  readonly idempotent: boolean;
}

const MAX_JOB_NAME = 128;

/**
 * The Batch job name of an item: `<runId>-<itemId>` with `.` mapped to `_`; names longer
 * than 128 characters keep their start and end with a short hash of the item id, so they
 * stay readable and distinct.
 * @example jobNameFor('sweep-1', 'a.b') // 'sweep-1-a_b'
 */
export function jobNameFor(runId: string, itemId: string): string {
  const name = `${runId}-${itemId.replaceAll('.', '_')}`;
  if (name.length <= MAX_JOB_NAME) return name;
  const hash = createHash('sha256').update(itemId).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_JOB_NAME - hash.length - 1)}-${hash}`;
}

interface CollectedEntry {
  where: string;
  explicitId: string | undefined;
  idempotent: boolean | undefined;
  kwargsJson: string;
}

const MAX_ISSUES = 50;

/**
 * Collects a run's items from any source, then assigns identities and checks every item's
 * request sizes. Issues are gathered across items (up to 50) and thrown together, so one
 * attempt shows the user every broken item rather than the first.
 */
export class ItemCollector {
  private readonly entries: CollectedEntry[] = [];
  private readonly issues: InputIssue[] = [];
  /** Explicit id -> the `where` of the entry that declared it. */
  private readonly explicitIds = new Map<string, string>();
  /**
   * Items lacking the same placeholders' kwargs, by those names: one issue each, naming the
   * first item and counting the rest, since one broken command would otherwise repeat its
   * message for every item.
   */
  private readonly missingKwargs = new Map<string, { index: number; first: InputIssue; count: number }>();
  private overflowed = false;

  /** Kwarg names the run's command refers to; every item must have them (checked before anything is submitted). */
  private readonly requiredKwargs: readonly string[];

  constructor(private readonly context: RunContext) {
    this.requiredKwargs = [...new Set(context.command.flatMap((argument) => placeholderNames(argument)))];
  }

  get count(): number {
    return this.entries.length;
  }

  /**
   * Adds one entry; `where` names it in errors (`items.3`, `source line 4`, ...). Entries
   * that already passed the execution input schema (inline items, grid, replicas) skip the
   * per-entry schema check, which would otherwise dominate the cost of large runs.
   */
  add(entry: unknown, where: string, alreadyValidated = false): void {
    if (this.entries.length >= MAX_ITEMS) {
      if (!this.overflowed) this.report({ path: where, message: `a run has at most ${MAX_ITEMS} items` });
      this.overflowed = true;
      return;
    }
    if (!alreadyValidated) {
      const tooDeep = entryNestingIssues(entry, where);
      if (tooDeep.length > 0) {
        for (const issue of tooDeep) this.report(issue);
        return;
      }
      const parsed = itemEntrySchema.safeParse(entry, { reportInput: true });
      if (!parsed.success) {
        for (const issue of toInputIssues(parsed.error))
          this.report({ ...issue, path: issue.path === '(root)' ? where : `${where}.${issue.path}` });
        return;
      }
    }
    const source = entry as Record<string, unknown> & { id?: string | number; idempotent?: boolean };
    const kwargs: Record<string, unknown> = {};
    for (const name of Object.keys(source)) {
      if (name !== 'id' && name !== 'idempotent') kwargs[name] = source[name];
    }
    const missing = this.requiredKwargs.filter((name) => !Object.hasOwn(kwargs, name));
    if (missing.length > 0) {
      this.reportMissingKwargs(missing, where, kwargs);
      return;
    }
    const explicitId = source.id === undefined ? undefined : String(source.id);
    if (explicitId !== undefined) {
      const previous = this.explicitIds.get(explicitId);
      if (previous !== undefined) {
        this.report({
          path: `${where}.id`,
          message: `duplicate item id, already used by ${previous}`,
          received: describeValue(explicitId),
        });
      } else {
        this.explicitIds.set(explicitId, where);
      }
    }
    this.entries.push({ where, explicitId, idempotent: source.idempotent, kwargsJson: JSON.stringify(kwargs) });
  }

  private reportMissingKwargs(missing: readonly string[], where: string, kwargs: Record<string, unknown>): void {
    const placeholders = missing.map((name) => `{${name}}`).join(', ');
    const seen = this.missingKwargs.get(placeholders);
    if (seen === undefined) {
      const first: InputIssue = {
        path: where,
        message: `the command uses ${placeholders} but this item has no kwarg of that name (write {{name}} for literal braces)`,
        received: describeValue(kwargs),
      };
      if (this.issues.length < MAX_ISSUES)
        this.missingKwargs.set(placeholders, { index: this.issues.length, first, count: 1 });
      this.report(first);
      return;
    }
    seen.count += 1;
    this.issues[seen.index] = {
      ...seen.first,
      message: `the command uses ${placeholders} but ${seen.count} items have no kwarg of that name, this one first (write {{name}} for literal braces)`,
    };
  }

  /** Records an issue found outside `add` (e.g. an unreadable source line). */
  report(issue: InputIssue): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push(issue);
  }

  /**
   * Assigns ids (the user's, else the zero-padded position; width = digits of N), derives
   * job names and checks sizes for every item.
   * @throws FanoutInputError listing every issue found, including those from `add`.
   */
  finish(sourceName = 'items'): PreparedItem[] {
    const total = this.entries.length;
    if (total === 0 && this.issues.length === 0)
      this.report({ path: sourceName, message: 'the item source yielded no items' });
    const width = String(total).length;
    const sizer = new RequestSizer(this.context);
    const overridesLimit = SIZE_LIMITS.containerOverrides - SIZE_LIMITS.containerOverridesReservedForBatch;
    const items: PreparedItem[] = [];
    if (this.issues.length > 0) throw new FanoutInputError(this.issues);
    for (let index = 0; index < total; index += 1) {
      const entry = this.entries[index] as CollectedEntry;
      const itemId = entry.explicitId ?? String(index).padStart(width, '0');
      if (entry.explicitId === undefined) {
        const holder = this.explicitIds.get(itemId);
        if (holder !== undefined) {
          this.report({
            path: entry.where,
            message: `its positional id "${itemId}" is already used as an explicit id by ${holder}`,
            received: describeValue(itemId),
          });
        }
      }
      const jobName = jobNameFor(this.context.runId, itemId);
      const item: PreparedItem = {
        itemId,
        jobName,
        kwargsJson: entry.kwargsJson,
        idempotent: entry.idempotent ?? this.context.idempotent,
      };
      const sizes = sizer.sizes(item);
      if (sizes.containerOverrides > overridesLimit) {
        this.report({
          path: entry.where,
          message: `its Batch container overrides (command + FANOUT_KWARGS) would take ${sizes.containerOverrides} bytes; at most ${overridesLimit} are allowed (ECS allows ${SIZE_LIMITS.containerOverrides}, ${SIZE_LIMITS.containerOverridesReservedForBatch} are left to Batch)`,
          received: describeValue(entry.kwargsJson),
        });
      } else if (sizes.submitJobPayload > SIZE_LIMITS.submitJobPayload) {
        this.report({
          path: entry.where,
          message: `its SubmitJob request would take ${sizes.submitJobPayload} bytes; Batch accepts at most ${SIZE_LIMITS.submitJobPayload}`,
          received: describeValue(entry.kwargsJson),
        });
      } else if (sizes.childInput > SIZE_LIMITS.statePayload) {
        this.report({
          path: entry.where,
          message: `its child execution input would take ${sizes.childInput} bytes; Step Functions accepts at most ${SIZE_LIMITS.statePayload}`,
          received: describeValue(entry.kwargsJson),
        });
      }
      items.push(item);
    }
    if (this.issues.length > 0) throw new FanoutInputError(this.issues);
    return items;
  }
}
