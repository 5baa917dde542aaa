import {
  type BatchClient,
  type JobDetail,
  SubmitJobCommand,
  type SubmitJobCommandInput,
  type SubmitJobCommandOutput,
  TerminateJobCommand,
} from '@aws-sdk/client-batch';
import { systemClock } from '../clock';
import { StatesError, StatesErrors } from '../errors';
import type { Clock, Json, JsonObject, TaskIntegration, TaskRequest } from '../types';
import { JobWatcher } from './private/job-watcher';
import { toCamelCaseKeys, toPascalCaseKeys } from './private/key-case';
import {
  hasParameterType,
  invalidParameters,
  type ParameterType,
  parametersObject,
  requiredString,
  sdkResponseMetadata,
  wrongParameterType,
} from './private/sdk-call';
import { type OptimizedErrorStyle, optimizedIntegrationError } from './private/sdk-errors';

export interface BatchIntegrationOptions {
  readonly client: BatchClient;
  /**
   * Time between two DescribeJobs rounds while `.sync` tasks wait. Each round describes every
   * waiting job, 100 ids per call.
   * @default 100
   */
  readonly pollIntervalMs?: number | undefined;
  /** Time source of the poller; tests inject a manual one. @default the system clock */
  readonly clock?: Clock | undefined;
}

/** The reason given to TerminateJob when a waiting task is aborted (AWS does not document its own wording). */
export const TERMINATE_REASON = 'Terminated by Step Functions';

const DEFAULT_POLL_INTERVAL_MS = 100;

/**
 * The SubmitJob parameters the optimized integration accepts (docs: step-functions/latest/dg/connect-batch.html)
 * and the type the SubmitJob API gives each (docs: batch/latest/APIReference/API_SubmitJob.html;
 * `parameters` and `tags` are string maps, so objects).
 */
const PARAMETER_TYPES: ReadonlyMap<string, ParameterType> = new Map([
  ['ArrayProperties', 'OBJECT'],
  ['ConsumableResourcePropertiesOverride', 'OBJECT'],
  ['ContainerOverrides', 'OBJECT'],
  ['DependsOn', 'ARRAY'],
  ['EcsPropertiesOverride', 'OBJECT'],
  ['EksPropertiesOverride', 'OBJECT'],
  ['JobDefinition', 'STRING'],
  ['JobName', 'STRING'],
  ['JobQueue', 'STRING'],
  ['NodeOverrides', 'OBJECT'],
  ['Parameters', 'OBJECT'],
  ['PropagateTags', 'BOOLEAN'],
  ['RetryStrategy', 'OBJECT'],
  ['SchedulingPriorityOverride', 'INTEGER'],
  ['ShareIdentifier', 'STRING'],
  ['Tags', 'OBJECT'],
  ['Timeout', 'OBJECT'],
]);

/** Batch API errors as Step Functions names them: `Batch.ClientException`, `Batch.ServerException`, ... */
const BATCH_ERRORS: OptimizedErrorStyle = { prefix: 'Batch', service: 'AWSBatch' };

/**
 * The optimized AWS Batch integration: `arn:aws:states:::batch:submitJob` returns the SubmitJob
 * response, `arn:aws:states:::batch:submitJob.sync` waits for the job and returns its DescribeJobs
 * detail in PascalCase, or fails with `States.TaskFailed` whose cause is that detail as JSON when
 * the job FAILED. An aborted `.sync` task terminates its job.
 * @example createBatchIntegration({ client: new BatchClient({ endpoint: batchUrl }), pollIntervalMs: 50 })
 */
export function createBatchIntegration(options: BatchIntegrationOptions): TaskIntegration {
  const { client } = options;
  const watcher = new JobWatcher(
    client,
    options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    options.clock ?? systemClock,
    (error) => optimizedIntegrationError(error, BATCH_ERRORS),
  );

  const terminate = async (jobId: string): Promise<void> => {
    try {
      await client.send(new TerminateJobCommand({ jobId, reason: TERMINATE_REASON }));
    } catch {
      // Best effort, as on AWS: the task is stopping either way (docs: step-functions/latest/dg/service-integration-iam-templates.html).
    }
  };

  return {
    service: 'batch',
    actions: ['submitJob', 'submitJob.sync'],
    async invoke(request: TaskRequest): Promise<Json> {
      const { signal } = request;
      signal.throwIfAborted();
      const input = submitJobInput(request.parameters);
      let submitted: SubmitJobCommandOutput;
      try {
        // Not abortable: once sent, a job may exist, and only its id lets an abort terminate it.
        submitted = await client.send(new SubmitJobCommand(input));
      } catch (error) {
        throw optimizedIntegrationError(error, BATCH_ERRORS);
      }
      const jobId = submitted.jobId ?? '';
      if (request.action === 'submitJob') {
        signal.throwIfAborted();
        return {
          JobArn: submitted.jobArn ?? null,
          JobId: jobId,
          JobName: submitted.jobName ?? input.jobName ?? '',
          ...sdkResponseMetadata({
            requestId: submitted.$metadata.requestId,
            statusCode: submitted.$metadata.httpStatusCode,
            contentType: 'application/json',
            date: request.clock.now(),
          }),
        };
      }

      let job: JobDetail;
      try {
        job = await watcher.watch(jobId, signal);
      } catch (error) {
        if (signal.aborted) {
          await terminate(jobId);
          throw signal.reason;
        }
        throw error;
      }
      const detail = toPascalCaseKeys(job);
      if (job.status === 'FAILED') throw new StatesError(StatesErrors.TaskFailed, JSON.stringify(detail));
      return detail;
    },
  };
}

/**
 * Step Functions' PascalCase SubmitJob parameters to the SDK input, rejecting what the integration
 * does not accept and any field whose value does not have its API type (null included).
 */
function submitJobInput(parameters: Json): SubmitJobCommandInput {
  const object = parametersObject(parameters);
  for (const field of ['JobName', 'JobQueue', 'JobDefinition']) requiredString(object, field);
  for (const [field, value] of Object.entries(object)) {
    const type = PARAMETER_TYPES.get(field);
    if (type === undefined) throw invalidParameters(object, `The field "${field}" is not supported by Step Functions`);
    // Step Functions checks each field against the API's type before calling Batch, so a null
    // (a JSONPath pointing at a null, e.g. an unset option) fails the state instead of meaning "absent".
    if (!hasParameterType(value, type)) throw wrongParameterType(object, field, type);
  }
  return toCamelCaseKeys(object as JsonObject) as SubmitJobCommandInput;
}
