import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalCredentials } from './sigv4.mjs';

/** Who else may call an endpoint, and what each caller may do: see {@link RequestGate}. */
export type EndpointAccess = Pick<RequestGate, 'secretFor' | 'authorize'>;

/** A signed request the gate asks `authorize` about. */
export interface AuthorizedCall {
  readonly accessKeyId: string;
  readonly request: IncomingMessage;
  readonly body: Buffer | undefined;
}

/** What a local endpoint admits: its signing name and the key pair it accepts. */
export interface RequestGate {
  readonly service: 'dynamodb' | 'states' | 'batch' | 'sns' | 's3';
  readonly credentials: LocalCredentials;
  /** More key pairs accepted beside `credentials`: the secret of each access key id it knows. */
  readonly secretFor?: (accessKeyId: string) => string | undefined;
  /**
   * The denial message for a signed request its key may not make (answered as the service's
   * AccessDenied), or undefined to let it through. S3's body is still in the stream.
   */
  readonly authorize?: (call: AuthorizedCall) => string | undefined;
  /** Bodies above this are refused with 413 before the signature is checked. @default 16 MiB */
  readonly maxBodyBytes?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Resolves with the request's body (undefined for S3, whose body stays in the stream) when
 * no web page sent it and it is signed with the gate's key pair; otherwise answers it with
 * the AWS service's error and resolves with undefined.
 */
export function admitRequest(
  request: IncomingMessage,
  response: ServerResponse,
  gate: RequestGate,
): Promise<{ body: Buffer | undefined; accessKeyId: string } | undefined>;
