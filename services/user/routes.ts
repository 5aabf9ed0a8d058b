import type { FastifyInstance } from 'fastify';
import type { RouteSchemas } from '../../core/route-schemas.ts';
import { cardBody, credentialsBody, idParams, paymentMethod, problems, profile, profilePatchBody, signUpBody, validateBody } from './http-schemas.ts';
import { addPaymentMethod, listPaymentMethods, validatePaymentMethod } from './payment-methods.ts';
import { findUsersByEmail, getUser, registerUser, updateProfile, verifyCredentials, type UserDeps } from './users.ts';

/**
 * The internal REST API the gateway and the payment service call through
 * clients/user-client.ts. Logs carry ids only: never emails, passwords or card numbers.
 */
export function userRoutes(plain: FastifyInstance, deps: UserDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.post('/users', { schema: { body: signUpBody, response: { 201: profile, ...problems } } }, async (request, reply) => {
    const created = await registerUser(deps, request.body);
    request.log.info({ userId: created.id }, 'user registered');
    return reply.code(201).send(created);
  });

  app.get(
    '/users',
    {
      schema: {
        querystring: { type: 'object', required: ['email'], properties: { email: { type: 'string', maxLength: 320 } } },
        response: { 200: { type: 'object', additionalProperties: false, properties: { users: { type: 'array', items: profile } } }, ...problems },
      },
    },
    async (request) => ({ users: await findUsersByEmail(deps.db, request.query.email) }),
  );

  app.get('/users/:id', { schema: { params: idParams, response: { 200: profile, ...problems } } }, async (request) =>
    getUser(deps.db, request.params.id),
  );

  app.patch('/users/:id', { schema: { params: idParams, body: profilePatchBody, response: { 200: profile, ...problems } } }, async (request) => {
    const updated = await updateProfile(deps, request.params.id, request.body);
    request.log.info({ userId: updated.id }, 'profile updated');
    return updated;
  });

  app.post('/sessions/verify', { schema: { body: credentialsBody, response: { 200: profile, ...problems } } }, async (request) => {
    const { email, password } = request.body;
    return verifyCredentials(deps, email, password);
  });

  app.post(
    '/users/:id/payment-methods',
    { schema: { params: idParams, body: cardBody, response: { 201: paymentMethod, ...problems } } },
    async (request, reply) => {
      const added = await addPaymentMethod(deps, request.params.id, request.body);
      request.log.info({ userId: added.user_id, paymentMethodId: added.id, status: added.status }, 'payment method added');
      return reply.code(201).send(added);
    },
  );

  app.get(
    '/users/:id/payment-methods',
    { schema: { params: idParams, response: { 200: { type: 'object', additionalProperties: false, properties: { payment_methods: { type: 'array', items: paymentMethod } } }, ...problems } } },
    async (request) => ({ payment_methods: await listPaymentMethods(deps.db, request.params.id) }),
  );

  app.post(
    '/payment-methods/validate',
    {
      schema: {
        body: validateBody,
        response: { 200: { type: 'object', additionalProperties: false, properties: { valid: { type: 'boolean' }, payment_method: paymentMethod } }, ...problems },
      },
    },
    async (request) => {
      const { method_id: methodId, user_id: userId } = request.body;
      return validatePaymentMethod(deps, methodId, userId);
    },
  );
}
