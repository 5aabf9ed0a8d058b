import type { FastifyInstance } from 'fastify';
import { invalidArgument, type PayMeshError } from '../contracts/errors.ts';

/**
 * Text with a NUL character (U+0000) is refused as bad input wherever a
 * client's text enters a service. PostgreSQL's text types cannot hold NUL:
 * a query or insert carrying one fails, which the service answered as a 500
 * (and which a caller's circuit breaker then counts against the service).
 * The fuzzer found it as a login whose email held one; no PayMesh text
 * (names, emails, notes, references, ids) has a use for it.
 */

/**
 * Where the first string holding a NUL is in a parsed value (`note`, `ids.2`, or '' for the value itself), or
 * undefined. Walked with a stack of its own, not by recursion: a JSON body may nest thousands of levels deep.
 */
export function pathOfNul(value: unknown): string | undefined {
  const pending: Array<[unknown, string]> = [[value, '']];
  while (pending.length > 0) {
    const [node, path] = pending.pop()!;
    if (typeof node === 'string') {
      if (node.includes('\u0000')) return path;
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    for (const [key, child] of Object.entries(node)) {
      const childPath = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return childPath;
      pending.push([child, childPath]);
    }
  }
  return undefined;
}

export function nulRefused(field: string): PayMeshError {
  return invalidArgument('INVALID_TEXT', `${field || 'the request'} must not contain NUL (U+0000) characters`, field || undefined);
}

/**
 * A Fastify hook refusing, before validation, a request whose path parameters, query or JSON body hold a NUL.
 * Wildcard routes (the gateway's web app, which stores nothing) are left alone: a route that refuses on request
 * (the operator-only admin API) answers 404 whatever the path holds, and an unknown path must answer the same.
 */
export function refuseNulText(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    if (request.routeOptions.url?.endsWith('*')) return;
    for (const [part, value] of [['params', request.params], ['query', request.query], ['body', request.body]] as const) {
      const found = pathOfNul(value);
      if (found !== undefined) throw nulRefused(found || part);
    }
  });
}
