import { describe, expect, it } from 'vitest';
import { type CloudAssembly, RehearsalError, TemplateResolver } from '../../../local/rehearse';

function assembly(resources: CloudAssembly['template']['Resources']): CloudAssembly {
  return {
    dir: '/nowhere',
    stackName: 'Sweep',
    account: '123456789012',
    region: 'eu-west-1',
    template: { Resources: resources, Parameters: { Stage: { Type: 'String', Default: 'prod' } } },
    assetPath: () => undefined,
  };
}

const resources = {
  Ledger: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'ledger' } },
  Data: { Type: 'AWS::S3::Bucket', Properties: {} },
  Notices: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'notices' } },
  Queue: { Type: 'AWS::Batch::JobQueue', Properties: { JobQueueName: 'high' } },
  Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/service/' } },
  Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'map' } },
};

// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
describe('TemplateResolver', () => {
  const resolver = new TemplateResolver(assembly(resources));

  it('gives Ref and Fn::GetAtt the values each resource type returns', () => {
    expect(resolver.resolve({ Ref: 'Ledger' }, 'x')).toBe('ledger');
    expect(resolver.resolve({ 'Fn::GetAtt': ['Ledger', 'Arn'] }, 'x')).toBe(
      'arn:aws:dynamodb:eu-west-1:123456789012:table/ledger',
    );
    // A topic's Ref is its ARN, a job queue's too.
    expect(resolver.resolve({ Ref: 'Notices' }, 'x')).toBe('arn:aws:sns:eu-west-1:123456789012:notices');
    expect(resolver.resolve({ 'Fn::GetAtt': 'Queue.JobQueueArn' }, 'x')).toBe(
      'arn:aws:batch:eu-west-1:123456789012:job-queue/high',
    );
    expect(resolver.resolve({ 'Fn::GetAtt': ['Role', 'Arn'] }, 'x')).toMatch(
      /^arn:aws:iam::123456789012:role\/service\/Sweep-Role-[0-9A-F]{12}$/,
    );
  });

  it('names a resource without a name property as CloudFormation does, bucket names in lower case, stably', () => {
    const name = resolver.physicalName('Data');
    expect(name).toMatch(/^sweep-data-[0-9a-f]{12}$/);
    expect(new TemplateResolver(assembly(resources)).physicalName('Data')).toBe(name);
  });

  it('resolves Fn::Join, Fn::Select, Fn::Split, Fn::Sub and the pseudo parameters', () => {
    expect(
      resolver.resolve(
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Data' }, '/runs/*']] },
        'x',
      ),
    ).toBe(`arn:aws:s3:::${resolver.physicalName('Data')}/runs/*`);
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, 'x')).toBe('b');
    expect(
      resolver.resolve(
        { 'Fn::Sub': ['${AWS::Region}/${Machine.Name}/${Stage}/${Extra}/${!Literal}', { Extra: { Ref: 'Ledger' } }] },
        'x',
      ),
    ).toBe('eu-west-1/map/prod/ledger/${Literal}');
  });

  it('names the resource and property of what it cannot resolve', () => {
    expect(() => resolver.resolve({ 'Fn::ImportValue': 'Shared' }, 'Ledger.TableName')).toThrow(
      new RehearsalError('Ledger.TableName (Fn::ImportValue): the rehearsal does not resolve Fn::ImportValue'),
    );
    expect(() => resolver.resolve({ Ref: 'Missing' }, 'Machine.RoleArn')).toThrow(
      'Machine.RoleArn: no resource Missing in the template',
    );
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Ledger', 'StreamArn'] }, 'Fn.Env')).toThrow(
      'Fn.Env: Fn::GetAtt Ledger.StreamArn of a AWS::DynamoDB::Table is not supported',
    );
  });
});
