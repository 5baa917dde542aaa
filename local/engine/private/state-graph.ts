/** The Amazon States Language as the definition spells it, and the graph of states loading builds from it. */
import type { Json, JsonObject, TaskIntegration } from '../types';

type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
  /** JSONata: the output of the catcher, from `$states.errorOutput`. */
  Output?: Json;
  Assign?: JsonObject;
}

/** A state exactly as the definition spells it, in either query language. */
export interface RawState {
  Type: StateType;
  Comment?: string;
  Next?: string;
  End?: boolean;
  InputPath?: string | null;
  OutputPath?: string | null;
  ResultPath?: string | null;
  Parameters?: Json;
  ResultSelector?: Json;
  Result?: Json;
  Resource?: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Choices?: JsonObject[];
  Default?: string;
  Seconds?: number;
  SecondsPath?: string;
  Timestamp?: string;
  TimestampPath?: string;
  Error?: string;
  ErrorPath?: string;
  Cause?: string;
  CausePath?: string;
  Branches?: RawMachine[];
  Iterator?: RawMachine;
  ItemProcessor?: RawMachine & {
    ProcessorConfig?: { Mode?: 'INLINE' | 'DISTRIBUTED'; ExecutionType?: 'STANDARD' | 'EXPRESS' };
  };
  ItemsPath?: string;
  ItemSelector?: Json;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  /** `Parameters` in JSONPath, `Arguments` in JSONata (docs: input-output-itemreader.html). */
  ItemReader?: { Resource: string; Parameters?: Json; Arguments?: Json; ReaderConfig?: ReaderConfig };
  /** In JSONata, the limits may be expressions (`"{% ... %}"`). */
  ItemBatcher?: {
    MaxItemsPerBatch?: number | string;
    MaxItemsPerBatchPath?: string;
    MaxInputBytesPerBatch?: number | string;
    MaxInputBytesPerBatchPath?: string;
    BatchInput?: Json;
  };
  ResultWriter?: { Resource?: string; Parameters?: Json; Arguments?: Json; WriterConfig?: WriterConfig };
  /** In JSONata, MaxConcurrency and the tolerated failure fields may be expressions. */
  ToleratedFailurePercentage?: number;
  ToleratedFailurePercentagePath?: string;
  ToleratedFailureCount?: number;
  ToleratedFailureCountPath?: string;
  Label?: string;
  QueryLanguage?: string;
  Arguments?: Json;
  Output?: Json;
  Assign?: JsonObject;
  Items?: Json;
  [field: string]: unknown;
}

export interface ReaderConfig {
  InputType?: 'JSON' | 'JSONL' | 'CSV' | 'MANIFEST' | 'PARQUET';
  CSVHeaderLocation?: 'FIRST_ROW' | 'GIVEN';
  CSVHeaders?: string[];
  CSVDelimiter?: 'COMMA' | 'PIPE' | 'SEMICOLON' | 'SPACE' | 'TAB';
  /** A number, or in JSONata an expression. */
  MaxItems?: number | string;
  MaxItemsPath?: string;
  /** `S3_INVENTORY` reads an S3 Inventory manifest (as InputType MANIFEST does); `ATHENA_DATA` is refused. */
  ManifestType?: 'S3_INVENTORY' | 'ATHENA_DATA';
  /** `LOAD_AND_FLATTEN` (s3:listObjectsV2) is refused. */
  Transformation?: 'NONE' | 'LOAD_AND_FLATTEN';
  /** Refused: a JSON Pointer into a JSON object. */
  ItemsPointer?: string;
}

export interface WriterConfig {
  Transformation?: 'NONE' | 'COMPACT' | 'FLATTEN';
  OutputType?: 'JSON' | 'JSONL';
}

export interface RawMachine {
  StartAt: string;
  States: Record<string, RawState>;
  TimeoutSeconds?: number;
  Comment?: string;
  Version?: string;
  QueryLanguage?: string;
}

/** A Task resource resolved against the registered integrations. */
export interface ResolvedTask {
  integration: TaskIntegration;
  resource: string;
  service: string;
  action: string;
}

/** A state ready to run: the raw fields plus what loading resolved once. */
export interface StateNode {
  name: string;
  type: StateType;
  raw: RawState;
  next?: string | undefined;
  task?: ResolvedTask;
  branches?: Graph[];
  processor?: Graph;
  distributed?: { executionType: 'STANDARD' | 'EXPRESS'; label: string };
  /** The state uses the JSONata query language (its own QueryLanguage, else the machine's). */
  jsonata?: boolean;
  retry: Retrier[];
  catch: Catcher[];
}

/** One `{StartAt, States}` scope: the whole machine, a Parallel branch or a Map's item processor. */
export interface Graph {
  startAt: string;
  states: Map<string, StateNode>;
}
