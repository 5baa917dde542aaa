/**
 * Keeps web pages out of the local cloud (docs/threat-model.md). A page the user opens can send
 * requests to 127.0.0.1 (a "simple" cross-origin POST needs no preflight) or reach it through
 * a hostname it controls (DNS rebinding). Browsers mark every cross-origin request with an
 * `Origin` header and send the name they resolved as `Host`; the AWS SDKs and CLIs send no
 * `Origin` and name the endpoint's own address. So a request with an `Origin`, or with a `Host`
 * other than the loopback address and port it arrived on, is refused before any service sees
 * it, with no CORS header, preflights included.
 *
 * Plain JavaScript, so that dynalite's child process (local/dynamodb-server.mjs) uses it too.
 */

/**
 * Why `request` must be refused, or undefined when it may go on.
 * @param {import('node:http').IncomingMessage} request
 * @returns {string | undefined}
 */
export function browserReach(request) {
  if (request.headers.origin !== undefined) {
    return `requests from web pages are refused (Origin ${JSON.stringify(request.headers.origin)})`;
  }
  const port = request.socket.localPort;
  const host = request.headers.host ?? '';
  // `*.localhost` names are loopback by definition (RFC 6761) and no DNS can rebind them; S3
  // clients use `<bucket>.localhost` for virtual-hosted buckets.
  const name = host.endsWith(`:${port}`) ? host.slice(0, -`:${port}`.length) : undefined;
  if (name !== '127.0.0.1' && name !== 'localhost' && !/^[a-z0-9.-]+\.localhost$/.test(name ?? '')) {
    return `the Host header must name this endpoint, 127.0.0.1:${port} (received ${JSON.stringify(host)})`;
  }
  return undefined;
}

/**
 * Answers a refused request with 403 and the reason, and returns true; returns false for a
 * request that may go on.
 * @param {import('node:http').IncomingMessage} request
 * @param {import('node:http').ServerResponse} response
 * @returns {boolean}
 */
export function refuseBrowserReach(request, response) {
  const reason = browserReach(request);
  if (reason === undefined) return false;
  const body = JSON.stringify({ __type: 'AccessDeniedException', message: reason });
  response.writeHead(403, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
  request.resume();
  return true;
}
