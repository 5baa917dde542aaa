import { describe, expect, it } from 'vitest';
import { loadDefinition } from '../../../../local/engine';
import { InvalidDefinitionError, UnsupportedFeatureError } from '../../../../local/engine/errors';
import type { Json } from '../../../../local/engine/types';
import { type Harness, harness } from '../helpers';

// ResultWriter WriterConfig: https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
// ("Contents of the ResultWriter field", "Required field combinations", "Example configurations and
// transformation output", "Exporting to Amazon S3"). The child outputs are the page's example: each child
// returns an array of orders.

const FIRST = [
  { customer_id: '145538', order_id: '100000' },
  { customer_id: '898037', order_id: '100001' },
];
const SECOND = [
  { customer_id: '169881', order_id: '100005' },
  { customer_id: '797471', order_id: '100006' },
];
const ORDERS = { items: [{ orders: FIRST }, { orders: SECOND }] };
const EXPORT = { Resource: 'arn:aws:states:::s3:putObject', Parameters: { Bucket: 'out', Prefix: 'orders' } };

/** A Distributed Map over `$.items` whose children output `$.orders`, or fail when the item has `fail`. */
function ordersMap(resultWriter: object | undefined, fields: object = {}): object {
  return {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Check',
          States: {
            Check: {
              Type: 'Choice',
              Choices: [{ Variable: '$.fail', IsPresent: true, Next: 'Bad' }],
              Default: 'Orders',
            },
            Orders: { Type: 'Pass', OutputPath: '$.orders', End: true },
            Bad: { Type: 'Fail', Error: 'Order.Failed', Cause: 'scripted' },
          },
        },
        ...(resultWriter ? { ResultWriter: resultWriter } : {}),
        ...fields,
        End: true,
      },
    },
  };
}

/** The result files the run wrote, by status, as their text, and the Map Run UUID. */
function resultFiles(h: Harness, executionArn: string) {
  const uuid = h.sfn.listMapRuns(executionArn).items[0]!.mapRunArn.split(':').at(-1)!;
  const read = (status: string) => h.store.readText('out', `orders/${uuid}/${status}_0.json`);
  return { uuid, succeeded: read('SUCCEEDED'), failed: read('FAILED'), pending: read('PENDING') };
}

const jsonLines = (text: string | undefined): Json[] => {
  expect(text?.endsWith('\n')).toBe(true);
  return text!
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Json);
};

