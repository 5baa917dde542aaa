import { InvalidDefinitionError, UnsupportedFeatureError } from '../errors';
import { isJsonataExpression } from '../expressions';
import type { RawState } from './state-graph';

const GET_OBJECT = 'arn:aws:states:::s3:getObject';
const LIST_OBJECTS = 'arn:aws:states:::s3:listObjectsV2';
const PUT_OBJECT = 'arn:aws:states:::s3:putObject';
const INPUT_TYPES = ['CSV', 'JSON', 'JSONL', 'PARQUET', 'MANIFEST'];
const CSV_DELIMITERS = ['COMMA', 'PIPE', 'SEMICOLON', 'SPACE', 'TAB'];
const TRANSFORMATIONS = ['NONE', 'COMPACT', 'FLATTEN'];
const OUTPUT_TYPES = ['JSON', 'JSONL'];

const show = (value: unknown): string => JSON.stringify(value) ?? 'undefined';

/**
 * Checks a Distributed Map's ItemReader at CreateStateMachine (docs: input-output-itemreader.html):
 * the reader fields Step Functions documents, and a refusal naming the field for those the
 * local engine does not read (PARQUET, Athena manifests, LOAD_AND_FLATTEN, ItemsPointer).
 */
export function checkItemReader(where: string, reader: NonNullable<RawState['ItemReader']>): void {
  const resource = reader.Resource;
  const config = reader.ReaderConfig ?? {};
  if (config.Transformation !== undefined && config.Transformation !== 'NONE') {
    if (config.Transformation !== 'LOAD_AND_FLATTEN') {
      throw new InvalidDefinitionError(
        `${where}: field ItemReader.ReaderConfig.Transformation must be NONE or LOAD_AND_FLATTEN (received ${show(config.Transformation)})`,
      );
    }
    throw new UnsupportedFeatureError(
      `${where}: field ItemReader.ReaderConfig.Transformation LOAD_AND_FLATTEN is not supported by the local engine (iterate over the listed objects' metadata, or read one object with arn:aws:states:::s3:getObject)`,
    );
  }
  if (resource === LIST_OBJECTS) return;
  if (resource !== GET_OBJECT) {
    throw new UnsupportedFeatureError(
      `${where}: ItemReader.Resource "${resource}" is not supported by the local engine (${GET_OBJECT} or ${LIST_OBJECTS})`,
    );
  }
  if (config.ItemsPointer !== undefined) {
    throw new UnsupportedFeatureError(
      `${where}: field ItemReader.ReaderConfig.ItemsPointer is not supported by the local engine (store the items as a top-level JSON array)`,
    );
  }
  const manifestType = config.ManifestType;
  if (manifestType === 'ATHENA_DATA') {
    throw new UnsupportedFeatureError(
      `${where}: field ItemReader.ReaderConfig.ManifestType ATHENA_DATA is not supported by the local engine (S3_INVENTORY is)`,
    );
  }
  if (manifestType !== undefined && manifestType !== 'S3_INVENTORY') {
    throw new InvalidDefinitionError(
      `${where}: field ItemReader.ReaderConfig.ManifestType must be S3_INVENTORY or ATHENA_DATA (received ${show(manifestType)})`,
    );
  }
  const inputType = config.InputType;
  if (manifestType === 'S3_INVENTORY' && inputType !== undefined) {
    // "If you specify ManifestType is S3_INVENTORY then InputType cannot be specified."
    throw new InvalidDefinitionError(
      `${where}: field ItemReader.ReaderConfig.InputType must not be set when ManifestType is S3_INVENTORY (received ${show(inputType)})`,
    );
  }
  if (inputType === undefined && manifestType === undefined) {
    throw new InvalidDefinitionError(`${where}: ItemReader.ReaderConfig.InputType is required with s3:getObject`);
  }
  if (inputType !== undefined && !INPUT_TYPES.includes(inputType)) {
    throw new InvalidDefinitionError(
      `${where}: field ItemReader.ReaderConfig.InputType must be one of ${INPUT_TYPES.join(', ')} (received ${show(inputType)})`,
    );
  }
  if (inputType === 'PARQUET') {
    throw new UnsupportedFeatureError(
      `${where}: field ItemReader.ReaderConfig.InputType PARQUET is not supported by the local engine (JSON, JSONL, CSV, MANIFEST)`,
    );
  }
  if (config.CSVDelimiter !== undefined && !CSV_DELIMITERS.includes(config.CSVDelimiter)) {
    throw new InvalidDefinitionError(
      `${where}: field ItemReader.ReaderConfig.CSVDelimiter must be one of ${CSV_DELIMITERS.join(', ')} (received ${show(config.CSVDelimiter)})`,
    );
  }
  if (inputType === 'MANIFEST' || manifestType === 'S3_INVENTORY') {
    for (const field of ['CSVHeaderLocation', 'CSVHeaders'] as const) {
      if (config[field] !== undefined) {
        throw new UnsupportedFeatureError(
          `${where}: field ItemReader.ReaderConfig.${field} is not supported by the local engine with an S3 inventory manifest (the columns are named by the manifest's fileSchema)`,
        );
      }
    }
  }
  if (inputType === 'CSV') {
    const location = config.CSVHeaderLocation;
    if (location === 'GIVEN' && !config.CSVHeaders?.length) {
      throw new InvalidDefinitionError(
        `${where}: ItemReader.ReaderConfig.CSVHeaders is required when CSVHeaderLocation is GIVEN`,
      );
    }
    if (location !== 'GIVEN' && location !== 'FIRST_ROW') {
      throw new InvalidDefinitionError(
        `${where}: ItemReader.ReaderConfig.CSVHeaderLocation must be FIRST_ROW or GIVEN (received ${String(location)})`,
      );
    }
  }
}

