import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  type AttemptRecord,
  FAILED_ITEMS_INDEX,
  FAILED_RUN_ID_ATTRIBUTE,
  FailureClass,
  ITEM_TRANSITIONS,
  type ItemRow,
  ItemStatus,
  itemUpdate,
  type RunHeaderRow,
  roundRaisedUpdate,
} from '../../run';
import { indexedManifest, manifestIndexKey, manifestLine } from './manifest';

/**
 * Claiming a run's retry candidates: shared by the Retry Lambda (automatic rounds) and by
 * Prepare when an execution re-runs an earlier run (`retryOf`), so both follow one rule.
 */

const MAX_JOB_NAME = 128;
/** Conditional writes in flight at once; DynamoDB absorbs far more, a Lambda's sockets fewer. */
const CLAIM_CONCURRENCY = 16;

/**
 * The Batch job name of an item's attempt: the item's own name for the first, `-a<n>` added
 * for later ones (cut from the end of the item's name when the whole would exceed 128
 * characters), so each attempt's job is easy to tell apart in the Batch console.
 * @example attemptJobName('sweep-1-07', 2) // 'sweep-1-07-a2'
 */
export function attemptJobName(jobName: string, attempt: number): string {
  if (attempt <= 1) return jobName;
  const suffix = `-a${attempt}`;
  return `${jobName.slice(0, MAX_JOB_NAME - suffix.length)}${suffix}`;
}

/** What a retry does with one FAILED row: `rerun` runs an item that never started as the same attempt. */
export type RetryDecision = 'claim' | 'rerun' | 'abandon' | 'keep';

/**
 * A failed item is re-run when that is safe (it is idempotent, or its job never started) and it
 * has attempts left; a safe item out of attempts is abandoned; anything else stays FAILED. A job
 * that could not start its command (START_ERROR) stays FAILED: it would fail the same way again.
 * An item the run stopped before submitting (NOT_STARTED) used no attempt: it always runs.
 */
export function retryDecision(
  row: Pick<ItemRow, 'idempotent' | 'failureClass' | 'attempt'>,
  maxAttempts: number,
): RetryDecision {
  if (row.failureClass === FailureClass.NOT_STARTED) return 'rerun';
  if (row.failureClass === FailureClass.START_ERROR) return 'keep';
  const safe = row.idempotent === true || row.failureClass === FailureClass.SUBMIT_ERROR;
  if (!safe) return 'keep';
  return row.attempt < maxAttempts ? 'claim' : 'abandon';
}

/**
 * Thresholds of a retry round. The run's threshold is a share of the whole run, so a retry
 * round, whose items are a few of the run's, gets it as a count of the run's items (and 100 %):
 * failures over `floor(percentage × itemCount / 100)` exceed the percentage exactly when they
 * exceed that count, since failures are whole.
 * @example retryRoundThresholds({ toleratedFailurePercentage: 10, toleratedFailureCount: 20, itemCount: 20 }) // count 2
 */
export function retryRoundThresholds(
  run: Pick<RunHeaderRow, 'toleratedFailurePercentage' | 'toleratedFailureCount' | 'itemCount'>,
): {
  toleratedFailurePercentage: number;
  toleratedFailureCount: number;
} {
  const byPercentage = Math.floor((run.toleratedFailurePercentage * run.itemCount) / 100 + 1e-9);
  return { toleratedFailurePercentage: 100, toleratedFailureCount: Math.min(run.toleratedFailureCount, byPercentage) };
}

/** Where claims are written and what they depend on. */
export interface ClaimDependencies {
  s3: S3Client;
  ledger: DynamoDBDocumentClient;
  tableName: string;
  bucket: string;
  now: () => Date;
  /** Makes each manifest key unique, so two claims on one run never overwrite each other's manifest. */
  newId: () => string;
}

/** The outcome of claiming a run's candidates for one round. */
export interface ClaimedRound {
  /** The claimed items' manifest; null when nothing was claimed, unless an empty one was asked for. */
  manifest: { bucket: string; key: string } | null;
  itemCount: number;
  round: number;
  /** Items that ran out of attempts in this call and are now ABANDONED. */
  abandonedCount: number;
  /** The manifest's offset index, when an indexed manifest was asked for (the array path). */
  index?: { bucket: string; key: string };
}

