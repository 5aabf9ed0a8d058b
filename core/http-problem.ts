import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPayMeshError, type ErrorKind } from '../contracts/errors.ts';

export const STATUS_BY_KIND: Record<ErrorKind, number> = {
  invalid_argument: 400,
  not_found: 404,
  already_exists: 409,
  failed_precondition: 422,
  conflict: 422,
  unauthenticated: 401,
  unavailable: 503,
  internal: 500,
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  field?: string;
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** The problem a PayMeshError maps to, or undefined for errors that are not PayMesh's (internal ones included). */
export function problemFor(err: unknown): Problem | undefined {
  if (!isPayMeshError(err) || err.kind === 'internal') return undefined;
  return {
    type: `https://paymesh.dev/problems/${err.code.toLowerCase().replace(/_/g, '-')}`,
    title: err.code,
    status: STATUS_BY_KIND[err.kind],
    detail: err.message,
    code: err.code,
    ...(err.field ? { field: err.field } : {}),
  };
}

/**
 * One error handler per Fastify app: PayMeshErrors become RFC 9457 problem
 * details with their stable code and field; schema validation errors become
 * 400s naming the field; anything else is a 500 that hides its internals.
 * `refine` lets an app answer some errors its own way first (it returns a
 * problem) or adjust one before the shared rules see it (it returns nothing).
 */
export function installProblemHandler(app: FastifyInstance, refine?: (err: FastifyError, request: FastifyRequest) => Problem | undefined): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const refined = refine?.(err, request);
    if (refined) return sendProblem(reply, refined);
    const problem = problemFor(err);
    if (problem) {
      if (isPayMeshError(err) && err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return sendProblem(reply, problem);
    }
    if (err.validation) {
      const first = err.validation[0];
      const path = first?.instancePath?.replace(/^\//, '').replace(/\//g, '.') || '';
      const params = first?.params as { missingProperty?: string; additionalProperty?: string } | undefined;
      const named = params?.missingProperty ?? params?.additionalProperty;
      const field = [path, named].filter(Boolean).join('.') || err.validationContext || 'request';
      const message = params?.additionalProperty ? 'is not an accepted property' : (first?.message ?? err.message);
      return sendProblem(reply, {
        type: 'https://paymesh.dev/problems/validation',
        title: 'VALIDATION_FAILED',
        status: 400,
        detail: `${field}: ${message}`,
        code: 'VALIDATION_FAILED',
        field,
      });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'unhandled error');
    const code = status === 500 ? 'INTERNAL' : (err.code ?? `HTTP_${status}`);
    return sendProblem(reply, {
      type: `https://paymesh.dev/problems/${status === 500 ? 'internal' : 'request'}`,
      title: code,
      status,
      detail: status === 500 ? 'internal error' : err.message,
      code,
    });
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, notFoundProblem(request)));
}

/** What an unknown path gets. */
function notFoundProblem(request: FastifyRequest): Problem {
  return { type: 'https://paymesh.dev/problems/not-found', title: 'NOT_FOUND', status: 404, detail: `no route for ${request.method} ${request.url.split('?')[0]}`, code: 'NOT_FOUND' };
}

/**
 * Answers an unknown path on request, before its body is read. Fastify
 * otherwise parses the body of a request no route matches before its 404, so
 * a malformed, oversized or non-JSON body earns an unknown path a 400, 413 or
 * 415, while a route that refuses on request (the operator-only admin API)
 * answers 404 whatever the body: the difference would tell a caller which
 * paths exist. Registered after any hook that must still see every request
 * (the rate limiter).
 */
export function notFoundBeforeBody(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return sendProblem(reply, notFoundProblem(request));
  });
}

/**
 * Fastify's router refuses some URLs before any route, hook or error handler
 * runs, with a body of its own (`{"error":"Bad Request","code":"FST_ERR_BAD_URL",...}`):
 * a malformed percent-escape in the path, a path parameter longer than
 * `maxParamLength`. Passed as Fastify's `frameworkErrors`, this answers them
 * as problems like every other refusal. It returns nothing, as that option's
 * type says: Fastify drops the result, and a reply (a thenable) would look like
 * a promise nobody handles.
 */
export function answerFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0] ?? '';
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      sendProblem(reply, { type: 'https://paymesh.dev/problems/malformed-url', title: 'MALFORMED_URL', status: 400, detail: `the path ${path.slice(0, 200)} is not a valid URL (a malformed percent-escape)`, code: 'MALFORMED_URL', field: 'path' });
      return;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Longer than any id, so it names nothing: the 404 of an unknown path, which also keeps a route's parameters (an
      // operator-only one's included) from showing through a 414 that only paths with a parameter there would get.
      sendProblem(reply, notFoundProblem(request));
      return;
    default:
      request.log.error({ err }, 'request refused by the router');
      sendProblem(reply, { type: 'https://paymesh.dev/problems/internal', title: 'INTERNAL', status: 500, detail: 'internal error', code: 'INTERNAL' });
  }
}
