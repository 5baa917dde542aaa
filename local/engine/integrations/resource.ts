/** The service and action a Task's `Resource` names. */
interface ParsedResource {
  /** `lambda`, `batch`, `dynamodb`, `sns`, `states`, or `aws-sdk:<service>` for AWS SDK integrations. */
  service: string;
  /** The API action with its integration pattern, e.g. `submitJob.sync`, `startExecution.sync:2`, `getObject`. */
  action: string;
}

/** Resource types of `arn:aws:states:` ARNs that are not service integrations. */
const NOT_INTEGRATIONS = new Set(['activity', 'stateMachine', 'execution', 'express', 'mapRun']);

/**
 * Splits a service integration ARN into service and action; `undefined` for anything else
 * (a Lambda function ARN, an activity ARN, a malformed string).
 * @example parseResource('arn:aws:states:::aws-sdk:s3:getObject') // { service: 'aws-sdk:s3', action: 'getObject' }
 * @example parseResource('arn:aws:states:::batch:submitJob.sync') // { service: 'batch', action: 'submitJob.sync' }
 */
export function parseResource(resource: string): ParsedResource | undefined {
  // arn:<partition>:states:<region?>:<account?>:<service>:<action>[:<pattern suffix>]
  const parts = resource.split(':');
  if (parts.length < 7 || parts[0] !== 'arn' || !parts[1] || parts[2] !== 'states') return undefined;
  const rest = parts.slice(5);
  if (NOT_INTEGRATIONS.has(rest[0]!)) return undefined;
  const sdk = rest[0] === 'aws-sdk';
  const service = sdk ? `aws-sdk:${rest[1] ?? ''}` : rest[0]!;
  const action = rest.slice(sdk ? 2 : 1).join(':');
  if (!action || service.endsWith(':') || !service || rest.some((part) => part === '')) return undefined;
  return { service, action };
}
