import type { UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransitionValuesError } from '../errors';
import { FAILED_RUN_ID_ATTRIBUTE, type ItemRow, ItemStatus } from './schema';

/**
 * Every way an item row may change after Prepare created it PENDING, each written down once:
 * the status it moves to, the attributes it sets and removes, and the condition that keeps a
 * late or duplicate writer from moving the row backwards (SUCCEEDED is final).
 *
 * The Lambdas and the CLI build their UpdateItem calls from these definitions with `itemUpdate`.
 * The map state machine writes three of them itself (RecordOutcome, RecordJobFailure,
 * RecordTaskError: optimized DynamoDB integration, no Lambda); its expressions cannot call this
 * code, so test/run/ledger/asl-parity.test.ts fails when they differ from the definitions here.
 *
 * ```
 *            Prepare                         child / Collect / resume / Summarize
 *  (none) ──────────► PENDING ─┬─ recordSuccess, recoverSuccess ──────────► SUCCEEDED (final)
 *                     RETRYING ┼─ recordJobFailure, recordLost ───────────► FAILED
 *                              ├─ recordTaskError, abortUnrecorded ───────► FAILED
 *                              └─ reschedule (resume: never started) ────► same status, next round
 *                       FAILED ─┬─ claimRetry ───────────────────────────► RETRYING (attempt + 1)
 *                               ├─ claimNotStarted (class NOT_STARTED) ──► RETRYING (same attempt)
 *                               └─ abandon ──────────────────────────────► ABANDONED
 *                     RETRYING ─── adoptClaim (the claimant, run again) ─► same status, its round
 * ```
 */

/** One transition: `set` maps an attribute to the right-hand side of its `SET #attribute = ...`. */
export interface ItemTransition {
  readonly name: string;
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
  readonly condition: string;
}

/** What a job that succeeded leaves on its row; a failure's leftovers are removed. */
const SUCCESS = {
  set: {
    status: ':succeeded',
    jobId: ':jobId',
    exitCode: ':exitCode',
    logStream: ':logStream',
    startedAt: ':startedAt',
    stoppedAt: ':stoppedAt',
    queue: ':queue',
    updatedAt: ':updatedAt',
  },
  remove: ['error', 'cause', 'failureClass', 'statusReason', 'containerReason', FAILED_RUN_ID_ATTRIBUTE],
} as const;

/** A job that ran and failed: its id, exit code, reasons and log replace the previous attempt's. */
const JOB_FAILURE = {
  set: {
    status: ':failed',
    failureClass: ':failureClass',
    error: ':error',
    cause: ':cause',
    jobId: ':jobId',
    exitCode: ':exitCode',
    statusReason: ':statusReason',
    containerReason: ':containerReason',
    logStream: ':logStream',
    queue: ':queue',
    [FAILED_RUN_ID_ATTRIBUTE]: ':runId',
    updatedAt: ':updatedAt',
  },
  remove: ['startedAt', 'stoppedAt'],
} as const;

/** A failure with no job to describe (an API error, an aborted child): the previous attempt's job is removed. */
const TASK_ERROR = {
  set: {
    status: ':failed',
    failureClass: ':failureClass',
    error: ':error',
    cause: ':cause',
    queue: ':queue',
    [FAILED_RUN_ID_ATTRIBUTE]: ':runId',
    updatedAt: ':updatedAt',
  },
  remove: ['jobId', 'exitCode', 'statusReason', 'containerReason', 'logStream', 'startedAt', 'stoppedAt'],
} as const;

/** Written by the child of the round the row is in (or a later round's Collect): never over a final row. */
const BY_ITS_ROUND =
  'attribute_exists(#itemId) AND #status <> :succeeded AND #status <> :abandoned AND #round <= :round';
/** Only if nobody moved the row since it was read. */
const AS_READ = '#status = :seenStatus AND #attempt = :seenAttempt';
/** A FAILED row, only if nobody claimed it since it was read. */
const FAILED_AS_READ = '#status = :failed AND #attempt = :seenAttempt';
/** A row whose child never recorded an outcome in this round. */
const UNRECORDED = '(#status = :pending OR #status = :retrying) AND #round <= :round';

