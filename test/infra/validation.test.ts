import { Duration } from 'aws-cdk-lib';
import { describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../config';
import { FanoutInfraError, type JobDefinitionSpec, propsFromConfig } from '../../infra';
import { orchestratorStack } from './helpers';

vi.setConfig({ testTimeout: 60_000 });

const job = (spec: Partial<JobDefinitionSpec>) => ({ jobDefinitions: [{ name: 'fanout-job', ...spec }] });

describe('prop validation', () => {
  it('requires retry rules to end with a catch-all EXIT, since Batch retries what no rule matches', () => {
    expect(() => orchestratorStack(job({ retryRules: [{ onStatusReason: 'Host EC2*', action: 'RETRY' }] }))).toThrow(
      /jobDefinitions\[0\]\.retryRules must end with a catch-all EXIT rule .* \(received \{"onStatusReason":"Host EC2\*","action":"RETRY"\}\)/,
    );
  });

  it('refuses rules after a catch-all, more than five rules, and a glob Batch rejects', () => {
    expect(() =>
      orchestratorStack(
        job({
          retryRules: [
            { onReason: '*', action: 'EXIT' },
            { onExitCode: '137', action: 'RETRY' },
          ],
        }),
      ),
    ).toThrow(/jobDefinitions\[0\]\.retryRules\[0\] matches every attempt, so the rules after it can never apply/);
    const six = Array.from({ length: 5 }, () => ({ onExitCode: '1', action: 'RETRY' as const }));
    expect(() => orchestratorStack(job({ retryRules: [...six, { onReason: '*', action: 'EXIT' }] }))).toThrow(
      /retryRules may have at most 5 rules .*\(received 6\)/,
    );
    expect(() =>
      orchestratorStack(
        job({
          retryRules: [
            { onStatusReason: 'Host*EC2', action: 'RETRY' },
            { onReason: '*', action: 'EXIT' },
          ],
        }),
      ),
    ).toThrow(/retryRules\[0\]\.onStatusReason must be up to 512 letters.*\(received "Host\*EC2"\)/);
  });

  it('refuses a per-attempt timeout under 60 seconds', () => {
    expect(() => orchestratorStack(job({ timeout: Duration.seconds(30) }))).toThrow(
      'jobDefinitions[0].timeout must be at least 60 seconds (Batch minimum per attempt) (received "30 seconds")',
    );
  });

  it('refuses vCPU and memory that Fargate cannot run', () => {
    expect(() => orchestratorStack(job({ vcpus: 3 }))).toThrow(
      /jobDefinitions\[0\]\.vcpus must be a Fargate vCPU size .*\(received 3\)/,
    );
    expect(() => orchestratorStack(job({ vcpus: 1, memoryMiB: 1024 }))).toThrow(
      'jobDefinitions[0].memoryMiB must be 2048-8192 MiB in steps of 1024 for 1 vCPU on Fargate (received 1024)',
    );
  });

  it('refuses a queue naming an unknown compute environment, or more than three', () => {
    expect(() =>
      orchestratorStack({ jobQueues: [{ name: 'q', priority: 1, computeEnvironments: ['fanout-ec2'] }] }),
    ).toThrow(
      /jobQueues\[0\]\.computeEnvironments must name compute environments of computeEnvironments \(fanout-fargate, fanout-fargate-spot\) \(received "fanout-ec2"\)/,
    );
    expect(() =>
      orchestratorStack({ jobQueues: [{ name: 'q', priority: 1, computeEnvironments: ['a', 'b', 'c', 'd'] }] }),
    ).toThrow(/jobQueues\[0\]\.computeEnvironments must list 1-3 compute environments/);
  });

  it('attaches a fair-share policy to the queues that name it, and refuses a name that is not defined', () => {
    const schedulingPolicies = [
      {
        name: 'fanout-share',
        shares: [
          { shareIdentifier: 'teamA', weightFactor: 1 },
          { shareIdentifier: 'teamB', weightFactor: 0.5 },
        ],
      },
    ];
    const { template } = orchestratorStack({
      schedulingPolicies,
      jobQueues: [
        {
          name: 'fanout-shared',
          priority: 50,
          computeEnvironments: ['fanout-fargate-spot'],
          schedulingPolicy: 'fanout-share',
        },
      ],
    });
    const rendered = template();
    // Batch's documented defaults, spelled out: no reservation, only current usage counts.
    rendered.hasResourceProperties('AWS::Batch::SchedulingPolicy', {
      Name: 'fanout-share',
      FairsharePolicy: {
        ComputeReservation: 0,
        ShareDecaySeconds: 0,
        ShareDistribution: [
          { ShareIdentifier: 'teamA', WeightFactor: 1 },
          { ShareIdentifier: 'teamB', WeightFactor: 0.5 },
        ],
      },
    });
    const [policyId] = Object.keys(rendered.findResources('AWS::Batch::SchedulingPolicy'));
    rendered.hasResourceProperties('AWS::Batch::JobQueue', {
      JobQueueName: 'fanout-shared',
      SchedulingPolicyArn: { 'Fn::GetAtt': [policyId, 'Arn'] },
    });
    expect(() =>
      orchestratorStack({
        jobQueues: [
          { name: 'q', priority: 1, computeEnvironments: ['fanout-fargate'], schedulingPolicy: 'fanout-share' },
        ],
      }),
    ).toThrow(
      /jobQueues\[0\]\.schedulingPolicy must name one of schedulingPolicies \(none is defined\) \(received "fanout-share"\)/,
    );
  });

  it('refuses a weight, a reservation or a share identifier Batch does not accept, naming the field', () => {
    const withPolicy = (policy: object) => () => orchestratorStack({ schedulingPolicies: [{ name: 'p', ...policy }] });
    expect(withPolicy({ shares: [{ shareIdentifier: 'teamA', weightFactor: 1000 }] })).toThrow(
      /schedulingPolicies\[0\]\.shares\[0\]\.weightFactor must be between 0\.0001 and 999\.9999 \(received 1000\)/,
    );
    expect(withPolicy({ shares: [{ shareIdentifier: 'team-a', weightFactor: 1 }] })).toThrow(
      /schedulingPolicies\[0\]\.shares\[0\]\.shareIdentifier must be 1-255 letters or digits/,
    );
    expect(withPolicy({ computeReservation: 100 })).toThrow(
      /schedulingPolicies\[0\]\.computeReservation must be an integer from 0 to 99 \(received 100\)/,
    );
  });

  it('gives a queue its jobStateTimeLimitActions, and refuses a reason Batch does not know', () => {
    const action = {
      reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
      state: 'RUNNABLE' as const,
      maxTimeSeconds: 600,
      action: 'CANCEL' as const,
    };
    const { template } = orchestratorStack({
      jobQueues: [
        { name: 'q', priority: 1, computeEnvironments: ['fanout-fargate'], jobStateTimeLimitActions: [action] },
      ],
    });
    template().hasResourceProperties('AWS::Batch::JobQueue', {
      JobQueueName: 'q',
      JobStateTimeLimitActions: [
        {
          Action: 'CANCEL',
          MaxTimeSeconds: 600,
          Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT',
          State: 'RUNNABLE',
        },
      ],
    });
    expect(() =>
      orchestratorStack({
        jobQueues: [
          {
            name: 'q',
            priority: 1,
            computeEnvironments: ['fanout-fargate'],
            jobStateTimeLimitActions: [{ ...action, reason: 'SOMETHING' }],
          },
        ],
      }),
    ).toThrow(/jobQueues\[0\]\.jobStateTimeLimitActions\[0\]\.reason must be one of/);
  });

  it('gives a job definition its schedulingPriority, and refuses one above 9999', () => {
    const { template } = orchestratorStack({ jobDefinitions: [{ name: 'urgent', schedulingPriority: 90 }] });
    template().hasResourceProperties('AWS::Batch::JobDefinition', {
      JobDefinitionName: 'urgent',
      SchedulingPriority: 90,
    });
    expect(() => orchestratorStack({ jobDefinitions: [{ name: 'urgent', schedulingPriority: 10_000 }] })).toThrow(
      /jobDefinitions\[0\]\.schedulingPriority must be an integer from 0 to 9999 \(received 10000\)/,
    );
  });
});

describe('propsFromConfig', () => {
  const base = {
    computeEnvironments: [{ name: 'fanout-fargate', type: 'FARGATE', maxvCpus: 16 }],
    jobQueues: [{ name: 'fanout-high', priority: 100, computeEnvironments: ['fanout-fargate'] }],
    jobDefinitions: [{ name: 'fanout-job', image: 'fanout-job:latest' }],
  };
  const where = { account: '123456789012', region: 'eu-west-1' };

  it('keeps the local names and makes the bucket name unique per account and region', () => {
    const props = propsFromConfig(parseConfig(base), where);
    expect(props).toMatchObject({
      ledgerTableName: 'fanout-ledger',
      mapStateMachineName: 'fanout-map',
      arrayStateMachineName: 'fanout-array',
      notificationTopicName: 'fanout-notices',
      bucketName: 'fanout-data-123456789012-eu-west-1',
      computeEnvironments: [{ name: 'fanout-fargate', spot: false, maxvCpus: 16 }],
    });
    // A bare local tag means the image built from job/; no retryStrategy means no retry, as locally.
    expect(props.jobDefinitions?.[0]).toEqual({
      name: 'fanout-job',
      vcpus: 1,
      memoryMiB: 2048,
      retryAttempts: 1,
      retryRules: [],
    });
  });

  it("deploys the configuration's scheduling policies, queue actions and job definitions' scheduling priority", () => {
    const config = parseConfig({
      computeEnvironments: [{ name: 'ce', type: 'FARGATE', maxvCpus: 4 }],
      jobQueues: [
        {
          name: 'shared',
          priority: 5,
          computeEnvironments: ['ce'],
          schedulingPolicy: 'teams',
          jobStateTimeLimitActions: [
            {
              reason: 'MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE',
              state: 'RUNNABLE',
              maxTimeSeconds: 900,
              action: 'CANCEL',
            },
          ],
        },
        { name: 'even', priority: 1, computeEnvironments: ['ce'], schedulingPolicy: 'undefinedpolicy' },
      ],
      jobDefinitions: [{ name: 'job', image: 'fanout-job:latest', schedulingPriority: 5 }],
      schedulingPolicies: [
        { name: 'teams', shareDecaySeconds: 3600, shareDistribution: [{ shareIdentifier: 'teamA', weightFactor: 2 }] },
      ],
    });
    const props = propsFromConfig(config, { account: '123456789012', region: 'eu-west-1' });
    expect(props.schedulingPolicies).toEqual([
      {
        name: 'teams',
        shares: [{ shareIdentifier: 'teamA', weightFactor: 2 }],
        computeReservation: 0,
        shareDecay: Duration.seconds(3600),
      },
      { name: 'undefinedpolicy', shares: [], computeReservation: 0, shareDecay: Duration.seconds(0) },
    ]);
    expect(props.jobQueues?.[0]).toMatchObject({
      schedulingPolicy: 'teams',
      jobStateTimeLimitActions: [expect.objectContaining({ maxTimeSeconds: 900 })],
    });
    expect(props.jobDefinitions?.[0]).toMatchObject({ schedulingPriority: 5 });
  });

  it('names both state machines as the configuration does', () => {
    const props = propsFromConfig(
      parseConfig({ ...base, mapStateMachine: 'sweeps-map', arrayStateMachine: 'sweeps-array' }),
      where,
    );
    expect(props).toMatchObject({ mapStateMachineName: 'sweeps-map', arrayStateMachineName: 'sweeps-array' });
  });

  it('uses a registry image when the configured image names a registry', () => {
    const config = parseConfig({
      ...base,
      jobDefinitions: [{ name: 'fanout-job', image: 'public.ecr.aws/docker/library/python:3.12' }],
    });
    expect(propsFromConfig(config, where).jobDefinitions?.[0]?.image).toBeDefined();
  });

  it('refuses EC2 compute environments, naming the field', () => {
    const config = parseConfig({
      ...base,
      computeEnvironments: [{ name: 'fanout-fargate', type: 'SPOT', maxvCpus: 16 }],
    });
    expect(() => propsFromConfig(config, where)).toThrow(FanoutInfraError);
    expect(() => propsFromConfig(config, where)).toThrow(
      'computeEnvironments.0.type must be FARGATE or FARGATE_SPOT for the AWS deployment (received "SPOT")',
    );
  });
});
