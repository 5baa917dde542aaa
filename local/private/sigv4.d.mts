import type { IncomingMessage } from 'node:http';

/** The one key pair a local cloud's endpoints accept. */
export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Why a request's signature is refused. */
export interface SignatureRefusal {
  /** `expired`: signed more than 15 minutes from now; `link-expired`: a presigned URL past its expiry. */
  readonly kind: 'missing' | 'malformed' | 'unknown-key' | 'mismatch' | 'expired' | 'link-expired';
  readonly detail: string;
  readonly canonicalRequest?: string;
  readonly stringToSign?: string;
}

/** A fresh key pair for one local cloud (access key id `LOCAL...`). */
export function generateLocalCredentials(): LocalCredentials;
/** SHA-256 of `data` in lower-case hex. */
export function sha256Hex(data: string | Buffer): string;
/** Why the request's SigV4 signature is refused, or undefined when it is signed with `credentials`. */
export function verifySignature(
  request: IncomingMessage,
  check: {
    credentials?: LocalCredentials;
    /** Every key pair accepted, by access key id (instead of `credentials`). */
    secretFor?: (accessKeyId: string) => string | undefined;
    service: string;
    payloadHash: string | undefined;
    now: number;
  },
): SignatureRefusal | undefined;
/** The access key id a request is signed with, or undefined. */
export function signingKeyId(request: IncomingMessage): string | undefined;