/**
 * Checks a Distributed Map's ResultWriter at CreateStateMachine (docs: input-output-resultwriter.html,
 * "Required field combinations"): WriterConfig alone, Resource with Parameters (`Arguments` in a
 * JSONata state), or all three.
 */
export function checkResultWriter(where: string, writer: NonNullable<RawState['ResultWriter']>): void {
  const payloadField = writer.Arguments !== undefined ? 'Arguments' : 'Parameters';
  const payload = writer[payloadField];
  const hasResource = writer.Resource !== undefined;
  const hasPayload = payload !== undefined;
  if (!hasResource && !hasPayload && writer.WriterConfig === undefined) {
    throw new InvalidDefinitionError(
      `${where}: field ResultWriter cannot be empty: set WriterConfig, or Resource and ${payloadField}, or all three`,
    );
  }
  if (hasResource !== hasPayload) {
    const [present, missing] = hasResource ? ['Resource', payloadField] : [payloadField, 'Resource'];
    throw new InvalidDefinitionError(
      `${where}: field ResultWriter.${missing} is required with ResultWriter.${present} (Resource and ${payloadField} export the results to Amazon S3 together)`,
    );
  }
  if (hasResource && writer.Resource !== PUT_OBJECT) {
    throw new InvalidDefinitionError(
      `${where}: ResultWriter.Resource must be ${PUT_OBJECT} (received ${String(writer.Resource)})`,
    );
  }
  // A JSONata Arguments may be one expression that evaluates to the object.
  if (hasPayload && (typeof payload !== 'object' || payload === null) && !isJsonataExpression(payload)) {
    throw new InvalidDefinitionError(`${where}: ResultWriter.${payloadField} with Bucket and Prefix is required`);
  }
  if (writer.WriterConfig !== undefined) checkWriterConfig(where, writer.WriterConfig, hasResource);
}

function checkWriterConfig(where: string, config: unknown, exportsToS3: boolean): void {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidDefinitionError(
      `${where}: field ResultWriter.WriterConfig must be an object (received ${show(config)})`,
    );
  }
  const fields = config as Record<string, unknown>;
  for (const field of Object.keys(fields)) {
    if (field !== 'Transformation' && field !== 'OutputType') {
      throw new InvalidDefinitionError(
        `${where}: field ResultWriter.WriterConfig.${field} is not a WriterConfig field (Transformation, OutputType)`,
      );
    }
  }
  for (const [field, allowed] of [
    ['Transformation', TRANSFORMATIONS],
    ['OutputType', OUTPUT_TYPES],
  ] as const) {
    const value = fields[field];
    if (typeof value !== 'string' || !allowed.includes(value)) {
      throw new InvalidDefinitionError(
        `${where}: field ResultWriter.WriterConfig.${field} must be one of ${allowed.join(', ')} (received ${show(value)})`,
      );
    }
  }
  if (!exportsToS3 && fields.OutputType === 'JSONL') {
    throw new UnsupportedFeatureError(
      `${where}: field ResultWriter.WriterConfig.OutputType JSONL without Resource and Parameters (or Arguments) is not supported by the local engine (the state output is JSON; export JSON Lines to Amazon S3, or use OutputType JSON)`,
    );
  }
}
