import type { FastifyInstance } from 'fastify';
import { cardBody, credentialsBody, idParams, paymentMethod, problems, profile, profilePatchBody, signUpBody, validateBody } from './http-schemas.ts';
import { addPaymentMethod, listPaymentMethods, validatePaymentMethod, type CardInput } from './payment-methods.ts';
import { findUsersByEmail, getUser, registerUser, updateProfile, verifyCredentials, type SignUpInput, type UserDeps } from './users.ts';

/**
 * The internal REST API the gateway and the payment service call through
 * clients/user-client.ts. Logs carry ids only: never emails, passwords or card numbers.
 */
export function userRoutes(app: FastifyInstance, deps: UserDeps): void {
  app.post('/users', { schema: { body: signUpBody, response: { 201: profile, ...problems } } }, async (request, reply) => {
    const created = await registerUser(deps, request.body as SignUpInput);
    request.log.info({ userId: created.id }, 'user registered');
    return reply.code(201).send(created);
  });

  app.get(
    '/users',
    {
      schema: {
        querystring: { type: 'object', required: ['email'], properties: { email: { type: 'string', maxLength: 320 } } },
        response: { 200: { type: 'object', properties: { users: { type: 'array', items: profile } } }, ...problems },
      },
    },
    async (request) => ({ users: await findUsersByEmail(deps.db, (request.query as { email: string }).email) }),
  );

  app.get('/users/:id', { schema: { params: idParams, response: { 200: profile, ...problems } } }, async (request) =>
    getUser(deps.db, (request.params as { id: string }).id),
  );

  app.patch('/users/:id', { schema: { params: idParams, body: profilePatchBody, response: { 200: profile, ...problems } } }, async (request) => {
    const updated = await updateProfile(deps, (request.params as { id: string }).id, request.body as { first_name?: string; last_name?: string });
    request.log.info({ userId: updated.id }, 'profile updated');
    return updated;
  });

  app.post('/sessions/verify', { schema: { body: credentialsBody, response: { 200: profile, ...problems } } }, async (request) => {
    const { email, password } = request.body as { email: string; password: string };
    return verifyCredentials(deps, email, password);
  });

  app.post(
    '/users/:id/payment-methods',
    { schema: { params: idParams, body: cardBody, response: { 201: paymentMethod, ...problems } } },
    async (request, reply) => {
      const added = await addPaymentMethod(deps, (request.params as { id: string }).id, request.body as CardInput);
      request.log.info({ userId: added.user_id, paymentMethodId: added.id, status: added.status }, 'payment method added');
      return reply.code(201).send(added);
    },
  );

  app.get(
    '/users/:id/payment-methods',
    { schema: { params: idParams, response: { 200: { type: 'object', properties: { payment_methods: { type: 'array', items: paymentMethod } } }, ...problems } } },
    async (request) => ({ payment_methods: await listPaymentMethods(deps.db, (request.params as { id: string }).id) }),
  );

  app.post(
    '/payment-methods/validate',
    {
      schema: {
        body: validateBody,
        response: { 200: { type: 'object', properties: { valid: { type: 'boolean' }, payment_method: paymentMethod } }, ...problems },
      },
    },
    async (request) => {
      const { method_id: methodId, user_id: userId } = request.body as { method_id: string; user_id: string };
      return validatePaymentMethod(deps, methodId, userId);
    },
  );
}
