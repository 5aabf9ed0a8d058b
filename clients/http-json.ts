import http from 'node:http';
import https from 'node:https';
import { PayMeshError, type ErrorKind } from '../contracts/errors.ts';
import { withHttpClientSpan } from '../observability/http.ts';

/** A dependency answered with a server error or could not be reached: the breaker counts these. */
export class DependencyFailure extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DependencyFailure';
    this.status = status;
  }
}

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  404: 'not_found',
  409: 'already_exists',
  422: 'failed_precondition',
};

/**
 * A value as one URL path segment or query value. Text that is not
 * well-formed (a lone surrogate, which a caller's JSON can carry) has no UTF-8
 * form, and encodeURIComponent throws a URIError on it; written as the U+FFFD
 * a UTF-8 decoder would make of it, it names nothing and the service says so.
 * (Found by the fuzzer: a payment to such a receiver_id was a 500 of the
 * payment service, and a few of them opened the gateway's breaker on it.)
 */
export function urlPart(value: string): string {
  return encodeURIComponent(value.toWellFormed());
}

/**
 * One JSON request to a PayMesh service. 4xx answers become PayMeshErrors
 * carrying the service's problem `code`, and so does a 503 SERVICE_UNAVAILABLE
 * problem (the service's own dependency is away); other 5xx and network
 * errors become DependencyFailure for the circuit breaker.
 */
export function requestJson<T>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: T }> {
  // A client span per attempt, its context sent as `traceparent`.
  return withHttpClientSpan(init.method ?? 'GET', baseUrl, path, async (traceHeaders, span) => {
    const result = await sendJson<T>(baseUrl, path, { ...init, headers: { ...traceHeaders, ...init.headers } });
    span.setAttribute('http.response.status_code', result.status);
    return result;
  });
}

/**
 * Over node:http on the global keep-alive agent rather than fetch: a service
 * call is a small JSON request on a pooled loopback connection, and fetch's
 * WHATWG layer (Request, Response, web streams) cost more CPU than the call.
 */
function exchange(url: URL, init: { method: string; body: string | undefined; signal?: AbortSignal; headers: Record<string, string> }): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(
      url,
      { method: init.method, headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-length': Buffer.byteLength(init.body) }) }, signal: init.signal },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(init.body);
  });
}

async function sendJson<T>(
  baseUrl: string,
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> },
): Promise<{ status: number; body: T }> {
  let response: { status: number; text: string; headers: http.IncomingHttpHeaders };
  try {
    response = await exchange(new URL(`${baseUrl}${path}`), {
      method: init.method ?? 'GET',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...init.headers },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (err) {
    throw new DependencyFailure(`${baseUrl} unreachable: ${(err as Error).message}`, undefined, { cause: err });
  }
  const text = response.text;
  const body = text ? safeJson(text) : undefined;
  const problem = (body ?? {}) as { code?: string; detail?: string; title?: string; field?: string };
  // A 503 problem is the service answering that something *it* needs is away (its own breaker is open): the
  // service is up, so its breaker here does not count it, and trying again at once would only be refused again.
  if (response.status === 503 && problem.code === 'SERVICE_UNAVAILABLE') {
    const retryAfter = Number(response.headers['retry-after']);
    throw new PayMeshError('unavailable', problem.code, problem.detail ?? 'a dependency is unavailable', undefined, Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {});
  }
  if (response.status >= 500) throw new DependencyFailure(`${baseUrl}${path} answered ${response.status}`, response.status);
  if (response.status >= 400) {
    throw new PayMeshError(
      KIND_BY_STATUS[response.status] ?? 'invalid_argument',
      problem.code ?? `HTTP_${response.status}`,
      problem.detail ?? problem.title ?? `request failed with ${response.status}`,
      problem.field,
    );
  }
  return { status: response.status, body: body as T };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text.slice(0, 200) };
  }
}

export const isDependencyFailure = (err: unknown): boolean => err instanceof DependencyFailure;
