import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PortInUseError } from '../errors';
import { serveOnLoopback } from '../private/loopback';
import { admitRequest, type EndpointAccess } from '../private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from '../private/sigv4.mjs';
import { SnsErrors, SnsServiceError } from './private/errors';
import { type MessageStamps, publish, publishBatch } from './private/publishing';
import { el } from './private/query-protocol';
import { TopicStore } from './private/topic-store';
import {
  createTopic,
  deleteTopic,
  getTopicAttributes,
  listSubscriptionsByTopic,
  listTopics,
  setTopicAttributes,
} from './private/topics';

/** Options of {@link startSnsServer}. */
export interface SnsServerOptions {
  /** Directory for `topics.json` and one `<topicName>.jsonl` per topic; created if missing. */
  readonly dir: string;
  /** TCP port on 127.0.0.1; @default 0 (an ephemeral port) */
  readonly port?: number;
  /** Region in topic ARNs; @default 'us-east-1' */
  readonly region?: string;
  /** Account id in topic ARNs; @default '000000000000' */
  readonly accountId?: string;
  /** Clock for message timestamps; @default () => new Date() */
  readonly now?: () => Date;
  /** Message id source; @default crypto.randomUUID */
  readonly newMessageId?: () => string;
  /** The only key pair requests may be signed with. @default a fresh pair */
  readonly credentials?: LocalCredentials;
  /** More callers and what each may do (a rehearsal's roles). @default the key pair alone, allowed everything */
  readonly access?: EndpointAccess;
}

/** A running local SNS endpoint. */
export interface SnsServer {
  /** Endpoint for `new SNSClient({ endpoint })`, e.g. `http://127.0.0.1:45124`. */
  readonly url: string;
  readonly port: number;
  /** The key pair clients must sign with. */
  readonly credentials: LocalCredentials;
  /** Stops accepting requests and waits for pending message appends. */
  close(): Promise<void>;
}

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

/**
 * Starts a minimal SNS endpoint (AWS query protocol, which `@aws-sdk/client-sns` uses)
 * on 127.0.0.1. Topics persist in `dir/topics.json`; each Publish appends one JSON line
 * to `dir/<topicName>.jsonl`. Only requests signed (SigV4) with the endpoint's key pair are
 * served; there are no subscriptions.
 * Rejects with {@link PortInUseError} when `port` is taken.
 *
 * @example
 * const sns = await startSnsServer({ dir: '.fanout/sns', accountId: '123456789012' });
 * const client = new SNSClient({ endpoint: sns.url, region: 'us-east-1',
 *   credentials: sns.credentials });
 */
export async function startSnsServer(options: SnsServerOptions): Promise<SnsServer> {
  const store = new TopicStore(options.dir, options.region ?? 'us-east-1', options.accountId ?? '000000000000');
  await store.load();
  const router = new SnsRouter(store, {
    now: options.now ?? (() => new Date()),
    newMessageId: options.newMessageId ?? randomUUID,
  });
  const credentials = options.credentials ?? generateLocalCredentials();
  const server = createServer((req, res) => {
    void admitRequest(req, res, { service: 'sns', credentials, ...options.access }).then(
      (admitted) => admitted && router.handle(req, res, admitted.body ?? Buffer.alloc(0)),
      () => res.destroy(),
    );
  });
  const endpoint = await serveOnLoopback(server, {
    port: options.port ?? 0,
    caller: 'startSnsServer',
    afterClose: () => store.close(),
  });
  return { ...endpoint, credentials };
}

/** Reads each request's parameters, runs its action and answers in the query protocol's XML. */
class SnsRouter {
  private requestCounter = 0;

  constructor(
    private readonly store: TopicStore,
    private readonly stamps: MessageStamps,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, requestBody: Buffer): Promise<void> {
    const requestId = requestIdFrom(++this.requestCounter);
    res.setHeader('x-amzn-RequestId', requestId);
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const params = new URLSearchParams(requestBody.toString('utf8'));
      // Query parameters in the URL are valid for the query protocol as well (GET requests).
      for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
      const action = params.get('Action');
      if (!action) throw SnsErrors.missingAction();
      const result = await this.dispatch(action, params);
      const body =
        `<?xml version="1.0"?>\n<${action}Response xmlns="${XMLNS}">` +
        (result === undefined ? '' : `<${action}Result>${result}</${action}Result>`) +
        `<ResponseMetadata>${el('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
      send(res, 200, body);
    } catch (err) {
      const error = err instanceof SnsServiceError ? err : SnsErrors.internal();
      if (!(err instanceof SnsServiceError)) console.error('local SNS: internal error', err);
      const body =
        `<?xml version="1.0"?>\n<ErrorResponse xmlns="${XMLNS}"><Error>${el('Type', error.type)}` +
        `${el('Code', error.code)}${el('Message', error.message)}</Error>${el('RequestId', requestId)}</ErrorResponse>`;
      send(res, error.httpStatus, body);
    }
  }

  private dispatch(action: string, p: URLSearchParams): Promise<string | undefined> | string | undefined {
    switch (action) {
      case 'CreateTopic':
        return createTopic(this.store, p);
      case 'DeleteTopic':
        return deleteTopic(this.store, p);
      case 'ListTopics':
        return listTopics(this.store, p);
      case 'GetTopicAttributes':
        return getTopicAttributes(this.store, p);
      case 'SetTopicAttributes':
        return setTopicAttributes(this.store, p);
      case 'Publish':
        return publish(this.store, this.stamps, p);
      case 'PublishBatch':
        return publishBatch(this.store, this.stamps, p);
      case 'ListSubscriptionsByTopic':
        return listSubscriptionsByTopic(this.store, p);
      default:
        throw SnsErrors.invalidAction(action);
    }
  }
}

function send(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/** A request id shaped like SNS's (a UUID), derived from a counter: unique without randomness. */
function requestIdFrom(n: number): string {
  const hex = n.toString(16).padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
