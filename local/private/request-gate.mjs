/**
 * The one way into every local endpoint (docs/threat-model.md): a request from a web page or
 * for a foreign Host is refused (browser-guard.mjs), then one signed with anything but this
 * local cloud's key pair is refused with the error the AWS service returns for it. Only then
 * does the service see the request.
 *
 * Plain JavaScript, so that dynalite's child process (local/dynamodb-server.mjs) uses it too.
 */
import { randomUUID } from 'node:crypto';
import { refuseBrowserReach } from './browser-guard.mjs';
import { sha256Hex, signingKeyId, verifySignature } from './sigv4.mjs';

/** DynamoDB's and Step Functions' largest requests are well below this; a bigger body is not read. */
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
const TOKEN_INVALID = 'The security token included in the request is invalid.';

/**
 * The error each service answers a refused signature with, by refusal kind: code, HTTP status
 * and message (a function of the refusal's detail where AWS puts the detail in the message).
 * JSON-protocol services (DynamoDB, Step Functions) answer 400, REST services (Batch) 403,
 * the query protocol (SNS) 403 with `Sender` errors, S3 its own codes.
 */
const ERRORS = {
  json: {
    missing: ['MissingAuthenticationTokenException', 400, () => 'Request is missing Authentication Token'],
    malformed: ['IncompleteSignatureException', 400, (d) => d],
    'unknown-key': ['UnrecognizedClientException', 400, () => TOKEN_INVALID],
    mismatch: ['InvalidSignatureException', 400, () => SIGNATURE_MISMATCH],
    expired: ['InvalidSignatureException', 400, (d) => d],
    'link-expired': ['InvalidSignatureException', 400, (d) => d],
    denied: ['AccessDeniedException', 400, (d) => d],
  },
  'rest-json': {
    missing: ['MissingAuthenticationTokenException', 403, () => 'Missing Authentication Token'],
    malformed: ['IncompleteSignatureException', 403, (d) => d],
    'unknown-key': ['UnrecognizedClientException', 403, () => TOKEN_INVALID],
    mismatch: ['InvalidSignatureException', 403, () => SIGNATURE_MISMATCH],
    expired: ['InvalidSignatureException', 403, (d) => d],
    'link-expired': ['InvalidSignatureException', 403, (d) => d],
    denied: ['AccessDeniedException', 403, (d) => d],
  },
  query: {
    missing: [
      'MissingAuthenticationToken',
      403,
      () => 'Request must contain either a valid (registered) AWS access key ID or X.509 certificate.',
    ],
    malformed: ['IncompleteSignature', 400, (d) => d],
    'unknown-key': ['InvalidClientTokenId', 403, () => TOKEN_INVALID],
    mismatch: ['SignatureDoesNotMatch', 403, () => SIGNATURE_MISMATCH],
    expired: ['SignatureDoesNotMatch', 403, (d) => d],
    'link-expired': ['SignatureDoesNotMatch', 403, (d) => d],
    denied: ['AuthorizationError', 403, (d) => d],
  },
  s3: {
    missing: ['AccessDenied', 403, () => 'Access Denied'],
    malformed: ['AuthorizationHeaderMalformed', 400, (d) => d],
    'unknown-key': [
      'InvalidAccessKeyId',
      403,
      () => 'The AWS Access Key Id you provided does not exist in our records.',
    ],
    mismatch: [
      'SignatureDoesNotMatch',
      403,
      () =>
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    ],
    expired: ['RequestTimeTooSkewed', 403, (d) => d],
    'link-expired': ['AccessDenied', 403, (d) => d],
    denied: ['AccessDenied', 403, (d) => d],
  },
};

/** Each service's signing name and wire protocol. */
const SERVICES = {
  dynamodb: 'json',
  states: 'json',
  batch: 'rest-json',
  sns: 'query',
  s3: 's3',
};

function escapeXml(text) {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Writes the refusal in the service's protocol and closes the connection. */
function refuse(request, response, service, refusal) {
  const protocol = SERVICES[service];
  const [code, status, message] = ERRORS[protocol][refusal.kind];
  const text = message(refusal.detail);
  const requestId = randomUUID();
  let contentType = 'application/json';
  let body;
  const headers = { 'x-amzn-requestid': requestId };
  if (protocol === 'json') {
    contentType = 'application/x-amz-json-1.0';
    body = JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message: text });
  } else if (protocol === 'rest-json') {
    headers['x-amzn-errortype'] = code;
    body = JSON.stringify({ message: text });
  } else if (protocol === 'query') {
    contentType = 'text/xml';
    body =
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>` +
      `<Code>${code}</Code><Message>${escapeXml(text)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  } else {
    contentType = 'application/xml';
    // S3 shows what it signed, so a client can see where its canonical request differs.
    const signed =
      refusal.canonicalRequest === undefined
        ? ''
        : `<StringToSign>${escapeXml(refusal.stringToSign ?? '')}</StringToSign><CanonicalRequest>${escapeXml(refusal.canonicalRequest)}</CanonicalRequest>`;
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(text)}</Message>${signed}<RequestId>${requestId}</RequestId></Error>`;
  }
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
  request.resume();
}

function readBody(request, maxBytes) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > maxBytes ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Lets `request` through only when no web page sent it and it is signed with `gate`'s key
 * pair; otherwise answers it as the AWS service would and resolves with undefined.
 *
 * Every service but S3 signs a hash of its body, so the body is read here (up to
 * `maxBodyBytes`) and handed on; S3 signs the `x-amz-content-sha256` header instead and its
 * body stays in the stream.
 *
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @param {{
 *   service: 'dynamodb' | 'states' | 'batch' | 'sns' | 's3',
 *   credentials: { accessKeyId: string, secretAccessKey: string },
 *   secretFor?: (accessKeyId: string) => string | undefined,
 *   authorize?: (call: { accessKeyId: string, request: import('node:http').IncomingMessage, body: Buffer | undefined }) => string | undefined,
 *   maxBodyBytes?: number,
 *   now?: () => number,
 * }} gate `secretFor` accepts more key pairs beside `credentials`; `authorize` answers a denial
 *   message for a signed request its key may not make (AccessDenied in the service's protocol)
 * @returns {Promise<{ body: Buffer | undefined } | undefined>}
 */
export async function admitRequest(request, response, gate) {
  if (refuseBrowserReach(request, response)) return undefined;
  let body;
  let payloadHash;
  if (gate.service !== 's3') {
    body = await readBody(request, gate.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
    if (body === undefined) {
      const text = JSON.stringify({ message: 'Request body is too large' });
      response.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      response.end(text);
      return undefined;
    }
    payloadHash = sha256Hex(body);
  }
  const { credentials, secretFor } = gate;
  const refusal = verifySignature(request, {
    secretFor: (id) =>
      id === credentials.accessKeyId ? credentials.secretAccessKey : secretFor ? secretFor(id) : undefined,
    service: gate.service,
    payloadHash,
    now: (gate.now ?? Date.now)(),
  });
  if (refusal !== undefined) {
    refuse(request, response, gate.service, refusal);
    return undefined;
  }
  const accessKeyId = signingKeyId(request) ?? '';
  const denial = gate.authorize?.({ accessKeyId, request, body });
  if (denial !== undefined) {
    refuse(request, response, gate.service, { kind: 'denied', detail: denial });
    return undefined;
  }
  return { body, accessKeyId };
}
