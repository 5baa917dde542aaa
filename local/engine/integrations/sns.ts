import {
  PublishCommand,
  type PublishCommandInput,
  type PublishCommandOutput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { Json, JsonObject, TaskIntegration, TaskRequest } from '../types';
import {
  invalidParameters,
  parametersObject,
  sdkOutputToJson,
  sdkResponseMetadata,
  sendAbortable,
  unsupportedAction,
} from './private/sdk-call';
import { type OptimizedErrorStyle, optimizedIntegrationError, withExceptionSuffix } from './private/sdk-errors';

export interface SnsIntegrationOptions {
  readonly client: SNSClient;
}

/**
 * SNS errors as Step Functions names them: the API code plus `Exception`, e.g. `NotFound` ->
 * `SNS.NotFoundException`, with the bare code in the cause. The JavaScript SDK already names its
 * exceptions that way, so the code is the name without the suffix.
 */
const SNS_ERRORS: OptimizedErrorStyle = {
  prefix: 'SNS',
  service: 'AmazonSNS',
  errorName: withExceptionSuffix,
  errorCode: (name) =>
    name.endsWith('Exception') && name !== 'ValidationException' ? name.slice(0, -'Exception'.length) : name,
};

const ACTIONS = ['publish'] as const;

/**
 * The optimized SNS integration (`arn:aws:states:::sns:publish`). A non-string `Message` is sent
 * as its JSON text; the output is `{ MessageId, SequenceNumber?, SdkHttpMetadata, SdkResponseMetadata }`.
 * @example createSnsIntegration({ client: new SNSClient({ endpoint: snsUrl }) })
 */
export function createSnsIntegration(options: SnsIntegrationOptions): TaskIntegration {
  const { client } = options;
  return {
    service: 'sns',
    actions: ACTIONS,
    async invoke(request: TaskRequest): Promise<Json> {
      if (request.action !== 'publish') throw unsupportedAction('sns', request.action, ACTIONS);
      const input = publishInput(parametersObject(request.parameters));
      let response: PublishCommandOutput;
      try {
        response = await sendAbortable(
          (sendOptions) => client.send(new PublishCommand(input), sendOptions),
          request.signal,
        );
      } catch (error) {
        if (request.signal.aborted) throw error;
        throw optimizedIntegrationError(error, SNS_ERRORS);
      }
      return {
        ...(sdkOutputToJson(response) as JsonObject),
        ...sdkResponseMetadata({
          requestId: response.$metadata.requestId,
          statusCode: response.$metadata.httpStatusCode,
          contentType: 'text/xml',
          date: request.clock.now(),
        }),
      };
    },
  };
}

function publishInput(parameters: JsonObject): PublishCommandInput {
  if (parameters.Message === undefined || parameters.Message === null) {
    throw invalidParameters(parameters, 'The field "Message" is required but was missing');
  }
  const input: Record<string, unknown> = { ...parameters };
  if (typeof parameters.Message !== 'string') input.Message = JSON.stringify(parameters.Message);
  const attributes = parameters.MessageAttributes;
  if (attributes && typeof attributes === 'object' && !Array.isArray(attributes)) {
    const converted: Record<string, unknown> = {};
    for (const [name, attribute] of Object.entries(attributes)) {
      // Binary attribute values travel as base64 text in JSON; the SDK wants the bytes.
      const binary =
        attribute && typeof attribute === 'object' && !Array.isArray(attribute) ? attribute.BinaryValue : undefined;
      converted[name] =
        typeof binary === 'string'
          ? { ...(attribute as JsonObject), BinaryValue: Buffer.from(binary, 'base64') }
          : attribute;
    }
    input.MessageAttributes = converted;
  }
  return input as unknown as PublishCommandInput;
}
