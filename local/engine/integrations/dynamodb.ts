import {
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Json, JsonObject, TaskIntegration, TaskRequest } from '../types';
import {
  parametersObject,
  sdkOutputToJson,
  sdkResponseMetadata,
  sendAbortable,
  unsupportedAction,
} from './private/sdk-call';
import { type OptimizedErrorStyle, optimizedIntegrationError, withExceptionSuffix } from './private/sdk-errors';

export interface DynamoDbIntegrationOptions {
  readonly client: DynamoDBClient;
}

/**
 * DynamoDB errors that keep their own name in Step Functions. Any other error, such as a
 * `ValidationException`, is reported as `DynamoDB.AmazonDynamoDBException` (the generic
 * exception of the Java SDK behind optimized integrations), with the real code in the cause.
 */
const NAMED_ERRORS = new Set([
  'ConditionalCheckFailedException',
  'InternalServerError',
  'ItemCollectionSizeLimitExceededException',
  'ProvisionedThroughputExceededException',
  'ReplicatedWriteConflictException',
  'RequestLimitExceeded',
  'ResourceNotFoundException',
  'ThrottlingException',
  'TransactionConflictException',
]);

const DYNAMODB_ERRORS: OptimizedErrorStyle = {
  prefix: 'DynamoDB',
  service: 'AmazonDynamoDBv2',
  errorName: (name) => (NAMED_ERRORS.has(name) ? withExceptionSuffix(name) : 'AmazonDynamoDBException'),
};

interface ItemResponse {
  $metadata: { httpStatusCode?: number; requestId?: string };
}
type SendOptions = { abortSignal: AbortSignal };
type ItemCall = (client: DynamoDBClient, input: never, options: SendOptions) => Promise<ItemResponse>;

const COMMANDS: Record<string, ItemCall> = {
  getItem: (client, input, options) => client.send(new GetItemCommand(input), options),
  putItem: (client, input, options) => client.send(new PutItemCommand(input), options),
  updateItem: (client, input, options) => client.send(new UpdateItemCommand(input), options),
  deleteItem: (client, input, options) => client.send(new DeleteItemCommand(input), options),
};

/** Members of the item APIs whose values are attribute-value maps (binary values travel as base64 text in JSON). */
const ATTRIBUTE_MAPS = ['Key', 'Item', 'ExpressionAttributeValues'];

/**
 * The optimized DynamoDB integration (`arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`).
 * Parameters are the DynamoDB API request; the output is the API response with
 * `SdkHttpMetadata`/`SdkResponseMetadata`, and errors are `DynamoDB.<Code>`, e.g.
 * `DynamoDB.ConditionalCheckFailedException`.
 * @example createDynamoDbIntegration({ client: new DynamoDBClient({ endpoint: dynaliteUrl }) })
 */
export function createDynamoDbIntegration(options: DynamoDbIntegrationOptions): TaskIntegration {
  const { client } = options;
  return {
    service: 'dynamodb',
    actions: Object.keys(COMMANDS),
    async invoke(request: TaskRequest): Promise<Json> {
      const call = COMMANDS[request.action];
      if (!call) throw unsupportedAction('dynamodb', request.action, Object.keys(COMMANDS));
      const input = withBinaryValues(parametersObject(request.parameters));
      let response: ItemResponse;
      try {
        response = await sendAbortable((sendOptions) => call(client, input as never, sendOptions), request.signal);
      } catch (error) {
        if (request.signal.aborted) throw error;
        throw optimizedIntegrationError(error, DYNAMODB_ERRORS);
      }
      const output = sdkOutputToJson(response) as JsonObject;
      return {
        ...output,
        ...sdkResponseMetadata({
          requestId: response.$metadata.requestId,
          statusCode: response.$metadata.httpStatusCode,
          contentType: 'application/x-amz-json-1.0',
          date: request.clock.now(),
        }),
      };
    },
  };
}

/** Copies the request, turning base64 `B`/`BS` attribute values into bytes as the SDK expects. */
function withBinaryValues(parameters: JsonObject): Record<string, unknown> {
  const input: Record<string, unknown> = { ...parameters };
  for (const member of ATTRIBUTE_MAPS) {
    const map = parameters[member];
    if (map && typeof map === 'object' && !Array.isArray(map)) input[member] = attributeMap(map);
  }
  return input;
}

function attributeMap(map: JsonObject): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(map)) result[name] = attributeValue(value);
  return result;
}

function attributeValue(value: Json): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  if (typeof value.B === 'string') return { ...value, B: Buffer.from(value.B, 'base64') };
  if (Array.isArray(value.BS))
    return { ...value, BS: value.BS.map((item) => (typeof item === 'string' ? Buffer.from(item, 'base64') : item)) };
  if (Array.isArray(value.L)) return { ...value, L: value.L.map(attributeValue) };
  if (value.M && typeof value.M === 'object' && !Array.isArray(value.M)) return { ...value, M: attributeMap(value.M) };
  return value;
}