/** How a round's manifest is written. */
export interface RoundManifestOptions {
  /** Write a manifest even when nothing was claimed (a Map over zero items). */
  emptyManifest?: boolean;
  /** Also write the manifest's offset index (`<key>.idx`), for array children to read their item. */
  indexed?: boolean;
}

/** How one round's candidates are claimed. */
export interface ClaimOptions extends RoundManifestOptions {
  /**
   * The execution that claims (its ARN). Rows it claimed in an earlier try that died before
   * writing the manifest (a Lambda timeout retried by the state machine) are taken again instead
   * of being left RETRYING with no manifest naming them.
   */
  claimant: string;
}

function attemptRecord(row: ItemRow): AttemptRecord {
  return {
    attempt: row.attempt,
    ...(row.jobId ? { jobId: row.jobId } : {}),
    ...(row.failureClass ? { failureClass: row.failureClass } : {}),
    ...(row.statusReason ? { statusReason: row.statusReason } : {}),
  };
}

/** True when a conditional write was refused by its condition. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string } | null)?.name === 'ConditionalCheckFailedException'
  );
}

/**
 * Finds the run's FAILED rows through the sparse `failed-items` index, claims those that are safe
 * to re-run and have attempts left (RETRYING, attempt + 1, round `nextRound`), abandons the safe
 * ones out of attempts, and writes the claimed items' manifest. Every move is conditional on the
 * row being as it was read, so two concurrent claims never take one item twice. The header's
 * `round` is raised to `nextRound` when items were claimed (never moved back).
 * @param options.emptyManifest write a manifest even when nothing was claimed (a Map over zero items).
 * @example await claimRetryCandidates(deps, run, 2, { claimant: executionArn })
 */
export async function claimRetryCandidates(
  deps: ClaimDependencies,
  run: Pick<RunHeaderRow, 'runId' | 'retry'>,
  nextRound: number,
  options: ClaimOptions,
): Promise<ClaimedRound> {
  const { runId } = run;
  const maxAttempts = run.retry.maxAttempts;
  const updatedAt = deps.now().toISOString();
  const { claimant } = options;

  const transition = (row: ItemRow, decision: 'claim' | 'rerun' | 'abandon' | 'adopt'): Promise<boolean> =>
    decision === 'adopt'
      ? adoptClaimedRow(deps, runId, row, nextRound, updatedAt, claimant)
      : moveFailedRow(deps, runId, row, decision, nextRound, updatedAt, claimant);

  const lines: string[] = [];
  let abandonedCount = 0;
  let exclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ledger.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: FAILED_ITEMS_INDEX,
        KeyConditionExpression: '#failedRunId = :runId',
        // A claimed row keeps its place in the sparse index, so a claimant's own earlier claims are found too.
        FilterExpression: '#status = :failed OR (#status = :retrying AND #claimedBy = :claimant)',
        ExpressionAttributeNames: {
          '#failedRunId': FAILED_RUN_ID_ATTRIBUTE,
          '#status': 'status',
          '#claimedBy': 'claimedBy',
        },
        ExpressionAttributeValues: {
          ':runId': runId,
          ':failed': ItemStatus.FAILED,
          ':retrying': ItemStatus.RETRYING,
          ':claimant': claimant,
        },
        ...(exclusiveStartKey ? { ExclusiveStartKey: exclusiveStartKey } : {}),
      }),
    );
    const work = (page.Items ?? []) as ItemRow[];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const row = work[next++] as ItemRow;
        const adopted = row.status === ItemStatus.RETRYING;
        const decision = adopted ? 'adopt' : retryDecision(row, maxAttempts);
        if (decision === 'keep') continue;
        if (!(await transition(row, decision))) continue;
        if (decision === 'abandon') {
          abandonedCount += 1;
          continue;
        }
        // An adopted row was moved to its next attempt when it was first claimed; an item that
        // never started runs as the attempt it never made.
        const attempt = adopted || decision === 'rerun' ? row.attempt : row.attempt + 1;
        lines.push(
          manifestLine({
            itemId: row.itemId,
            jobName: attemptJobName(row.jobName, attempt),
            kwargsJson: row.kwargs,
            idempotent: row.idempotent,
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLAIM_CONCURRENCY, work.length) }, worker));
    exclusiveStartKey = page.LastEvaluatedKey;
  } while (exclusiveStartKey);

  return { ...(await writeRoundManifest(deps, runId, nextRound, lines, options)), abandonedCount };
}

