import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Definitions on which the precompiled checks must agree with asl-validator: the project's two
 * state machines, a valid one of each state type and language feature, and at least one
 * definition that breaks each rule asl-validator checks.
 */

const root = join(import.meta.dirname, '..', '..', '..', '..');
const fromFile = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8')) as object;

const TASK = 'arn:aws:states:::lambda:invoke';
const pass = { Type: 'Pass', End: true };
const machine = (states: object, extra: object = {}) => ({ StartAt: Object.keys(states)[0], States: states, ...extra });
const oneState = (state: object) => machine({ S: { ...state } });
const inlineMap = (fields: object) =>
  oneState({ Type: 'Map', ItemProcessor: machine({ P: pass }), End: true, ...fields });
const distributedMap = (fields: object) =>
  oneState({
    Type: 'Map',
    ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...machine({ P: pass }) },
    End: true,
    ...fields,
  });

export const VALID: Record<string, object> = {
  'statemachine/map.asl.json': fromFile('statemachine/map.asl.json'),
  'statemachine/array.asl.json': fromFile('statemachine/array.asl.json'),
  'a Pass state': oneState({ Type: 'Pass', Result: { a: 1 }, ResultPath: '$.r', OutputPath: '$', End: true }),
  'a Task with paths, Retry and Catch': machine({
    T: {
      Type: 'Task',
      Resource: TASK,
      InputPath: '$.in',
      Parameters: { 'x.$': '$.a', 'n.$': "States.Format('{}', $.b)", fixed: 1 },
      ResultSelector: { 'p.$': '$.Payload' },
      ResultPath: '$.out',
      TimeoutSeconds: 30,
      HeartbeatSecondsPath: '$.hb',
      Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }],
      Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'F', ResultPath: '$.err' }],
      End: true,
    },
    F: { Type: 'Fail', Error: 'E', Cause: 'C' },
  }),
  'a Choice with Default': machine({
    C: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.n', NumericGreaterThan: 1, Next: 'Big' },
        {
          And: [
            { Variable: '$.s', StringEquals: 'x' },
            { Variable: '$.b', BooleanEquals: true },
          ],
          Next: 'Big',
        },
      ],
      Default: 'Small',
    },
    Big: { Type: 'Succeed' },
    Small: { Type: 'Wait', Timestamp: '2026-01-01T00:00:00Z', End: true },
  }),
  'a Parallel state': oneState({ Type: 'Parallel', Branches: [machine({ A: pass }), machine({ B: pass })], End: true }),
  'an inline Map with the Iterator spelling': oneState({ Type: 'Map', Iterator: machine({ P: pass }), End: true }),
  'a Distributed Map reading and writing S3': distributedMap({
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW', MaxItems: 10 },
      Parameters: { Bucket: 'b', Key: 'k' },
    },
    ItemBatcher: { MaxItemsPerBatch: 5 },
    ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'b', Prefix: 'p' } },
    ToleratedFailurePercentage: 5,
    MaxConcurrency: 10,
  }),
  'a JSONata machine': machine(
    {
      A: { Type: 'Pass', Output: '{% $states.input.a + 1 %}', Assign: { v: '{% 2 %}' }, Next: 'B' },
      B: { Type: 'Task', Resource: TASK, Arguments: { x: '{% $v %}' }, End: true },
    },
    { QueryLanguage: 'JSONata' },
  ),
  'a JSONata state in a JSONPath machine': machine({
    A: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input %}', Next: 'F' },
    F: { Type: 'Fail', ErrorPath: '$.e', CausePath: '$.c' },
  }),
};

