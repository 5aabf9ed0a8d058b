import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { answerClientError, refuseTunnels } from '../../core/http-client-errors.ts';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';
import { readiness, readinessBody } from '../../observability/health.ts';
import { counter, registry } from '../../observability/metrics.ts';
import { AwsError } from './aws-error.ts';
import type { ActionHandler } from './ports.ts';
import {
  acceptsJson,
  parseQueryRequest,
  refusedOnQueueUrl,
  renderQueryError,
  renderQueryJsonError,
  renderQueryJsonResult,
  renderQueryResult,
  UNKNOWN_OPERATION_BODY,
} from './protocols/sqs-query.ts';
import { jsonShapeOf, type RequestContext, type Sqs } from './sqs/index.ts';

/**
 * Larger than any request worth answering: ten entries of SQS's 1 MiB message size, form-encoded
 * (up to three bytes per byte). A batch over SQS's 1 MiB total is read and answered
 * BatchRequestTooLong, as SQS answers it, rather than cut off.
 */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface BrokerServerOptions {
  host: string;
  port: number;
  sqs: Sqs;
  eventBridge: ActionHandler;
  log: Logger;
}

export interface BrokerServer {
  /** host:port as bound. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Round trips are what the services' messaging costs: counted per action, for operators and the benchmark. */
const requestsByAction = counter('broker_requests_total', 'Requests the broker answered, by protocol action (SendMessage, ReceiveMessage, PutEvents, ...)', ['action']);
const seenActions = new Set<string>();
/** Actions come from the caller's headers: past the few dozen real ones, anything else counts as `other`, so no caller can grow the label set. */
function countRequest(action: string): void {
  if (!seenActions.has(action) && (seenActions.size >= 64 || !/^[A-Za-z]{1,64}$/.test(action))) action = 'other';
  seenActions.add(action);
  requestsByAction.inc({ action });
}

/**
 * One HTTP server for both services, on node:http rather than Fastify: every
 * AWS request is a POST to `/` (or to a queue URL) told apart by headers and
 * body, not by route, and the SQS hot path gains from no per-request routing
 * or schema work. Requests are routed as AWS's endpoints would take them:
 * - `X-Amz-Target: AmazonSQS.<Action>`, JSON 1.0: SQS's JSON protocol;
 * - `X-Amz-Target: AWSEvents.<Action>`, JSON 1.1: EventBridge;
 * - `Action=<Action>` form body or query string: SQS's query protocol (XML).
 * Any SigV4 signature is accepted without being checked; the access key id
 * becomes the SenderId of messages sent.
 */
export async function startBrokerServer(options: BrokerServerOptions): Promise<BrokerServer> {
  const { sqs, eventBridge, log } = options;
  let fallbackBase = `http://${options.host}:${options.port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const target = header(req, 'x-amz-target');
    const url = new URL(req.url ?? '/', 'http://broker');
    if (!target && req.method === 'GET' && url.pathname === HEALTH_PATHS.alive) {
      return send(res, 200, 'text/plain', 'ok', requestId);
    }
    // Ready when the store answers a read; /metrics for the gateway's /metrics/all.
    if (!target && req.method === 'GET' && url.pathname === HEALTH_PATHS.ready) {
      const result = await readiness([{ name: 'store', required: true, check: async () => void (await sqs.handle('ListQueues', { MaxResults: 1 }, requestContext(req, fallbackBase))) }]);
      return send(res, result.ready ? 200 : 503, 'application/json', JSON.stringify(readinessBody(result)), requestId);
    }
    if (!target && req.method === 'GET' && url.pathname === '/metrics') {
      return send(res, 200, registry.contentType, await registry.metrics(), requestId);
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (err) {
      return sendSqsJsonError(res, err instanceof AwsError ? err : new AwsError('InvalidRequest', 'The request could not be read.'), requestId);
    }
    const context = requestContext(req, fallbackBase);

    if (target?.startsWith('AmazonSQS.')) {
      const action = target.slice('AmazonSQS.'.length);
      countRequest(action);
      try {
        const input = parseJson(body);
        const ctx = action === 'ReceiveMessage' ? withAbort(context, req, res) : context;
        const result = await sqs.handle(action, input, ctx);
        return send(res, 200, 'application/x-amz-json-1.0', JSON.stringify(result ?? {}), requestId);
      } catch (err) {
        return sendSqsJsonError(res, asAwsError(err, log), requestId);
      }
    }

    if (target?.startsWith('AWSEvents.')) {
      const action = target.slice('AWSEvents.'.length);
      countRequest(action);
      try {
        const result = await eventBridge.handle(action, parseJson(body));
        return send(res, 200, 'application/x-amz-json-1.1', JSON.stringify(result ?? {}), requestId);
      } catch (err) {
        const error = asAwsError(err, log);
        res.setHeader('x-amzn-errortype', error.code);
        return send(res, error.status, 'application/x-amz-json-1.1', JSON.stringify({ __type: error.code, message: error.message }), requestId);
      }
    }

    if (target) {
      const error = new AwsError('UnknownOperationException', `The operation ${target} is not supported by this endpoint.`);
      return send(res, 400, 'application/x-amz-json-1.0', JSON.stringify({ __type: error.code, message: error.message }), requestId);
    }

    // The query protocol: parameters in the query string and/or a form body; a queue URL path names the queue.
    const params = new URLSearchParams(url.search);
    if (body.length > 0) for (const [k, v] of new URLSearchParams(body)) params.append(k, v);
    const { action, input } = parseQueryRequest(params);
    if (action) countRequest(action);
    if (!action && req.method === 'GET') return send(res, 404, 'text/xml', UNKNOWN_OPERATION_BODY, requestId);
    // SQS renders a GET's answer as JSON when asked to (Accept: application/json).
    const json = req.method === 'GET' && acceptsJson(header(req, 'accept'));
    try {
      if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action.');
      if (/^\/\d{12}\/[^/]+\/?$/.test(url.pathname)) {
        if (refusedOnQueueUrl(action)) throw new AwsError('InvalidAction', `The action ${action} is not valid for this endpoint.`);
        if (input.QueueUrl === undefined) input.QueueUrl = `${context.baseUrl}${url.pathname}`;
      }
      const ctx = action === 'ReceiveMessage' ? withAbort(context, req, res) : context;
      const result = (await sqs.handle(action, input, ctx)) as Record<string, unknown>;
      if (json) return send(res, 200, 'application/json', renderQueryJsonResult(action, result, requestId), requestId);
      return send(res, 200, 'text/xml', renderQueryResult(action, result, requestId), requestId);
    } catch (err) {
      const error = asAwsError(err, log);
      if (json) return send(res, error.status, 'application/json', renderQueryJsonError(error, requestId), requestId);
      return send(res, error.status, 'text/xml', renderQueryError(error, requestId), requestId);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error({ err }, 'broker request failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  // Longer than the SDK's idle sockets live, so a reused keep-alive socket is not closed under a request.
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 76_000;
  // A request it cannot parse (a query string past the 16 KB header limit, ...) and a CONNECT get an answer that says
  // the connection closes, then a clean close: Node's own handling resets the connection under a pooled client.
  server.on('clientError', answerClientError);
  refuseTunnels(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const address = `${options.host}:${port}`;
  fallbackBase = `http://${address}`;

  return {
    address,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests in progress (long polls are released by the SQS half's stop) get a moment to finish.
      const force = setTimeout(() => server.closeAllConnections(), 2000);
      force.unref();
      await closed;
      clearTimeout(force);
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function requestContext(req: IncomingMessage, fallbackBase: string): RequestContext {
  const host = header(req, 'host');
  const credential = /Credential=([^/,\s]+)\//.exec(header(req, 'authorization') ?? '');
  return { baseUrl: host ? `http://${host}` : fallbackBase, callerId: credential?.[1], traceHeader: header(req, 'x-amzn-trace-id') };
}

/** A long poll stops waiting when its client goes away (e.g. a consumer stopping with abort). */
function withAbort(ctx: RequestContext, req: IncomingMessage, res: ServerResponse): RequestContext {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  req.once('aborted', () => controller.abort());
  return { ...ctx, signal: controller.signal };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new AwsError('RequestEntityTooLarge', `Request body larger than ${MAX_BODY_BYTES} bytes.`, 413);
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}

function parseJson(body: string): Record<string, unknown> {
  if (body.trim() === '') return {};
  try {
    const value = JSON.parse(body) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch {
    throw new AwsError('SerializationException', 'The request body is not a valid JSON object.');
  }
}

function asAwsError(err: unknown, log: Logger): AwsError {
  if (err instanceof AwsError) return err;
  log.error({ err }, 'broker action failed');
  return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500, 'Receiver');
}

/**
 * An SQS error in the JSON protocol: `__type` names the error shape, and the
 * x-amzn-query-error header carries the query-protocol code and fault, from
 * which the v3 SDK (awsQueryCompatible) builds the exception it throws.
 */
function sendSqsJsonError(res: ServerResponse, error: AwsError, requestId: string): void {
  res.setHeader('x-amzn-query-error', `${error.code};${error.fault}`);
  // An operation the JSON protocol does not know is the AWS JSON services' common UnknownOperationException.
  const type = error.code === 'InvalidAction' ? 'com.amazon.coral.service#UnknownOperationException' : `com.amazonaws.sqs#${jsonShapeOf(error.code)}`;
  send(res, error.status, 'application/x-amz-json-1.0', JSON.stringify({ __type: type, message: error.message }), requestId);
}

function send(res: ServerResponse, status: number, contentType: string, body: string, requestId: string): void {
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}