/**
 * Moves a FAILED row to RETRYING (`claim`: attempt + 1, round `nextRound`) or ABANDONED, its last
 * attempt appended to `attempts`, only if nobody moved it since it was read (`status = FAILED AND
 * attempt = :seen`). Returns false when the condition refused the move: another claim or a late
 * writer got there first, and the row is theirs.
 */
export async function moveFailedRow(
  deps: Pick<ClaimDependencies, 'ledger' | 'tableName'>,
  runId: string,
  row: ItemRow,
  decision: 'claim' | 'rerun' | 'abandon',
  nextRound: number,
  updatedAt: string,
  claimant: string,
): Promise<boolean> {
  const values = { ':seenAttempt': row.attempt, ':record': [attemptRecord(row)], ':updatedAt': updatedAt };
  try {
    await deps.ledger.send(
      new UpdateCommand(
        decision === 'rerun'
          ? itemUpdate(deps.tableName, { runId, itemId: row.itemId }, ITEM_TRANSITIONS.claimNotStarted, {
              ':seenAttempt': row.attempt,
              ':round': nextRound,
              ':claimedBy': claimant,
              ':updatedAt': updatedAt,
            })
          : decision === 'claim'
            ? itemUpdate(deps.tableName, { runId, itemId: row.itemId }, ITEM_TRANSITIONS.claimRetry, {
                ...values,
                ':nextAttempt': row.attempt + 1,
                ':round': nextRound,
                ':claimedBy': claimant,
              })
            : itemUpdate(deps.tableName, { runId, itemId: row.itemId }, ITEM_TRANSITIONS.abandon, values),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Takes a row this claimant moved to RETRYING in an earlier try into round `nextRound`, only if it
 * is still RETRYING under this claimant (its child never started to record anything).
 */
async function adoptClaimedRow(
  deps: Pick<ClaimDependencies, 'ledger' | 'tableName'>,
  runId: string,
  row: ItemRow,
  nextRound: number,
  updatedAt: string,
  claimant: string,
): Promise<boolean> {
  try {
    await deps.ledger.send(
      new UpdateCommand(
        itemUpdate(deps.tableName, { runId, itemId: row.itemId }, ITEM_TRANSITIONS.adoptClaim, {
          ':round': nextRound,
          ':updatedAt': updatedAt,
          ':claimedBy': claimant,
        }),
      ),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Writes the manifest of a round's claimed items (`runs/<runId>/retries/round-<n>-<id>.jsonl`,
 * lines sorted) and raises the header's `round` to `nextRound` (never back) when it holds items.
 * Nothing claimed: no manifest (null), unless `emptyManifest` asks for an empty one.
 */
export async function writeRoundManifest(
  deps: ClaimDependencies,
  runId: string,
  nextRound: number,
  lines: string[],
  options: RoundManifestOptions = {},
): Promise<Omit<ClaimedRound, 'abandonedCount'>> {
  if (lines.length === 0 && !options.emptyManifest) return { manifest: null, itemCount: 0, round: nextRound };

  lines.sort();
  const manifest = { bucket: deps.bucket, key: `runs/${runId}/retries/round-${nextRound}-${deps.newId()}.jsonl` };
  const { body, index } = indexedManifest(lines);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: manifest.bucket,
      Key: manifest.key,
      Body: body,
      ContentType: 'application/jsonl',
    }),
  );
  const indexLocation = options.indexed ? { bucket: deps.bucket, key: manifestIndexKey(manifest.key) } : undefined;
  if (indexLocation) {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: indexLocation.bucket,
        Key: indexLocation.key,
        Body: index,
        ContentType: 'application/octet-stream',
      }),
    );
  }
  const written = { manifest, ...(indexLocation ? { index: indexLocation } : {}) };
  if (lines.length === 0) return { ...written, itemCount: 0, round: nextRound };
  // The header shows the latest round that ran; an older claim never moves it back.
  await deps.ledger
    .send(new UpdateCommand(roundRaisedUpdate(deps.tableName, runId, nextRound)))
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  return { ...written, itemCount: lines.length, round: nextRound };
}
