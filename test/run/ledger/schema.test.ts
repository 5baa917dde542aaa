import { describe, expect, it } from 'vitest';
import { ITEM_ID_PATTERN } from '../../../lambdas/shared/input';
import { FAILED_ITEMS_INDEX, ledgerTableDefinition, RUN_HEADER_ITEM_ID } from '../../../run';

describe('ledgerTableDefinition', () => {
  it('keys rows by runId and itemId, on demand, with a sparse index of failed items', () => {
    const table = ledgerTableDefinition('fanout-ledger');
    expect(table).toMatchObject({
      TableName: 'fanout-ledger',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'runId', KeyType: 'HASH' },
        { AttributeName: 'itemId', KeyType: 'RANGE' },
      ],
    });
    expect(table.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: FAILED_ITEMS_INDEX,
        KeySchema: [
          { AttributeName: 'failedRunId', KeyType: 'HASH' },
          { AttributeName: 'itemId', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
  });
});

describe('RUN_HEADER_ITEM_ID', () => {
  it('cannot be taken by an item and sorts before every item id', () => {
    expect(ITEM_ID_PATTERN.test(RUN_HEADER_ITEM_ID)).toBe(false);
    for (const first of ['-', '.', '0', 'A', '_', 'a']) expect(RUN_HEADER_ITEM_ID < first).toBe(true);
  });
});
