import { describe, expect, it } from 'vitest';
import { conditionHolds, IamPolicyError } from '../../../local/iam';

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
describe('conditionHolds', () => {
  it('ANDs the keys of a block and ORs the values of a key', () => {
    const block = {
      StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'], 'aws:PrincipalAccount': ['1'] },
    };
    expect(conditionHolds(block, { 'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '1' })).toBe(true);
    expect(conditionHolds(block, { 'aws:RequestedRegion': 'eu-west-1', 'aws:PrincipalAccount': '2' })).toBe(false);
    expect(conditionHolds(block, { 'aws:RequestedRegion': 'ap-south-1', 'aws:PrincipalAccount': '1' })).toBe(false);
  });

  it('compares key names case-insensitively and string values case-sensitively unless told', () => {
    expect(
      conditionHolds(
        { StringEquals: { 'AWS:RequestedRegion': ['us-east-1'] } },
        { 'aws:requestedregion': 'us-east-1' },
      ),
    ).toBe(true);
    expect(conditionHolds({ StringEquals: { k: ['A'] } }, { k: 'a' })).toBe(false);
    expect(conditionHolds({ StringEqualsIgnoreCase: { k: ['A'] } }, { k: 'a' })).toBe(true);
  });

  it('matches Like operators with wildcards and ARN operators segment by segment', () => {
    expect(conditionHolds({ StringLike: { k: ['run-*'] } }, { k: 'run-42' })).toBe(true);
    expect(conditionHolds({ StringNotLike: { k: ['run-*'] } }, { k: 'run-42' })).toBe(false);
    const arn = 'arn:aws:states:us-east-1:1:stateMachine:fanout-map';
    expect(
      conditionHolds({ ArnLike: { 'aws:SourceArn': ['arn:aws:states:*:1:stateMachine:*'] } }, { 'aws:SourceArn': arn }),
    ).toBe(true);
    expect(
      conditionHolds(
        { ArnEquals: { 'aws:SourceArn': ['arn:aws:states:*:2:stateMachine:*'] } },
        { 'aws:SourceArn': arn },
      ),
    ).toBe(false);
  });

  it('compares numbers as numbers', () => {
    expect(conditionHolds({ NumericLessThan: { n: ['10'] } }, { n: '9' })).toBe(true);
    expect(conditionHolds({ NumericLessThan: { n: ['10'] } }, { n: '10' })).toBe(false);
    expect(conditionHolds({ NumericGreaterThanEquals: { n: ['10'] } }, { n: '10.0' })).toBe(true);
    expect(conditionHolds({ NumericEquals: { n: ['10'] } }, { n: 'ten' })).toBe(false);
  });

  // "If the key that you specify in a policy condition is not present in the request context, the values do not match"
  it('treats an absent key as matching nothing: positive operators fail, negated ones hold, IfExists holds, Null says which', () => {
    expect(conditionHolds({ StringEquals: { missing: ['x'] } }, {})).toBe(false);
    expect(conditionHolds({ StringNotEquals: { missing: ['x'] } }, {})).toBe(true);
    expect(conditionHolds({ StringEqualsIfExists: { missing: ['x'] } }, {})).toBe(true);
    expect(conditionHolds({ StringEqualsIfExists: { present: ['x'] } }, { present: 'y' })).toBe(false);
    expect(conditionHolds({ Null: { missing: ['true'] } }, {})).toBe(true);
    expect(conditionHolds({ Null: { present: ['true'] } }, { present: 'y' })).toBe(false);
    expect(conditionHolds({ Null: { present: ['false'] } }, { present: 'y' })).toBe(true);
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
  it('applies ForAnyValue and ForAllValues to multivalued keys, ForAllValues holding for an absent key', () => {
    const tags = { 'aws:TagKeys': ['team', 'cost'] };
    expect(conditionHolds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } }, tags)).toBe(true);
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }, tags)).toBe(false);
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team', 'cost', 'env'] } }, tags)).toBe(
      true,
    );
    expect(conditionHolds({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['team'] } }, {})).toBe(true);
    expect(conditionHolds({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['team'] } }, {})).toBe(false);
  });

  it('refuses an operator it does not implement rather than guess', () => {
    expect(() => conditionHolds({ DateLessThan: { 'aws:CurrentTime': ['2030-01-01T00:00:00Z'] } }, {})).toThrow(
      new IamPolicyError('condition operator DateLessThan is not supported by the local evaluator'),
    );
  });
});
