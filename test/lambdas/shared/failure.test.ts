import { describe, expect, it } from 'vitest';
import { classifyJobFailure, classifyTaskError, type JobFailureFacts } from '../../../lambdas/shared/failure';
import { evaluateChoiceRule } from '../../../local/engine/expressions';
import { loadMapDefinition } from '../../../statemachine';

// biome-ignore lint/suspicious/noExplicitAny: an ASL state is read as an untyped JSON document
type State = Record<string, any>;

// The map path classifies in its child's Choice states; Collect classifies in code. Both must agree.
const child = (
  JSON.parse(
    loadMapDefinition({
      PrepareFunctionArn: 'p',
      RetryFunctionArn: 'r',
      SummarizeFunctionArn: 's',
      NotifyFunctionArn: 'n',
      LedgerTableName: 't',
      DataBucket: 'b',
    }),
  ) as { States: { FanOut: { ItemProcessor: { States: Record<string, State> } } } }
).States.FanOut.ItemProcessor.States;

/** The class the map path's ClassifyJobFailure state picks for these facts. */
function classifiedByStateMachine(facts: JobFailureFacts): string {
  const input = {
    failure: {
      statusReason: facts.statusReason,
      container: { Reason: facts.containerReason },
      exit: { code: facts.exitCode ?? -1 },
    },
  };
  const state = child.ClassifyJobFailure as State;
  const rule = (state.Choices as State[]).find((candidate) =>
    evaluateChoiceRule(candidate as never, input as never, {} as never),
  );
  const next = (rule?.Next ?? state.Default) as string;
  return (child[next] as State).Result as string;
}

const cases: Array<[string, JobFailureFacts, string]> = [
  [
    'EC2 Spot reclaimed',
    { statusReason: 'Host EC2 (instance i-0abc) terminated.', exitCode: undefined, containerReason: '' },
    'SPOT_INTERRUPTED',
  ],
  [
    'Fargate Spot interrupted',
    { statusReason: 'Your Spot Task was interrupted.', exitCode: 143, containerReason: '' },
    'SPOT_INTERRUPTED',
  ],
  ['timeout', { statusReason: 'Job attempt duration exceeded timeout', exitCode: 137, containerReason: '' }, 'TIMEOUT'],
  [
    'terminated by Step Functions',
    { statusReason: 'Terminated by Step Functions', exitCode: 143, containerReason: '' },
    'ABORTED',
  ],
  ['cancelled by a user', { statusReason: 'cancelled by ops', exitCode: undefined, containerReason: '' }, 'ABORTED'],
  ['Cancel in a reason', { statusReason: 'Cancel requested', exitCode: undefined, containerReason: '' }, 'ABORTED'],
  [
    'out of memory',
    {
      statusReason: 'Essential container in task exited',
      exitCode: 137,
      containerReason: 'OutOfMemoryError: Container killed due to memory usage',
    },
    'OUT_OF_MEMORY',
  ],
  [
    '137 without OOM',
    { statusReason: 'Essential container in task exited', exitCode: 137, containerReason: '' },
    'APP_ERROR',
  ],
  [
    'non-zero exit',
    { statusReason: 'Essential container in task exited', exitCode: 3, containerReason: '' },
    'APP_ERROR',
  ],
  // docs: AmazonECS/latest/developerguide/stopped-task-error-codes.html
  [
    'a container that could not start',
    {
      statusReason: 'Task failed to start',
      exitCode: undefined,
      containerReason:
        'CannotStartContainerError: Error response from daemon: failed to create shim task: OCI runtime create failed: exec: "train": executable file not found in $PATH',
    },
    'START_ERROR',
  ],
  [
    'an image that could not be pulled',
    {
      statusReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      exitCode: undefined,
      containerReason: '',
    },
    'START_ERROR',
  ],
  [
    'a registry that could not be reached',
    {
      statusReason: 'Task failed to start',
      exitCode: undefined,
      containerReason: 'ResourceInitializationError: unable to pull secrets or registry auth',
    },
    'START_ERROR',
  ],
  [
    'a command the launcher did not find',
    { statusReason: 'Essential container in task exited', exitCode: 127, containerReason: '' },
    'START_ERROR',
  ],
  [
    'a command the launcher could not execute',
    { statusReason: 'Essential container in task exited', exitCode: 126, containerReason: '' },
    'START_ERROR',
  ],
  [
    'a command the launcher could not resolve',
    { statusReason: 'Essential container in task exited', exitCode: 125, containerReason: '' },
    'START_ERROR',
  ],
  [
    'no exit code',
    { statusReason: 'Task failed to start', exitCode: undefined, containerReason: 'CannotInspectContainerError' },
    'UNKNOWN',
  ],
  [
    'array parent failed',
    { statusReason: 'Dependent Job failed', exitCode: undefined, containerReason: '' },
    'UNKNOWN',
  ],
  ['exit 0 yet FAILED', { statusReason: '', exitCode: 0, containerReason: '' }, 'UNKNOWN'],
];

describe('classifyJobFailure', () => {
  it.each(cases)('classifies %s as the map path does', (_, facts, expected) => {
    expect(classifyJobFailure(facts)).toBe(expected);
    expect(classifiedByStateMachine(facts)).toBe(expected);
  });
});

describe('classifyTaskError', () => {
  it('calls a Batch API error a SUBMIT_ERROR and anything else UNKNOWN, as ClassifyTaskError does', () => {
    expect(classifyTaskError('Batch.ClientException')).toBe('SUBMIT_ERROR');
    expect(classifyTaskError('States.Timeout')).toBe('UNKNOWN');
    expect((child.ClassifyTaskError as State).Choices).toEqual([
      { Variable: '$.error.Error', StringMatches: 'Batch.*', Next: 'SubmitError' },
    ]);
  });
});
