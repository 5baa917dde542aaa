/**
 * Raw HTTP requests to the local endpoints, signed by the AWS SDK's own SigV4 signer
 * (`@smithy/signature-v4`), for tests that need bytes on the wire an SDK client would not send.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** node:crypto in the shape the signer asks for (a hash, or an HMAC when given a secret). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
}

export interface SignedRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** The signing name: `s3`, `states`, `dynamodb`, `batch`, `sns`. */
  readonly service: string;
  readonly credentials: SigningKey;
  /** Signs for this Host instead of the URL's (e.g. a `<bucket>.localhost` virtual host). */
  readonly host?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The signing time. @default now */
  readonly signingDate?: Date;
  /** S3 signs the path as sent; every other service encodes it once more. @default service !== 's3' */
  readonly uriEscapePath?: boolean;
}

/**
 * The headers (Authorization, X-Amz-Date, and for S3 x-amz-content-sha256) that sign a request
 * to `url`, plus the ones given.
 */
export async function signedHeaders(url: string, options: SignedRequestOptions): Promise<Record<string, string>> {
  const target = new URL(url);
  const host = options.host ?? target.host;
  const body = options.body;
  const headers: Record<string, string> = { host, ...options.headers };
  if (options.service === 's3' && !('x-amz-content-sha256' in headers)) {
    headers['x-amz-content-sha256'] = createHash('sha256')
      .update(body ?? '')
      .digest('hex');
  }
  const signer = new SignatureV4({
    service: options.service,
    region: options.region ?? 'us-east-1',
    credentials: options.credentials,
    sha256: NodeSha256,
    uriEscapePath: options.uriEscapePath ?? options.service !== 's3',
  });
  const query: Record<string, string> = {};
  for (const [name, value] of target.searchParams) query[name] = value;
  const signed = await signer.sign(
    {
      method: options.method ?? 'GET',
      protocol: target.protocol,
      hostname: host.replace(/:\d+$/, ''),
      path: target.pathname,
      query,
      headers,
      ...(body === undefined ? {} : { body }),
    },
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers as Record<string, string>;
}

/** `fetch` of `url`, signed with `options.credentials`. */
export async function signedFetch(url: string, options: SignedRequestOptions): Promise<Response> {
  const headers = await signedHeaders(url, options);
  // fetch sets Host itself, from the URL.
  const { host: _host, ...rest } = headers;
  return fetch(url, {
    method: options.method ?? 'GET',
    headers: rest,
    ...(options.body === undefined ? {} : { body: options.body }),
  });
}
