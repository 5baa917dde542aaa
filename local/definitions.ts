import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FanoutConfig } from '../config';
import { substituteDefinition } from '../statemachine';

/** Where the state machine definitions live; the same files CDK deploys. */
export const statemachineDir = resolve(import.meta.dirname, '..', 'statemachine');

/** Reads a state machine file and fills its `${...}` placeholders with local ARNs and names. */
export function localDefinition(file: string, config: FanoutConfig): string {
  const lambdaArn = (name: string) => `arn:aws:lambda:${config.region}:${config.accountId}:function:${name}`;
  return substituteDefinition(readFileSync(file, 'utf8'), {
    PrepareFunctionArn: lambdaArn('fanout-prepare'),
    RetryFunctionArn: lambdaArn('fanout-retry'),
    SummarizeFunctionArn: lambdaArn('fanout-summarize'),
    CollectFunctionArn: lambdaArn('fanout-collect'),
    NotifyFunctionArn: lambdaArn('fanout-notify'),
    LedgerTableName: config.ledgerTable,
    DataBucket: config.bucket,
  });
}
