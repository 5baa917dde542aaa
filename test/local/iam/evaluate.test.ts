import { describe, expect, it } from 'vitest';
import {
  type AuthorizationRequest,
  accessDeniedMessage,
  evaluate,
  IamPolicyError,
  type Policy,
  readPolicy,
} from '../../../local/iam';

const account = '123456789012';
const table = `arn:aws:dynamodb:us-east-1:${account}:table/fanout-ledger`;
const role = `arn:aws:iam::${account}:role/fanout-prepare`;

function request(
  action: string,
  resource: string,
  context: AuthorizationRequest['context'] = {},
): AuthorizationRequest {
  return { principalArn: role, accountId: account, action, resource, context };
}

function policy(...statements: object[]): Policy {
  return readPolicy('test', { Version: '2012-10-17', Statement: statements });
}

const allowWrites = { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], Resource: table };

// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
describe('evaluate', () => {
  it('allows what an identity policy allows and implicitly denies the rest', () => {
    const identityPolicies = [policy(allowWrites)];
    expect(evaluate(request('dynamodb:PutItem', table), { identityPolicies })).toEqual({
      decision: 'Allow',
      decidedBy: 'test[0]',
      source: 'identity',
    });
    expect(evaluate(request('dynamodb:DeleteItem', table), { identityPolicies }).decision).toBe('ImplicitDeny');
    expect(evaluate(request('dynamodb:PutItem', `${table}-other`), { identityPolicies }).decision).toBe('ImplicitDeny');
  });

  it('lets an explicit Deny win over any Allow, in either order', () => {
    const deny = { Sid: 'NoDeletes', Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' };
    for (const statements of [
      [allowWrites, deny],
      [deny, allowWrites],
    ]) {
      expect(evaluate(request('dynamodb:PutItem', table), { identityPolicies: [policy(...statements)] })).toEqual({
        decision: 'ExplicitDeny',
        decidedBy: 'test[NoDeletes]',
        source: 'identity',
      });
    }
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html: action names are case-insensitive
  it('matches actions case-insensitively with * and ?, and NotAction as everything else', () => {
    const identityPolicies = [policy({ Effect: 'Allow', Action: 'DynamoDB:*Item', Resource: '*' })];
    expect(evaluate(request('dynamodb:GetItem', table), { identityPolicies }).decision).toBe('Allow');
    expect(evaluate(request('dynamodb:Query', table), { identityPolicies }).decision).toBe('ImplicitDeny');
    const one = [policy({ Effect: 'Allow', Action: 'batch:?ubmitJob', Resource: '*' })];
    expect(
      evaluate(request('batch:SubmitJob', 'arn:aws:batch:us-east-1:1:job-queue/q'), { identityPolicies: one }).decision,
    ).toBe('Allow');
    const notAction = [policy({ Effect: 'Allow', NotAction: 'dynamodb:DeleteItem', Resource: '*' })];
    expect(evaluate(request('s3:GetObject', 'arn:aws:s3:::b/k'), { identityPolicies: notAction }).decision).toBe(
      'Allow',
    );
    expect(evaluate(request('dynamodb:DeleteItem', table), { identityPolicies: notAction }).decision).toBe(
      'ImplicitDeny',
    );
  });

  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
  it('matches resources case-sensitively, each ARN segment apart, the resource part with its slashes', () => {
    const identityPolicies = [
      policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::fanout-data/runs/*' }),
      policy({
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: `arn:aws:dynamodb:*:${account}:table/fanout-ledger/index/*`,
      }),
    ];
    expect(
      evaluate(request('s3:GetObject', 'arn:aws:s3:::fanout-data/runs/a/b.json'), { identityPolicies }).decision,
    ).toBe('Allow');
    expect(
      evaluate(request('s3:GetObject', 'arn:aws:s3:::fanout-data/Runs/a.json'), { identityPolicies }).decision,
    ).toBe('ImplicitDeny');
    expect(evaluate(request('dynamodb:Query', `${table}/index/failed-items`), { identityPolicies }).decision).toBe(
      'Allow',
    );
    // A wildcard in the region segment does not reach into the account segment.
    expect(
      evaluate(request('dynamodb:Query', `arn:aws:dynamodb:us-east-1:999999999999:table/fanout-ledger/index/x`), {
        identityPolicies,
      }).decision,
    ).toBe('ImplicitDeny');
    const notResource = [policy({ Effect: 'Allow', Action: 's3:*', NotResource: 'arn:aws:s3:::secret/*' })];
    expect(evaluate(request('s3:GetObject', 'arn:aws:s3:::secret/k'), { identityPolicies: notResource }).decision).toBe(
      'ImplicitDeny',
    );
  });

  it('allows through a resource policy naming the principal, and denies through one', () => {
    const resourcePolicy = readPolicy('bucket', {
      Statement: [
        { Effect: 'Allow', Principal: { AWS: role }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:role/other' },
          Action: 's3:PutObject',
          Resource: '*',
        },
      ],
    });
    expect(evaluate(request('s3:GetObject', 'arn:aws:s3:::b/k'), { identityPolicies: [], resourcePolicy })).toEqual({
      decision: 'Allow',
      decidedBy: 'bucket[0]',
      source: 'resource',
    });
    expect(
      evaluate(request('s3:PutObject', 'arn:aws:s3:::b/k'), { identityPolicies: [], resourcePolicy }).decision,
    ).toBe('ImplicitDeny');
  });

  // The bucket policy CDK writes for enforceSSL, which a rehearsal must not trip over: the SDKs
  // use HTTPS on AWS, so a rehearsal supplies aws:SecureTransport "true".
  it('applies a Bool condition on aws:SecureTransport as the request context says', () => {
    const resourcePolicy = readPolicy('bucket', {
      Statement: [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    });
    const identityPolicies = [policy({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })];
    const over = (secure: string) =>
      evaluate(request('s3:GetObject', 'arn:aws:s3:::b/k', { 'aws:SecureTransport': secure }), {
        identityPolicies,
        resourcePolicy,
      }).decision;
    expect(over('true')).toBe('Allow');
    expect(over('false')).toBe('ExplicitDeny');
  });

  it('names the role, action and resource of a denial as AWS does', () => {
    const denied = request('dynamodb:PutItem', table);
    expect(
      accessDeniedMessage(
        denied,
        evaluate(denied, { identityPolicies: [] }),
        'arn:aws:sts::123456789012:assumed-role/fanout-prepare/rehearsal',
      ),
    ).toBe(
      'User: arn:aws:sts::123456789012:assumed-role/fanout-prepare/rehearsal is not authorized to perform: dynamodb:PutItem on resource: ' +
        `${table} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });
});

describe('readPolicy', () => {
  it('names the statement and element that break the grammar', () => {
    expect(() => readPolicy('p', { Statement: [{ Effect: 'Permit', Action: '*', Resource: '*' }] })).toThrow(
      'policy p, Statement[0].Effect must be "Allow" or "Deny" (received "Permit")',
    );
    expect(() => readPolicy('p', { Statement: { Effect: 'Allow', Resource: '*' } })).toThrow(
      'policy p, Statement[0] needs exactly one of Action and NotAction',
    );
    expect(() => readPolicy('p', { Statement: [{ Effect: 'Allow', Action: [1], Resource: '*' }] })).toThrow(
      IamPolicyError,
    );
  });
});
