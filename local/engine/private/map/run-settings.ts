/**
 * What a Distributed Map reads from its state's fields before its first child starts, in either
 * query language (docs: state-map-distributed.html, input-output-itemreader.html,
 * input-output-itembatcher.html, input-output-resultwriter.html, maprun-fail-threshold.html).
 * JSONPath states use `ItemsPath`, `Parameters` and the `...Path` fields; JSONata states use
 * `Items`, `Arguments` and expressions in the number fields, evaluated against `$states.input`,
 * `$states.context` and the variables of the Map state's scope. The rest of the Map Run is the
 * same for both.
 */

import { StatesError, StatesErrors } from '../../errors';
import { type JsonataScope, readPath, renderJsonata, renderPayloadTemplate } from '../../expressions';
import type { ContextObject, Json } from '../../types';
import { BATCHER_RULES, fitsRule, MAP_RULES, type NumberRule } from '../field-values';
import { jsonataItems, jsonataNumber, jsonataScope, jsonataSelectItem } from '../jsonata-io';
import { type Frame, PAYLOAD_LIMIT_BYTES } from '../runtime';
import { readItems, readLimit, readMaxConcurrency, readNumber, selectItem } from '../state-fields';
import type { StateNode } from '../state-graph';
import { type BatchConfig, type ItemSelection, readBatchConfig } from './child-inputs';
import { readWriterTarget, type WriterTarget } from './result-writer';

/** Where the items come from: the state input (Items / ItemsPath), or an ItemReader. */
export type ItemOrigin =
  | { kind: 'input'; items: Json[] }
  | { kind: 'reader'; field: 'Parameters' | 'Arguments'; parameters: Json; maxItems: number };

export interface MapRunSettings {
  /** 0 means no limit. */
  maxConcurrency: number;
  toleratedFailurePercentage: number | undefined;
  toleratedFailureCount: number | undefined;
  batch: BatchConfig | undefined;
  /** Where ResultWriter exports the results, when it has a Resource. */
  writer: WriterTarget | undefined;
  origin: ItemOrigin;
  select: ItemSelection;
}

/** Reads the Map Run's settings from `node` for the effective input (JSONata: the state input). */
export function readMapRunSettings(
  node: StateNode,
  effective: Json,
  context: ContextObject,
  frame: Frame,
): MapRunSettings | Promise<MapRunSettings> {
  return node.jsonata
    ? jsonataSettings(node, effective, context, frame)
    : jsonPathSettings(node, effective, context, frame);
}

function jsonPathSettings(node: StateNode, effective: Json, context: ContextObject, frame: Frame): MapRunSettings {
  const raw = node.raw;
  const random = frame.scope.env.random;
  const maxConcurrency = readMaxConcurrency(node, effective, context);
  const toleratedFailurePercentage =
    raw.ToleratedFailurePercentagePath !== undefined
      ? readNumber(
          raw.ToleratedFailurePercentagePath,
          effective,
          context,
          'ToleratedFailurePercentagePath',
          (v) => v >= 0 && v <= 100,
          'a number from 0 to 100',
        )
      : raw.ToleratedFailurePercentage;
  const toleratedFailureCount = readLimit(
    raw.ToleratedFailureCount,
    raw.ToleratedFailureCountPath,
    'ToleratedFailureCount',
    effective,
    context,
  );
  const batch = readBatchConfig(node, effective, context, random);
  const writer =
    raw.ResultWriter?.Resource !== undefined
      ? readWriterTarget(
          node,
          renderPayloadTemplate(raw.ResultWriter.Parameters!, effective, context, 'ResultWriter.Parameters'),
          'Parameters',
        )
      : undefined;
  const reader = raw.ItemReader;
  const origin: ItemOrigin = reader
    ? {
        kind: 'reader',
        field: 'Parameters',
        parameters:
          reader.Parameters !== undefined
            ? renderPayloadTemplate(reader.Parameters, effective, context, 'ItemReader.Parameters')
            : {},
        maxItems: readMaxItemsPath(node, effective, context),
      }
    : { kind: 'input', items: readItems(node, effective, context) };
  return {
    maxConcurrency,
    toleratedFailurePercentage,
    toleratedFailureCount,
    batch,
    writer,
    origin,
    select: { kind: 'sync', select: (index, value) => selectItem(node, effective, context, index, value, random) },
  };
}

/**
 * ReaderConfig.MaxItems(Path): 0 or absent reads every item; a larger value than the data holds
 * reads every item too (values above 100,000,000 included); a negative MaxItemsPath value fails
 * the Map with States.ItemReaderFailed.
 */