const APPEND_ATTEMPT = 'list_append(if_not_exists(#attempts, :none), :record)';

export const ITEM_TRANSITIONS = {
  /** A child's job SUCCEEDED (map: RecordOutcome; array: Collect). */
  recordSuccess: { name: 'recordSuccess', ...SUCCESS, condition: BY_ITS_ROUND },
  /** A child's job FAILED (map: RecordJobFailure; array: Collect). */
  recordJobFailure: { name: 'recordJobFailure', ...JOB_FAILURE, condition: BY_ITS_ROUND },
  /** A child's task failed without a failed job: `Batch.<Code>`, a timeout of the task (map: RecordTaskError; array: Collect). */
  recordTaskError: { name: 'recordTaskError', ...TASK_ERROR, condition: BY_ITS_ROUND },
  /** Resume found that the row's job SUCCEEDED although its outcome was never written. */
  recoverSuccess: { name: 'recoverSuccess', ...SUCCESS, condition: AS_READ },
  /** Resume found the row's job lost with the execution that submitted it (class ABORTED). */
  recordLost: { name: 'recordLost', ...JOB_FAILURE, condition: AS_READ },
  /** Summarize: the Map failed and aborted the row's child before it recorded anything (class ABORTED). */
  abortUnrecorded: { name: 'abortUnrecorded', ...TASK_ERROR, condition: UNRECORDED },
  /** Resume: the row's job never started; it runs in the next round as it is. */
  reschedule: { name: 'reschedule', set: { round: ':round', updatedAt: ':updatedAt' }, remove: [], condition: AS_READ },
  /** The retry path claims a FAILED row for another attempt in round `:round`. */
  claimRetry: {
    name: 'claimRetry',
    set: {
      status: ':retrying',
      attempt: ':nextAttempt',
      round: ':round',
      attempts: APPEND_ATTEMPT,
      claimedBy: ':claimedBy',
      updatedAt: ':updatedAt',
    },
    remove: [],
    condition: FAILED_AS_READ,
  },
  /** The retry path takes a FAILED row whose job never started (NOT_STARTED) into round `:round`, as the same attempt. */
  claimNotStarted: {
    name: 'claimNotStarted',
    set: { status: ':retrying', round: ':round', claimedBy: ':claimedBy', updatedAt: ':updatedAt' },
    remove: [],
    condition: FAILED_AS_READ,
  },
  /**
   * The execution that claimed a row, claiming again after it died before its manifest was
   * written (a Retry Lambda or Prepare retried by Step Functions), takes the row into its round.
   */
  adoptClaim: {
    name: 'adoptClaim',
    set: { round: ':round', updatedAt: ':updatedAt' },
    remove: [],
    condition: '#status = :retrying AND #claimedBy = :claimedBy',
  },
  /** The retry path gives up on a FAILED row: not idempotent-safe or out of attempts. */
  abandon: {
    name: 'abandon',
    set: { status: ':abandoned', attempts: APPEND_ATTEMPT, updatedAt: ':updatedAt' },
    remove: [],
    condition: FAILED_AS_READ,
  },
} as const satisfies Record<string, ItemTransition>;

/** The map state machine's own ledger writes (statemachine/map.asl.json), by state name. */
export const MAP_STATE_TRANSITIONS: Readonly<Record<string, ItemTransition>> = {
  RecordOutcome: ITEM_TRANSITIONS.recordSuccess,
  RecordJobFailure: ITEM_TRANSITIONS.recordJobFailure,
  RecordTaskError: ITEM_TRANSITIONS.recordTaskError,
};

/** Values every transition may use without the caller passing them. */
const CONSTANT_VALUES: Readonly<Record<string, unknown>> = {
  ':succeeded': ItemStatus.SUCCEEDED,
  ':failed': ItemStatus.FAILED,
  ':abandoned': ItemStatus.ABANDONED,
  ':pending': ItemStatus.PENDING,
  ':retrying': ItemStatus.RETRYING,
  ':none': [],
};

