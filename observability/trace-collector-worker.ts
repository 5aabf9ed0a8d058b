/**
 * The trace collector's worker thread (started by trace-collector.ts): an
 * OTLP/HTTP JSON receiver on loopback (`POST /v1/traces`, OTLP's path, for
 * the services of this machine) and the trace store, queried by the gateway
 * over a MessagePort. Protobuf is refused with 415: every PayMesh service
 * exports JSON, and a decoder would be a dependency for no caller.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { workerData } from 'node:worker_threads';
import { gunzipSync } from 'node:zlib';
import type { CollectorMessage, CollectorRequest, CollectorWorkerData } from './trace-collector.ts';
import { spansFromOtlpJson, TraceStore, type OtlpTraceRequest } from './trace-store.ts';

const MAX_BODY_BYTES = 16 * 1024 * 1024;
const { channel, port, maxTraces } = workerData as CollectorWorkerData;
const store = new TraceStore({ maxTraces });
const post = (message: CollectorMessage) => channel.postMessage(message);

channel.on('message', (request: CollectorRequest) => {
  if (request.type === 'spans') {
    store.add(request.spans);
    return;
  }
  try {
    const { query } = request;
    const result =
      query.kind === 'list' ? { traces: store.list(query.filter), stored: store.size } : query.kind === 'get' ? store.get(query.traceId) : store.withAttribute(query.key, query.value);
    post({ type: 'reply', id: request.id, result });
  } catch (err) {
    post({ type: 'reply', id: request.id, error: (err as Error).message });
  }
});

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body, { maxOutputLength: MAX_BODY_BYTES }) : body;
}

async function receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== 'POST' || request.url?.split('?')[0] !== '/v1/traces') {
    request.resume();
    return answer(response, 404, { error: 'this is an OTLP/HTTP traces receiver: POST /v1/traces' });
  }
  if (!String(request.headers['content-type'] ?? '').startsWith('application/json')) {
    request.resume();
    return answer(response, 415, { error: 'send OTLP/HTTP JSON (application/json); protobuf is not accepted here' });
  }
  const body = await readBody(request);
  if (!body) return answer(response.setHeader('connection', 'close'), 413, { error: `an export larger than ${MAX_BODY_BYTES} bytes` });
  let parsed: OtlpTraceRequest;
  try {
    parsed = JSON.parse(body.toString('utf8')) as OtlpTraceRequest;
  } catch {
    return answer(response, 400, { error: 'the body is not JSON' });
  }
  const { spans, rejected } = spansFromOtlpJson(parsed ?? {});
  const started = store.add(spans);
  // The gateway may hold spans of these traces that its head sampler left out: it keeps them now.
  if (started.length > 0) post({ type: 'started', traceIds: started });
  answer(response, 200, rejected > 0 ? { partialSuccess: { rejectedSpans: rejected, errorMessage: 'spans without valid trace or span ids' } } : {});
}

const server = createServer((request, response) => {
  receive(request, response).catch((err: Error) => {
    if (!response.headersSent) answer(response, 400, { error: err.message });
    else response.destroy();
  });
});
server.on('error', (err) => post({ type: 'failed', message: err.message }));
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  post({ type: 'listening', port: typeof address === 'object' && address ? address.port : port });
});