function readMaxItemsPath(node: StateNode, effective: Json, context: ContextObject): number {
  const config = node.raw.ItemReader?.ReaderConfig;
  if (config?.MaxItemsPath !== undefined) {
    const value = readPath(config.MaxItemsPath, effective, context);
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      throw new StatesError(
        StatesErrors.Runtime,
        `ReaderConfig.MaxItemsPath '${config.MaxItemsPath}' of state '${node.name}' must resolve to an integer (received ${JSON.stringify(value)})`,
      );
    }
    if (value < 0) throw new StatesError(StatesErrors.ItemReaderFailed, 'field MaxItems must be positive');
    return value === 0 ? Number.POSITIVE_INFINITY : value;
  }
  return typeof config?.MaxItems === 'number' && config.MaxItems > 0 ? config.MaxItems : Number.POSITIVE_INFINITY;
}

/** MaxItems 0 reads every item, as in JSONPath; a negative or fractional value is no count of items. */
const MAX_ITEMS_RULE: NumberRule = { integer: true, min: 0, text: 'must be a non-negative integer' };

/**
 * The JSONata form: every field is evaluated once, in the order the JSONPath form reads them; a
 * value of the wrong type, or a number outside the field's documented range (the table of
 * docs/local-engine.md), is `States.QueryEvaluationError`.
 */
async function jsonataSettings(
  node: StateNode,
  input: Json,
  context: ContextObject,
  frame: Frame,
): Promise<MapRunSettings> {
  const raw = node.raw;
  const scope = jsonataScope(frame, context, { input });
  const number = (value: unknown, field: string, rule: NumberRule): Promise<number | undefined> =>
    evaluatedNumber(value, field, rule, scope);
  const maxConcurrency = (await number(raw.MaxConcurrency, 'MaxConcurrency', MAP_RULES.MaxConcurrency)) ?? 0;
  const toleratedFailurePercentage = await number(
    raw.ToleratedFailurePercentage,
    'ToleratedFailurePercentage',
    MAP_RULES.ToleratedFailurePercentage,
  );
  const toleratedFailureCount = await number(
    raw.ToleratedFailureCount,
    'ToleratedFailureCount',
    MAP_RULES.ToleratedFailureCount,
  );
  let batch: BatchConfig | undefined;
  const batcher = raw.ItemBatcher;
  if (batcher) {
    const maxItems = await number(
      batcher.MaxItemsPerBatch,
      'ItemBatcher/MaxItemsPerBatch',
      BATCHER_RULES.MaxItemsPerBatch,
    );
    const maxBytes = await number(
      batcher.MaxInputBytesPerBatch,
      'ItemBatcher/MaxInputBytesPerBatch',
      BATCHER_RULES.MaxInputBytesPerBatch,
    );
    batch = {
      maxItems: maxItems ?? Number.POSITIVE_INFINITY,
      maxBytes: Math.min(maxBytes ?? PAYLOAD_LIMIT_BYTES, PAYLOAD_LIMIT_BYTES),
      batchInput:
        batcher.BatchInput !== undefined
          ? await renderJsonata(batcher.BatchInput, 'ItemBatcher/BatchInput', scope)
          : undefined,
    };
  }
  const writerConfig = raw.ResultWriter;
  const writer =
    writerConfig?.Resource !== undefined
      ? readWriterTarget(
          node,
          await renderJsonata(writerConfig.Arguments ?? {}, 'ResultWriter/Arguments', scope),
          'Arguments',
        )
      : undefined;
  const reader = raw.ItemReader;
  let origin: ItemOrigin;
  if (reader) {
    const parameters =
      reader.Arguments !== undefined ? await renderJsonata(reader.Arguments, 'ItemReader/Arguments', scope) : {};
    const maxItems = await number(reader.ReaderConfig?.MaxItems, 'ItemReader/ReaderConfig/MaxItems', MAX_ITEMS_RULE);
    origin = { kind: 'reader', field: 'Arguments', parameters, maxItems: maxItems || Number.POSITIVE_INFINITY };
  } else {
    origin = { kind: 'input', items: await jsonataItems(node, scope, input) };
  }
  // Without ItemSelector a child's input is its item, and starting children stays synchronous.
  const select: ItemSelection =
    raw.ItemSelector === undefined
      ? { kind: 'sync', select: (_index, value) => value }
      : {
          kind: 'async',
          select: async (index, value) => jsonataSelectItem(node, frame, context, input, index, value),
        };
  return { maxConcurrency, toleratedFailurePercentage, toleratedFailureCount, batch, writer, origin, select };
}

function evaluatedNumber(
  value: unknown,
  field: string,
  rule: NumberRule,
  scope: JsonataScope,
): Promise<number | undefined> {
  return jsonataNumber(value, field, scope, (v) => fitsRule(v, rule), rule.text.replace(/^must be /, ''));
}