describe('WriterConfig alone: the state output (Only WriterConfig)', () => {
  it('COMPACT outputs the children outputs with their array structure', async () => {
    const result = await harness().run(
      ordersMap({ WriterConfig: { Transformation: 'COMPACT', OutputType: 'JSON' } }),
      ORDERS,
    );
    expect(JSON.parse(result.output!)).toEqual([FIRST, SECOND]);
  });

  it('FLATTEN outputs the children array outputs flattened into one array', async () => {
    const result = await harness().run(
      ordersMap({ WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSON' } }),
      ORDERS,
    );
    expect(JSON.parse(result.output!)).toEqual([...FIRST, ...SECOND]);
  });

  it('FLATTEN keeps an output that is not an array, and an empty array contributes nothing', async () => {
    const result = await harness().run(ordersMap({ WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSON' } }), {
      items: [{ orders: { single: true } }, { orders: [] }, { orders: [[1], 2] }],
    });
    // Only one level is flattened: the nested [1] stays an array.
    expect(JSON.parse(result.output!)).toEqual([{ single: true }, [1], 2]);
  });

  it('NONE outputs each child execution result unchanged with its metadata', async () => {
    const h = harness();
    const result = await h.run(ordersMap({ WriterConfig: { Transformation: 'NONE', OutputType: 'JSON' } }), ORDERS);
    const entries = JSON.parse(result.output!) as Record<string, unknown>[];
    expect(entries).toHaveLength(2);
    expect(Object.keys(entries[0]!)).toEqual([
      'ExecutionArn',
      'Input',
      'InputDetails',
      'Name',
      'Output',
      'OutputDetails',
      'RedriveCount',
      'RedriveStatus',
      'RedriveStatusReason',
      'StartDate',
      'StateMachineArn',
      'Status',
      'StopDate',
    ]);
    expect(entries[1]).toMatchObject({
      Input: JSON.stringify({ orders: SECOND }),
      InputDetails: { Included: true },
      Output: JSON.stringify(SECOND),
      OutputDetails: { Included: true },
      RedriveStatus: 'NOT_REDRIVABLE',
      Status: 'SUCCEEDED',
    });
  });

  // "If a child workflow execution fails, Step Functions returns its execution result unchanged. The
  // results would be equivalent to having set Transformation to NONE."
  it('a tolerated failed child contributes its execution result unchanged under FLATTEN', async () => {
    const result = await harness().run(
      ordersMap({ WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSON' } }, { ToleratedFailureCount: 1 }),
      { items: [{ orders: FIRST }, { fail: true }] },
    );
    const output = JSON.parse(result.output!) as Record<string, unknown>[];
    expect(output.slice(0, 2)).toEqual(FIRST);
    expect(output[2]).toMatchObject({
      Input: '{"fail":true}',
      Status: 'FAILED',
      Error: 'Order.Failed',
      Cause: 'scripted',
    });
    expect(output).toHaveLength(3);
  });
});

describe('WriterConfig with Resource and Parameters: the result files (Exporting to Amazon S3)', () => {
  it('COMPACT JSON writes the outputs as a JSON array and the Map outputs the export location', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'COMPACT', OutputType: 'JSON' } }),
      ORDERS,
    );
    const { uuid, succeeded, failed } = resultFiles(h, result.arn);
    expect(JSON.parse(result.output!)).toEqual({
      MapRunArn: expect.stringContaining(`:mapRun:`),
      ResultWriterDetails: { Bucket: 'out', Key: `orders/${uuid}/manifest.json` },
    });
    expect(JSON.parse(succeeded!)).toEqual([FIRST, SECOND]);
    expect(failed).toBeUndefined();
    const manifest = JSON.parse(h.store.readText('out', `orders/${uuid}/manifest.json`)!);
    expect(manifest.ResultFiles.SUCCEEDED).toEqual([
      { Key: `orders/${uuid}/SUCCEEDED_0.json`, Size: Buffer.byteLength(succeeded!) },
    ]);
  });

  it('FLATTEN JSON writes the array outputs flattened into one array', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSON' } }),
      ORDERS,
    );
    expect(JSON.parse(resultFiles(h, result.arn).succeeded!)).toEqual([...FIRST, ...SECOND]);
  });

  it('FLATTEN JSONL writes one line per member of the array outputs', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSONL' } }),
      ORDERS,
    );
    expect(jsonLines(resultFiles(h, result.arn).succeeded)).toEqual([...FIRST, ...SECOND]);
  });

  it('COMPACT JSONL writes one line per child output', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'COMPACT', OutputType: 'JSONL' } }),
      ORDERS,
    );
    expect(jsonLines(resultFiles(h, result.arn).succeeded)).toEqual([FIRST, SECOND]);
  });

  it('NONE JSONL writes one execution entry per line', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'NONE', OutputType: 'JSONL' } }),
      ORDERS,
    );
    const entries = jsonLines(resultFiles(h, result.arn).succeeded) as { Output: string; Status: string }[];
    expect(entries.map((entry) => [entry.Status, JSON.parse(entry.Output)])).toEqual([
      ['SUCCEEDED', FIRST],
      ['SUCCEEDED', SECOND],
    ]);
  });

  it('writes the same files with WriterConfig NONE JSON as without WriterConfig', async () => {
    const withConfig = harness();
    const without = harness();
    const a = await withConfig.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'NONE', OutputType: 'JSON' } }),
      ORDERS,
    );
    const b = await without.run(ordersMap(EXPORT), ORDERS);
    const normalise = (text: string | undefined) => text!.replace(/machine-\d+/g, 'machine');
    expect(normalise(resultFiles(withConfig, a.arn).succeeded)).toBe(normalise(resultFiles(without, b.arn).succeeded));
  });

  it('keeps failed children unchanged in FAILED_0.json under COMPACT, as JSON Lines', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap(
        { ...EXPORT, WriterConfig: { Transformation: 'COMPACT', OutputType: 'JSONL' } },
        { ToleratedFailureCount: 1 },
      ),
      { items: [{ orders: FIRST }, { fail: true }] },
    );
    const { succeeded, failed } = resultFiles(h, result.arn);
    expect(jsonLines(succeeded)).toEqual([FIRST]);
    expect(jsonLines(failed)).toEqual([
      expect.objectContaining({ Input: '{"fail":true}', Status: 'FAILED', Error: 'Order.Failed', Cause: 'scripted' }),
    ]);
  });

  it('writes PENDING_0.json as JSON Lines when the Map Run fails', async () => {
    const h = harness();
    const result = await h.run(
      ordersMap({ ...EXPORT, WriterConfig: { Transformation: 'FLATTEN', OutputType: 'JSONL' } }, { MaxConcurrency: 1 }),
      { items: [{ fail: true }, { orders: FIRST }, { orders: SECOND }] },
    );
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
    const { succeeded, pending } = resultFiles(h, result.arn);
    expect(succeeded).toBeUndefined();
    expect(jsonLines(pending)).toEqual([
      { Input: JSON.stringify({ orders: FIRST }), InputDetails: { Included: true }, Status: 'PENDING' },
      { Input: JSON.stringify({ orders: SECOND }), InputDetails: { Included: true }, Status: 'PENDING' },
    ]);
  });
});

