import type { FastifyInstance, FastifyRequest } from 'fastify';
import { notFound } from '../../../contracts/errors.ts';
import { requireOperator, type Caller, type TokenIssuer } from '../auth.ts';

const operators = new WeakMap<FastifyRequest, Caller>();

/**
 * Registers admin routes behind one check that runs first, on request,
 * before any body is parsed or any schema validated: a caller who is not an
 * operator gets the same 404 as an unknown path whatever they send, never a
 * 400 that would tell them the route exists.
 */
export async function operatorsOnly(app: FastifyInstance, tokens: TokenIssuer, routes: (scoped: FastifyInstance) => void | Promise<void>): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addHook('onRequest', async (request) => {
      operators.set(request, await requireOperator(tokens, request));
    });
    await routes(scoped);
  });
}

/** The operator a request under `operatorsOnly` was made by. */
export function operatorOf(request: FastifyRequest): Caller {
  const caller = operators.get(request);
  // A route registered outside operatorsOnly by mistake answers like an unknown path.
  if (!caller) throw notFound('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
  return caller;
}
