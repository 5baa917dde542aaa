/**
 * The request size limits every item must fit, and the exact byte sizes of the requests one
 * item causes, computed without building them.
 */

import type { JobScheduling } from '../../../run';

/**
 * Request size budgets, in UTF-8 bytes (never fewer than characters, so the check is safe).
 * - SubmitJob payload: 30 KiB (batch/latest/userguide/service_limits.html).
 * - Container overrides: ECS allows 8,192 characters of overrides including the JSON
 *   formatting (ecs RunTask `overrides`); Batch adds its own `AWS_BATCH_*` variables to the
 *   same overrides, so 1 KiB of that is left to Batch.
 * - Step Functions state payload (the child execution's input): 256 KiB.
 */
export const SIZE_LIMITS = {
  submitJobPayload: 30 * 1024,
  containerOverrides: 8192,
  containerOverridesReservedForBatch: 1024,
  statePayload: 256 * 1024,
} as const;

/** The fields of a run that every item's requests repeat, so their sizes depend on them. */
export interface RequestContext {
  readonly runId: string;
  readonly round: number;
  readonly jobQueue: string;
  readonly jobDefinition: string;
  readonly command: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  readonly jobTimeout: { AttemptDurationSeconds?: number };
  /** The run's share fields, which every SubmitJob and child input carry. @default {} */
  readonly scheduling?: JobScheduling;
}

const encoder = new TextEncoder();
function byteLength(text: string): number {
  return encoder.encode(text).length;
}
/** Bytes a string takes inside a JSON document, quotes excluded. */
function escapedByteLength(text: string): number {
  return byteLength(JSON.stringify(text)) - 2;
}

/** Byte sizes of the requests one item causes; see `SIZE_LIMITS`. */
interface ItemRequestSizes {
  containerOverrides: number;
  submitJobPayload: number;
  childInput: number;
}

/**
 * Computes, without building them, the sizes of an item's SubmitJob request, its container
 * overrides and its child execution input. Exposed so tests can compare with the real JSON.
 * @example new RequestSizer(context).sizes({ itemId: '0', jobName: 'run-1-0', kwargsJson: '{"seed":1}' })
 */
export class RequestSizer {
  private readonly overridesBase: number;
  private readonly submitBase: number;
  private readonly childBase: number;

  constructor(context: RequestContext) {
    const environment = [
      { name: 'FANOUT_KWARGS', value: '' },
      { name: 'FANOUT_RUN_ID', value: context.runId },
      { name: 'FANOUT_ENVIRONMENT', value: JSON.stringify(context.environment) },
      { name: 'FANOUT_ITEM_ID', value: '' },
    ];
    const scheduling = context.scheduling ?? {};
    this.overridesBase = byteLength(JSON.stringify({ command: context.command, environment }));
    this.submitBase =
      byteLength(
        JSON.stringify({
          jobName: '',
          jobQueue: context.jobQueue,
          jobDefinition: context.jobDefinition,
          timeout: context.jobTimeout,
          ...(scheduling.shareIdentifier !== undefined ? { shareIdentifier: scheduling.shareIdentifier } : {}),
          ...(scheduling.schedulingPriority !== undefined
            ? { schedulingPriorityOverride: scheduling.schedulingPriority }
            : {}),
          containerOverrides: 0,
        }),
      ) - 1;
    this.childBase =
      byteLength(
        JSON.stringify({
          runId: context.runId,
          round: context.round,
          jobQueue: context.jobQueue,
          jobDefinition: context.jobDefinition,
          environment: context.environment,
          timeout: context.jobTimeout,
          scheduling,
          command: context.command,
          itemId: '',
          jobName: '',
          kwargs: 0,
        }),
      ) - 1;
  }

  sizes(item: { itemId: string; jobName: string; kwargsJson: string }): ItemRequestSizes {
    const containerOverrides = this.overridesBase + escapedByteLength(item.kwargsJson) + item.itemId.length;
    return {
      containerOverrides,
      submitJobPayload: this.submitBase + item.jobName.length + containerOverrides,
      childInput: this.childBase + item.itemId.length + item.jobName.length + byteLength(item.kwargsJson),
    };
  }
}
