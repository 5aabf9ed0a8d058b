import type { FastifyInstance } from 'fastify';
import { notFound } from '../../contracts/errors.ts';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { problems, profile } from './http-schemas.ts';
import { createOperator, ensureFirstOperator, presentUser, type UserDeps } from './users.ts';

const operatorBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', maxLength: 320 },
    password: { type: 'string', maxLength: 1000 },
    first_name: { type: 'string', maxLength: 200 },
    last_name: { type: 'string', maxLength: 200 },
    default_currency: { type: 'string', maxLength: 3 },
  },
} as const;

interface OperatorInput {
  email: string;
  password: string;
  first_name?: string;
  last_name?: string;
  default_currency?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

const signUp = (input: OperatorInput) => ({
  email: input.email,
  password: input.password,
  first_name: input.first_name ?? 'PayMesh',
  last_name: input.last_name ?? 'Operator',
  default_currency: input.default_currency ?? 'USD',
});

/**
 * Operators over the internal API. Only the gateway's admin API calls these
 * (after checking that its caller is an operator, and auditing the action),
 * and `npm start`'s first-run bootstrap, on this machine; the public API can
 * never make an operator.
 */
export function userAdminRoutes(plain: FastifyInstance, deps: UserDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.get('/admin/operators', { schema: { response: { 200: { type: 'object', properties: { operators: { type: 'array', items: profile } } } } } }, async () => {
    const rows = await deps.db.selectFrom('users').selectAll().where('role', '=', 'operator').orderBy('created_at').execute();
    return { operators: rows.map(presentUser) };
  });

  app.post('/admin/operators', { schema: { body: operatorBody, response: { 201: profile, ...problems } } }, async (request, reply) => {
    const created = await createOperator(deps, signUp(request.body));
    request.log.info({ userId: created.id }, 'operator created');
    return reply.code(201).send(created);
  });

  /**
   * The first operator of a new installation: made only while there is none
   * (201), else nothing happens (200). Only for `npm start` on this machine:
   * anyone else gets a 404.
   */
  app.post(
    '/admin/operators/bootstrap',
    {
      schema: {
        body: operatorBody,
        response: { 200: { type: 'object', properties: { created: { type: 'boolean' } } }, 201: { type: 'object', properties: { created: { type: 'boolean' }, operator: profile } }, ...problems },
      },
    },
    async (request, reply) => {
      if (!LOOPBACK.has(request.socket.remoteAddress ?? '')) throw notFound('NOT_FOUND', 'no route for POST /admin/operators/bootstrap');
      const operator = await ensureFirstOperator(deps, signUp(request.body));
      if (!operator) return { created: false };
      request.log.info({ userId: operator.id }, 'first operator created');
      return reply.code(201).send({ created: true, operator });
    },
  );
}
