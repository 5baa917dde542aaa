import { describe, expect, it } from 'vitest';
import type { Json } from '../../../../local/engine/types';
import { harness, passMapReading } from '../helpers';

/** A Distributed Map of Pass children over s3://in/items read with the given ReaderConfig. */
function readerMap(readerConfig: object, fields: object = {}): object {
  return passMapReading({ bucket: 'in', key: 'items' }, readerConfig, fields);
}

const FIRST_ROW = { InputType: 'CSV', CSVHeaderLocation: 'FIRST_ROW' };

async function readCsv(text: string, readerConfig: object = FIRST_ROW) {
  const h = harness();
  await h.store.putObject('in', 'items', text);
  return h.run(readerMap(readerConfig));
}

describe('CSV rows and headers (input-output-itemreader.html)', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSV files)
  it('drops the fields of a row beyond the headers', async () => {
    const result = await readCsv('a,b\n1,2,3,4\n');
    expect(JSON.parse(result.output!)).toEqual([{ a: '1', b: '2' }]);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSV files)
  it('gives "" to the headers a short row has no field for', async () => {
    const result = await readCsv('a,b,c\n1\n');
    expect(JSON.parse(result.output!)).toEqual([{ a: '1', b: '', c: '' }]);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSV files)
  it('uses an empty header cell as the key ""', async () => {
    const result = await readCsv('a,,c\n1,2,3\n');
    expect(JSON.parse(result.output!)).toEqual([{ a: '1', '': '2', c: '3' }]);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSV files)
  it('fails with States.ItemReaderFailed when the first row repeats a header', async () => {
    const result = await readCsv('a,b,a\n1,2,3\n');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). CSV headers cannot contain duplicates.",
    );
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (CSV files)
  it('fails with States.ItemReaderFailed when GIVEN headers repeat a name', async () => {
    const result = await readCsv('1,2\n', { InputType: 'CSV', CSVHeaderLocation: 'GIVEN', CSVHeaders: ['k', 'k'] });
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toContain('CSV headers cannot contain duplicates.');
  });
});

describe('ReaderConfig.MaxItems (input-output-itemreader.html)', () => {
  const lines = (count: number): string =>
    Array.from({ length: count }, (_, i) => JSON.stringify({ id: i })).join('\n');
  const ids = (output: string | undefined) => (JSON.parse(output!) as { id: number }[]).map((item) => item.id);

  async function readJsonLines(readerConfig: object, input: Json = {}) {
    const h = harness();
    await h.store.putObject('in', 'items', lines(3));
    return h.run(readerMap({ InputType: 'JSONL', ...readerConfig }), input);
  }

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (MaxItems)
  it('accepts MaxItems 0 and reads every item', async () => {
    const result = await readJsonLines({ MaxItems: 0 });
    expect(result.status).toBe('SUCCEEDED');
    expect(ids(result.output)).toEqual([0, 1, 2]);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (MaxItems)
  it('reads every item when MaxItemsPath resolves to 0', async () => {
    expect(ids((await readJsonLines({ MaxItemsPath: '$.max' }, { max: 0 })).output)).toEqual([0, 1, 2]);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (MaxItems)
  it('fails with States.ItemReaderFailed when MaxItemsPath resolves to a negative number', async () => {
    const result = await readJsonLines({ MaxItemsPath: '$.max' }, { max: -1 });
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.ItemReaderFailed');
    expect(result.cause).toBe(
      "An error occurred while executing the state 'Fan' (entered at the event id #2). field MaxItems must be positive",
    );
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html (MaxItems)
  it('accepts values above 100,000,000 and reads every item', async () => {
    expect(ids((await readJsonLines({ MaxItemsPath: '$.max' }, { max: 100_000_001 })).output)).toEqual([0, 1, 2]);
    expect(ids((await readJsonLines({ MaxItems: 500_000_000 })).output)).toEqual([0, 1, 2]);
  });
});

describe('ToleratedFailurePercentage (maprun-fail-threshold.html)', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html: the percentage is a
  // number from 0 to 100; DescribeMapRun carries it as a float.
  it('accepts a fractional percentage such as 0.5', async () => {
    const h = harness();
    await h.store.putObject('in', 'items', '{"id":0}');
    const result = await h.run(readerMap({ InputType: 'JSONL' }, { ToleratedFailurePercentage: 0.5 }));
    expect(result.status).toBe('SUCCEEDED');
    const mapRun = h.sfn.listMapRuns(result.arn).items[0]!;
    expect(h.sfn.describeMapRun(mapRun.mapRunArn).toleratedFailurePercentage).toBe(0.5);
  });

  // https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html: the Map Run fails when
  // failures exceed the percentage; 1 failure of 100 items is 1 %, which exceeds 0.5 %.
  it('fails the Map Run when failures exceed the fractional percentage', async () => {
    const h = harness();
    const items = Array.from({ length: 100 }, (_, i) => JSON.stringify({ fail: i === 0 })).join('\n');
    await h.store.putObject('in', 'items', items);
    const definition = readerMap({ InputType: 'JSONL' }, { ToleratedFailurePercentage: 0.5 }) as {
      States: { Fan: { ItemProcessor: { StartAt: string; States: object } } };
    };
    definition.States.Fan.ItemProcessor.StartAt = 'Check';
    definition.States.Fan.ItemProcessor.States = {
      Check: { Type: 'Choice', Choices: [{ Variable: '$.fail', BooleanEquals: true, Next: 'Bad' }], Default: 'Good' },
      Good: { Type: 'Pass', End: true },
      Bad: { Type: 'Fail', Error: 'Item.Failed' },
    };
    const result = await h.run(definition);
    expect(result.error).toBe('States.ExceedToleratedFailureThreshold');
  });
});

describe('text delimited parsing rules (example-csv-parse-dist-map.html)', () => {
  // https://docs.aws.amazon.com/step-functions/latest/dg/example-csv-parse-dist-map.html: the page's
  // example file and state machine. The page prints MyString as "... a double quote (\"), ...", but its
  // input says "a double quotation marks (""), ...": the rules give the input's words with one quote.
  it('parses the example file: quoted commas and newlines, doubled quotes inside and outside quotes', async () => {
    const h = harness();
    await h.store.putObject(
      'in',
      'items',
      'abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n)",{""MyKey"":""MyValue""},"[1,2,3]"',
    );
    const definition = readerMap(
      {
        InputType: 'CSV',
        CSVHeaderLocation: 'GIVEN',
        CSVHeaders: ['MyLetters', 'MyNumbers', 'MyString', 'MyObject', 'MyArray'],
      },
      {
        ItemSelector: {
          'MyLetters.$': '$$.Map.Item.Value.MyLetters',
          'MyNumbers.$': 'States.StringToJson($$.Map.Item.Value.MyNumbers)',
          'MyString.$': '$$.Map.Item.Value.MyString',
          'MyObject.$': 'States.StringToJson($$.Map.Item.Value.MyObject)',
          'MyArray.$': 'States.StringToJson($$.Map.Item.Value.MyArray)',
        },
      },
    );
    const result = await h.run(definition);
    expect(JSON.parse(result.output!)).toEqual([
      {
        MyNumbers: 123,
        MyObject: { MyKey: 'MyValue' },
        MyString: 'This string contains commas, a double quotation marks ("), and a newline (\n)',
        MyLetters: 'abc',
        MyArray: [1, 2, 3],
      },
    ]);
  });

  // "You can preserve backslashes by repeating them."
  it('reads a doubled backslash as one backslash', async () => {
    const result = await readCsv('path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\n');
    expect(JSON.parse(result.output!)).toEqual([{ path: 'C:\\Program Files\\MyApp.exe', size: '6534512' }]);
  });

  // "Backslashes only work with other backslashes, double quotation marks, and the configured field
  // separator such as comma or pipe. A backslash followed by any other character is silently removed."
  it('keeps an escaped separator or quote as text and drops a backslash before anything else', async () => {
    const comma = await readCsv('a,b\nx\\,y,say \\"hi\\"\n');
    expect(JSON.parse(comma.output!)).toEqual([{ a: 'x,y', b: 'say "hi"' }]);
    const pipe = await readCsv('a|b\nx\\|y|\\tab\n', { ...FIRST_ROW, CSVDelimiter: 'PIPE' });
    expect(JSON.parse(pipe.output!)).toEqual([{ a: 'x|y', b: 'tab' }]);
  });
});
