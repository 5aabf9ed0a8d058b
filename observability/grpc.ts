import { InterceptingCall, Metadata, status, type Interceptor, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { counter } from './metrics.ts';
import { contextFromCarrier, traceCarrier } from './propagation.ts';
import { tracer } from './tracing.ts';

/** The seed's `grpc_request_count`, on the server: by method and status code name. */
const grpcRequests = counter('grpc_request_count', 'gRPC requests served, by method and status code', ['method', 'code']);

/** Codes that mean the server failed, not that it refused a request (OpenTelemetry's rule for server spans). */
const SERVER_FAILURES = new Set([status.UNKNOWN, status.DEADLINE_EXCEEDED, status.UNIMPLEMENTED, status.INTERNAL, status.UNAVAILABLE, status.DATA_LOSS]);

const codeName = (code: number): string => status[code] ?? String(code);

/** `/WalletService/GetBalance` → { service: 'WalletService', method: 'GetBalance' }. */
function splitPath(path: string): { service: string; method: string } {
  const [, service = '', method = ''] = path.split('/');
  return { service, method };
}

function endRpcSpan(span: Span, code: number, details: string | undefined, failed: boolean): void {
  span.setAttribute('rpc.response.status_code', codeName(code));
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== status.OK) span.setAttribute('error.type', codeName(code));
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `${codeName(code)}${details ? `: ${details}` : ''}` });
  span.end();
}

/**
 * A client interceptor: one CLIENT span per call, its context sent as
 * `traceparent`/`tracestate` metadata. Any non-OK status fails a client span.
 */
export function grpcClientTracing(): Interceptor {
  return (options, nextCall) => {
    const { service, method } = splitPath(options.method_definition.path);
    const span = tracer().startSpan(`${service}/${method}`, {
      kind: SpanKind.CLIENT,
      attributes: { 'rpc.system.name': 'grpc', 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': `${service}/${method}` },
    });
    const spanContext = trace.setSpan(context.active(), span);
    return new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        for (const [key, value] of Object.entries(traceCarrier(spanContext) ?? {})) metadata.set(key, value);
        next(metadata, {
          onReceiveStatus(result: StatusObject, nextStatus: (s: StatusObject) => void) {
            endRpcSpan(span, result.code, result.details, result.code !== status.OK);
            nextStatus(result);
          },
        });
      },
    });
  };
}

/**
 * Serves one unary call in a SERVER span continuing the caller's trace (from
 * its metadata), counts it in `grpc_request_count`, and answers through
 * `callback`. `toError` maps a thrown error to the gRPC error sent back.
 */
export function serveTracedUnary<Res>(
  path: string,
  metadata: Metadata,
  handle: () => Promise<Res>,
  toError: (err: unknown) => Partial<ServiceError>,
  callback: (error: Partial<ServiceError> | null, response?: Res) => void,
): void {
  const { service, method } = splitPath(path);
  const carrier = { traceparent: metadata.get('traceparent')[0]?.toString(), tracestate: metadata.get('tracestate')[0]?.toString() };
  const parent = contextFromCarrier(carrier, context.active());
  const span = tracer().startSpan(
    `${service}/${method}`,
    { kind: SpanKind.SERVER, attributes: { 'rpc.system.name': 'grpc', 'rpc.system': 'grpc', 'rpc.service': service, 'rpc.method': `${service}/${method}` } },
    parent,
  );
  context.with(trace.setSpan(parent, span), () => {
    handle().then(
      (response) => {
        grpcRequests.inc({ method, code: codeName(status.OK) });
        endRpcSpan(span, status.OK, undefined, false);
        callback(null, response);
      },
      (err: unknown) => {
        const error = toError(err);
        const code = error.code ?? status.UNKNOWN;
        grpcRequests.inc({ method, code: codeName(code) });
        endRpcSpan(span, code, error.details, SERVER_FAILURES.has(code));
        callback(error);
      },
    );
  });
}