/**
 * The UpdateExpression of a transition.
 * @example updateExpressionOf(ITEM_TRANSITIONS.reschedule) // 'SET #round = :round, #updatedAt = :updatedAt'
 */
export function updateExpressionOf(transition: ItemTransition): string {
  const set = Object.entries(transition.set).map(([attribute, value]) => `#${attribute} = ${value}`);
  const remove = transition.remove.map((attribute) => `#${attribute}`);
  return `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`;
}

const referenced = (pattern: RegExp, ...texts: string[]): string[] => [
  ...new Set(texts.flatMap((text) => text.match(pattern) ?? [])),
];

/** `#name → name` for every attribute the transition's expressions mention (DynamoDB refuses unused ones). */
export function attributeNamesOf(transition: ItemTransition): Record<string, string> {
  const names = referenced(/#[A-Za-z0-9_]+/g, updateExpressionOf(transition), transition.condition);
  return Object.fromEntries(names.map((name) => [name, name.slice(1)]));
}

/** Every `:value` the transition's expressions use, the constants included. */
export function valuePlaceholdersOf(transition: ItemTransition): string[] {
  return referenced(/:[A-Za-z0-9_]+/g, updateExpressionOf(transition), transition.condition);
}

/** The constant values (statuses, the empty list) a transition uses, as the ASL must spell them too. */
export function constantValuesOf(transition: ItemTransition): Record<string, unknown> {
  return Object.fromEntries(
    valuePlaceholdersOf(transition)
      .filter((placeholder) => placeholder in CONSTANT_VALUES)
      .map((placeholder) => [placeholder, CONSTANT_VALUES[placeholder]]),
  );
}

/**
 * The UpdateItem input of a transition of one row. `values` holds every placeholder the
 * transition uses except the constants (statuses, `:none`).
 * @throws TransitionValuesError when a value is missing or not used by the transition.
 * @example
 * new UpdateCommand(itemUpdate('fanout-ledger', { runId, itemId }, ITEM_TRANSITIONS.reschedule, {
 *   ':seenStatus': row.status, ':seenAttempt': row.attempt, ':round': 2, ':updatedAt': now,
 * }))
 */
export function itemUpdate(
  tableName: string,
  key: Pick<ItemRow, 'runId' | 'itemId'>,
  transition: ItemTransition,
  values: Readonly<Record<string, unknown>>,
  options: { returnNewRow?: boolean } = {},
): UpdateCommandInput {
  const wanted = valuePlaceholdersOf(transition).filter((placeholder) => !(placeholder in CONSTANT_VALUES));
  const missing = wanted.filter((placeholder) => !(placeholder in values));
  const unused = Object.keys(values).filter((placeholder) => !wanted.includes(placeholder));
  if (missing.length > 0 || unused.length > 0) {
    throw new TransitionValuesError(
      `ledger transition ${transition.name} needs values for exactly ${wanted.join(', ')}` +
        `${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${unused.length > 0 ? `; not used ${unused.join(', ')}` : ''}`,
    );
  }
  return {
    TableName: tableName,
    Key: { runId: key.runId, itemId: key.itemId },
    UpdateExpression: updateExpressionOf(transition),
    ConditionExpression: transition.condition,
    ExpressionAttributeNames: attributeNamesOf(transition),
    ExpressionAttributeValues: { ...constantValuesOf(transition), ...values },
    ...(options.returnNewRow ? { ReturnValues: 'ALL_NEW' as const } : {}),
  };
}

/** The row Prepare writes for an accepted item: the start of every transition above. */
export function pendingItemRow(
  fields: Pick<ItemRow, 'runId' | 'itemId' | 'idempotent' | 'jobName' | 'kwargs' | 'createdAt'>,
): ItemRow {
  return { ...fields, status: ItemStatus.PENDING, attempt: 1, round: 1 };
}
