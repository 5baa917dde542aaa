import { type CostEstimate, estimateCost, PRICES } from '../../run';
import type { PathUsage } from '../../statemachine/map-usage';

/** Batch's default SubmitJob quota: 50 calls per second per account (batch/latest/userguide/service_limits.html). */
export const SUBMIT_JOB_CALLS_PER_SECOND = 50;

export type PathName = 'map' | 'array';

/** What a path guarantees when items fail, and what it offers per item. */
export interface FailureSemantics {
  tolerance: string;
  runStatus: string;
  perItemParameters: string;
  resubmitOneItem: string;
  concurrency: string;
  outcomesRecorded: string;
}

/** One path's estimate for the input. */
export interface PathEstimate extends PathUsage {
  path: PathName;
  /** The least time Batch's SubmitJob quota allows for the run's SubmitJob calls. */
  minSubmitSeconds: number;
  costUsd: CostEstimate;
  semantics: FailureSemantics;
}

/** What `fanout compare --json` prints (without `--run`). */
export interface Comparison {
  itemCount: number;
  retryRounds: number;
  /** Absent when the input does not set it. */
  toleratedFailureCount?: number;
  /** Absent when the input does not set it. */
  toleratedFailurePercentage?: number;
  /** The estimates assume every item succeeds on its first attempt; failures add transitions, writes and calls. */
  assumption: string;
  prices: { checkedOn: string; region: string; sources: Readonly<Record<string, string>> };
  paths: PathEstimate[];
}

/** The settings of the input that the estimates depend on. */
export interface ComparedInput {
  itemCount: number;
  /** The input has an aggregation job (`aggregate`). */
  aggregate: boolean;
  retryRounds: number;
  /** Absent when the input does not set it. */
  toleratedFailureCount?: number;
  /** Absent when the input does not set it. */
  toleratedFailurePercentage?: number;
}

/** A path's usage formula: its billed work for a run of `itemCount` items that all succeed. */
export type UsageModel = (input: ComparedInput) => PathUsage;

const SEMANTICS: Record<PathName, FailureSemantics> = {
  map: {
    tolerance:
      'toleratedFailureCount / toleratedFailurePercentage: the Distributed Map fails only when failures exceed them',
    runStatus: 'SUCCEEDED while failures stay within the tolerance; the ledger names each failed item',
    perItemParameters: 'each job receives its own kwargs (FANOUT_KWARGS and {placeholders} in the command)',
    resubmitOneItem: 'yes: failed idempotent items re-run one by one (automatic retry rounds, fanout retry)',
    concurrency: "maxConcurrency child executions at a time, besides the compute environments' vCPUs",
    outcomesRecorded: 'as each job ends (RecordOutcome in the child execution)',
  },
  array: {
    tolerance: 'none: one failed child fails the array job (Batch array semantics)',
    runStatus: 'FAILED if any child failed; the ledger names exactly which',
    perItemParameters:
      'each child receives only AWS_BATCH_JOB_ARRAY_INDEX and reads its item from the manifest (O(1) ranged reads)',
    resubmitOneItem:
      'no single child can be resubmitted; fanout retry submits the failed idempotent children as a new, smaller array',
    concurrency: "only the compute environments' vCPUs",
    outcomesRecorded: 'once the whole array has ended (Collect lists the children)',
  },
};

/**
 * Estimates each path's billed work, submit time and cost for the input.
 * @example comparePaths({ itemCount: 10_000, aggregate: false, retryRounds: 1 }, { map: ..., array: ... })
 */
export function comparePaths(input: ComparedInput, models: Readonly<Record<PathName, UsageModel>>): Comparison {
  const paths = (Object.keys(models) as PathName[]).map((path): PathEstimate => {
    const usage = models[path](input);
    return {
      path,
      ...usage,
      minSubmitSeconds: usage.submitJobCalls / SUBMIT_JOB_CALLS_PER_SECOND,
      costUsd: estimateCost({
        stateTransitions: usage.stateTransitions,
        ledgerWriteUnits: usage.ledgerWrites,
        lambdaInvocations: usage.lambdaInvocations,
      }),
      semantics: SEMANTICS[path],
    };
  });
  return {
    ...input,
    assumption:
      'every item succeeds on its first attempt; each failure adds transitions, ledger writes and SubmitJob calls; Lambda compute time and S3 requests are not priced',
    prices: { checkedOn: PRICES.checkedOn, region: PRICES.region, sources: PRICES.sources },
    paths,
  };
}