export const INVALID: Record<string, object> = {
  'no StartAt': { States: { P: pass } },
  'an unknown state type': oneState({ Type: 'Sleep', End: true }),
  'an unknown field': oneState({ Type: 'Pass', Colour: 'red', End: true }),
  'a malformed path': oneState({ Type: 'Pass', OutputPath: '$$$.x', End: true }),
  'a function in a ResultPath': oneState({ Type: 'Pass', ResultPath: 'States.Array($.a)', End: true }),
  'a malformed payload template path': oneState({ Type: 'Pass', Parameters: { 'a.$': '$.[' }, End: true }),
  'a malformed JSONata expression': oneState({
    Type: 'Pass',
    QueryLanguage: 'JSONata',
    Output: '{% $x + %}',
    End: true,
  }),
  'a Timestamp that is no date-time': oneState({ Type: 'Wait', Timestamp: 'tomorrow', End: true }),
  'a Next to no state': machine({ A: { Type: 'Pass', Next: 'Nowhere' } }),
  'a branch leaving its Parallel': machine({
    Par: { Type: 'Parallel', Branches: [machine({ In: { Type: 'Pass', Next: 'Out' } })], Next: 'Out' },
    Out: pass,
  }),
  'an item processor leaving its Map': machine({
    M: { Type: 'Map', ItemProcessor: machine({ In: { Type: 'Pass', Next: 'Out' } }), Next: 'Out' },
    Out: pass,
  }),
  'an Iterator leaving its Map': machine({
    M: { Type: 'Map', Iterator: machine({ In: { Type: 'Pass', Next: 'Out' } }), Next: 'Out' },
    Out: pass,
  }),
  // asl-validator reads every object named States, even in a payload, as a state machine's states.
  'a payload with a key named States': oneState({
    Type: 'Pass',
    Parameters: { States: { Inner: { a: 1 } } },
    End: true,
  }),
  'a state name used twice': machine({
    Par: { Type: 'Parallel', Branches: [machine({ Same: pass }), machine({ Same: pass })], Next: 'Same' },
    Same: pass,
  }),
  'no terminal state': machine({ A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } }),
  'a payload field given twice': oneState({ Type: 'Pass', Parameters: { a: 1, 'a.$': '$.a' }, End: true }),
  'TimeoutSeconds and TimeoutSecondsPath': oneState({
    Type: 'Task',
    Resource: TASK,
    TimeoutSeconds: 1,
    TimeoutSecondsPath: '$.t',
    End: true,
  }),
  'HeartbeatSeconds and HeartbeatSecondsPath': oneState({
    Type: 'Task',
    Resource: TASK,
    HeartbeatSeconds: 1,
    HeartbeatSecondsPath: '$.h',
    End: true,
  }),
  'a Map with ItemProcessor and Iterator': inlineMap({ Iterator: machine({ P: pass }) }),
  'a Map with ItemSelector and Parameters': inlineMap({ ItemSelector: { a: 1 }, Parameters: { b: 2 } }),
  'a Wait with Seconds and SecondsPath': oneState({ Type: 'Wait', Seconds: 1, SecondsPath: '$.s', End: true }),
  'a Wait with no duration': oneState({ Type: 'Wait', End: true }),
  'a state with End and Next': machine({ A: { Type: 'Pass', End: true, Next: 'B' }, B: pass }),
  'ToleratedFailureCount and its Path': distributedMap({ ToleratedFailureCount: 1, ToleratedFailureCountPath: '$.c' }),
  'ToleratedFailurePercentage and its Path': distributedMap({
    ToleratedFailurePercentage: 1,
    ToleratedFailurePercentagePath: '$.p',
  }),
  'MaxConcurrency and its Path': inlineMap({ MaxConcurrency: 1, MaxConcurrencyPath: '$.m' }),
  'Items and ItemsPath': inlineMap({ QueryLanguage: 'JSONPath', Items: [1], ItemsPath: '$.i' }),
  'MaxItems and MaxItemsPath': distributedMap({
    ItemReader: {
      Resource: 'arn:aws:states:::s3:getObject',
      ReaderConfig: { InputType: 'JSON', MaxItems: 1, MaxItemsPath: '$.n' },
      Parameters: { Bucket: 'b', Key: 'k' },
    },
  }),
  'MaxItemsPerBatch and its Path': distributedMap({
    ItemBatcher: { MaxItemsPerBatch: 1, MaxItemsPerBatchPath: '$.b' },
  }),
  'MaxInputBytesPerBatch and its Path': distributedMap({
    ItemBatcher: { MaxInputBytesPerBatch: 1, MaxInputBytesPerBatchPath: '$.b' },
  }),
  'a Fail with Cause and CausePath': oneState({ Type: 'Fail', Cause: 'c', CausePath: '$.c' }),
  'a Fail with Error and ErrorPath': oneState({ Type: 'Fail', Error: 'e', ErrorPath: '$.e' }),
};
