import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalCredentials } from './sigv4.mjs';

/** What a local endpoint admits: its signing name and the key pair it accepts. */
export interface RequestGate {
  readonly service: 'dynamodb' | 'states' | 'batch' | 'sns' | 's3';
  readonly credentials: LocalCredentials;
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
): Promise<{ body: Buffer | undefined } | undefined>;
