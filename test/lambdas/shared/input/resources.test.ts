import { describe, expect, it } from 'vitest';
import { validateInput } from '../../../../lambdas/shared/input/plan';
import { checkJobResources, type KnownJobResources } from '../../../../lambdas/shared/input/resources';
import { inputError } from './helpers';

const local: KnownJobResources = {
  source: 'fanout.config.json',
  jobQueues: ['fanout-high', 'fanout-low'],
  jobDefinitions: ['fanout-job', 'python-sweep'],
  onlyRevision: 1,
  definitionArnPrefix: 'arn:aws:batch:us-east-1:000000000000:job-definition/',
};

describe('checkJobResources', () => {
  it.each([
    ['fanout-low', 'fanout-job'],
    ['fanout-high', 'python-sweep:1'],
    ['fanout-high', 'arn:aws:batch:us-east-1:000000000000:job-definition/fanout-job:1'],
    ['fanout-high', 'arn:aws:batch:us-east-1:000000000000:job-definition/fanout-job'],
  ])('accepts queue %s with job definition %s', (jobQueue, jobDefinition) => {
    expect(() => checkJobResources({ jobQueue, jobDefinition }, local)).not.toThrow();
  });

  // Each row: queue, job definition, the field named, a fragment of the rule.
  it.each([
    [
      'nope',
      'fanout-job',
      'jobQueue',
      'must be a job queue that fanout.config.json defines: "fanout-high", "fanout-low"',
    ],
    ['fanout-high', 'other', 'jobDefinition', 'must name a job definition that fanout.config.json defines'],
    ['fanout-high', 'fanout-job:2', 'jobDefinition', 'job definition "fanout-job" has only revision 1 here'],
    [
      'fanout-high',
      'arn:aws:batch:eu-west-1:123456789012:job-definition/fanout-job:1',
      'jobDefinition',
      'must start with arn:aws:batch:us-east-1:000000000000:job-definition/',
    ],
  ])('refuses queue %s with job definition %s, naming %s', (jobQueue, jobDefinition, path, rule) => {
    const error = inputError(() => checkJobResources({ jobQueue, jobDefinition }, local));
    expect(error.issues).toEqual([
      {
        path,
        message: expect.stringContaining(rule),
        received: JSON.stringify(path === 'jobQueue' ? jobQueue : jobDefinition),
      },
    ]);
  });

  it('reports an unknown queue and an unknown job definition together', () => {
    const error = inputError(() => checkJobResources({ jobQueue: 'q', jobDefinition: 'd' }, local));
    expect(error.issues.map((issue) => issue.path)).toEqual(['jobQueue', 'jobDefinition']);
  });

  it('does not check revisions where they are not known', () => {
    const { onlyRevision: _unknown, ...anywhere } = local;
    expect(() => checkJobResources({ jobQueue: 'fanout-high', jobDefinition: 'fanout-job:7' }, anywhere)).not.toThrow();
  });
});

describe('checkJobResources: fair share', () => {
  // docs: batch/latest/APIReference/API_SubmitJob.html (shareIdentifier): required on a queue with a
  // scheduling policy, not allowed on one without.
  const withPolicy: KnownJobResources = { ...local, schedulingPolicies: { 'fanout-low': 'fanout-teams' } };

  it('accepts a shareIdentifier on a queue with a scheduling policy, and none on a queue without', () => {
    expect(() =>
      checkJobResources({ jobQueue: 'fanout-low', jobDefinition: 'fanout-job', shareIdentifier: 'teamA' }, withPolicy),
    ).not.toThrow();
    expect(() => checkJobResources({ jobQueue: 'fanout-high', jobDefinition: 'fanout-job' }, withPolicy)).not.toThrow();
  });

  it('refuses a run on a fair-share queue without a shareIdentifier, naming the queue and its policy', () => {
    const error = inputError(() =>
      checkJobResources({ jobQueue: 'fanout-low', jobDefinition: 'fanout-job' }, withPolicy),
    );
    expect(error.issues).toEqual([
      {
        path: 'shareIdentifier',
        message: expect.stringContaining(
          'is required: job queue "fanout-low" has the fair-share scheduling policy fanout-teams',
        ),
        received: 'undefined',
      },
    ]);
  });

  it('refuses a shareIdentifier on a queue without a scheduling policy, with the value received', () => {
    const error = inputError(() =>
      checkJobResources({ jobQueue: 'fanout-high', jobDefinition: 'fanout-job', shareIdentifier: 'teamA' }, withPolicy),
    );
    expect(error.message).toContain(
      'shareIdentifier: can only be given for a job queue with a fair-share scheduling policy; job queue "fanout-high" has none (received "teamA")',
    );
  });

  it('is checked by validateInput before anything runs', () => {
    const error = inputError(() =>
      validateInput({ items: [{}], jobQueue: 'fanout-low' }, { executionName: 'r', jobResources: withPolicy }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual(['shareIdentifier']);
  });
});

describe('validateInput with the job resources of the destination', () => {
  it('refuses the default queue when the destination does not define it', () => {
    const error = inputError(() =>
      validateInput({ items: [{}] }, { executionName: 'r', jobResources: { ...local, jobQueues: ['other'] } }),
    );
    expect(error.message).toContain(
      'jobQueue: must be a job queue that fanout.config.json defines: "other" (received "fanout-high")',
    );
  });

  it('checks nothing without them (Prepare asks Batch on AWS)', () => {
    expect(validateInput({ items: [{}], jobQueue: 'elsewhere' }, { executionName: 'r' }).input.jobQueue).toBe(
      'elsewhere',
    );
  });

  it("leaves a retry alone: it runs on the earlier run's own queue", () => {
    expect(validateInput({ retryOf: 'r1' }, { jobResources: { ...local, jobQueues: [] } }).input.retryOf).toBe('r1');
  });
});