describe('ResultWriter fields checked at CreateStateMachine (Required field combinations)', () => {
  const load = (resultWriter: object) => () => loadDefinition(JSON.stringify(ordersMap(resultWriter)), []);

  it.each([
    [{}, 'field ResultWriter cannot be empty: set WriterConfig, or Resource and Parameters, or all three'],
    [
      { Resource: EXPORT.Resource },
      'field ResultWriter.Parameters is required with ResultWriter.Resource (Resource and Parameters export the results to Amazon S3 together)',
    ],
    [
      { Parameters: EXPORT.Parameters, WriterConfig: { Transformation: 'NONE', OutputType: 'JSON' } },
      'field ResultWriter.Resource is required with ResultWriter.Parameters (Resource and Parameters export the results to Amazon S3 together)',
    ],
    [
      { WriterConfig: { Transformation: 'SQUASH', OutputType: 'JSON' } },
      'field ResultWriter.WriterConfig.Transformation must be one of NONE, COMPACT, FLATTEN (received "SQUASH")',
    ],
    [
      { ...EXPORT, WriterConfig: { Transformation: 'NONE' } },
      'field ResultWriter.WriterConfig.OutputType must be one of JSON, JSONL (received undefined)',
    ],
    [
      { ...EXPORT, WriterConfig: { Transformation: 'NONE', OutputType: 'CSV' } },
      'field ResultWriter.WriterConfig.OutputType must be one of JSON, JSONL (received "CSV")',
    ],
    [
      { WriterConfig: { Transformation: 'NONE', OutputType: 'JSON', Compression: 'GZIP' } },
      'field ResultWriter.WriterConfig.Compression is not a WriterConfig field (Transformation, OutputType)',
    ],
  ])('refuses %j', (resultWriter, message) => {
    expect(load(resultWriter)).toThrow(InvalidDefinitionError);
    expect(load(resultWriter)).toThrow(`state "Fan": ${message}`);
  });

  it('refuses JSON Lines as the state output, which the local engine does not emulate', () => {
    const writer = { WriterConfig: { Transformation: 'COMPACT', OutputType: 'JSONL' } };
    expect(load(writer)).toThrow(UnsupportedFeatureError);
    expect(load(writer)).toThrow('state "Fan": field ResultWriter.WriterConfig.OutputType JSONL without Resource');
  });

  it('accepts the three documented combinations', () => {
    const config = { Transformation: 'FLATTEN', OutputType: 'JSON' };
    expect(load({ WriterConfig: config })).not.toThrow();
    expect(load(EXPORT)).not.toThrow();
    expect(load({ ...EXPORT, WriterConfig: config })).not.toThrow();
  });

  // input-output-resultwriter.html: a JSONata state writes Arguments where a JSONPath one writes Parameters.
  it('takes Arguments for Parameters in a JSONata Distributed Map, and refuses Parameters there', () => {
    const jsonata = (writer: object) => {
      const definition = ordersMap(writer) as { States: { Fan: Record<string, unknown> } };
      definition.States.Fan.QueryLanguage = 'JSONata';
      delete definition.States.Fan.ItemsPath;
      definition.States.Fan.Items = '{% $states.input.items %}';
      return () => loadDefinition(JSON.stringify(definition), []);
    };
    const config = { Transformation: 'FLATTEN', OutputType: 'JSON' };
    expect(jsonata({ Resource: EXPORT.Resource, Arguments: EXPORT.Parameters, WriterConfig: config })).not.toThrow();
    expect(jsonata({ Resource: EXPORT.Resource, Arguments: EXPORT.Parameters })).not.toThrow();
    expect(jsonata({ Resource: EXPORT.Resource })).toThrow(
      'state "Fan": field ResultWriter.Parameters is required with ResultWriter.Resource',
    );
    expect(jsonata({ ...EXPORT, WriterConfig: config })).toThrow(
      'state "Fan": field ResultWriter.Parameters is only valid in a JSONPath state (use Arguments)',
    );
  });
});
