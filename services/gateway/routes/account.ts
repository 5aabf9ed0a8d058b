import type { FastifyInstance } from 'fastify';
import { invalidArgument, unauthenticated } from '../../../contracts/errors.ts';
import { isSupportedCurrency } from '../../../contracts/money.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import { accessLimits } from '../access-limits.ts';
import type { GatewayDeps } from '../deps.ts';
import { errorResponses, paymentMethod, user } from '../schemas.ts';

/** Sign-up, login, my profile and my payment methods. */
export function accountRoutes(plain: FastifyInstance, deps: GatewayDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  app.post(
    '/v1/users',
    {
      schema: {
        tags: ['account'],
        summary: 'Sign up',
        security: [],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password', 'first_name', 'last_name', 'default_currency'],
          properties: {
            email: { type: 'string', format: 'email', maxLength: 254, description: 'an email address' },
            password: { type: 'string', minLength: 10, maxLength: 200 },
            first_name: { type: 'string', minLength: 1, maxLength: 100 },
            last_name: { type: 'string', minLength: 1, maxLength: 100 },
            default_currency: { type: 'string', pattern: '^[A-Z]{3}$', description: 'an ISO 4217 currency code, e.g. "USD"' },
          },
        },
        response: { 201: user, ...errorResponses },
      },
      // Limited by their own shared counters instead of the general per-task throttle; on arrival, so every
      // attempt counts, the malformed ones too.
      config: { rateLimit: false },
      onRequest: accessLimits(deps.accessCounters, [{ scope: 'signup:client', max: deps.rateLimits.signUps, key: (request) => request.ip }]),
    },
    async (request, reply) => {
      const body = request.body;
      if (!isSupportedCurrency(body.default_currency)) {
        throw invalidArgument('INVALID_CURRENCY', `default_currency '${body.default_currency}' is not a supported ISO 4217 currency`, 'default_currency');
      }
      const created = await deps.users.signUp(body);
      // The wallet service opens the default wallet from the `User registered` event; opening it here too
      // (same idempotency key) means the wallet exists by the time the client looks.
      await deps.wallets.openWallet(created.id, created.default_currency, `default-wallet:${created.id}`).catch((err) => {
        if ((err as { code?: string }).code !== 'WALLET_EXISTS') deps.log.warn({ err, userId: created.id }, 'default wallet not opened yet; the event will open it');
      });
      return reply.code(201).send(created);
    },
  );

  app.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['account'],
        summary: 'Log in: exchange email and password for a short-lived access token',
        security: [],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'password'],
          properties: { email: { type: 'string', maxLength: 254 }, password: { type: 'string', maxLength: 200 } },
        },
        response: {
          200: {
            type: 'object',
            properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' } },
          },
          ...errorResponses,
        },
      },
      config: { rateLimit: false },
      onRequest: accessLimits(deps.accessCounters, [{ scope: 'login:client', max: deps.rateLimits.logins, key: (request) => request.ip }]),
      // Once the body is valid: the account is its email.
      preHandler: accessLimits(deps.accessCounters, [
        { scope: 'login:account', max: deps.rateLimits.loginsPerAccount, key: (request) => (request.body as { email: string }).email.trim().toLowerCase() },
      ]),
    },
    async (request) => {
      const { email, password } = request.body;
      const found = await deps.users.verifyPassword(email, password).catch((err) => {
        if ((err as { kind?: string }).kind === 'unavailable') throw err;
        throw unauthenticated('INVALID_CREDENTIALS', 'email or password is incorrect');
      });
      const role = (found as { role?: string }).role === 'operator' ? 'operator' : 'user';
      const token = await deps.tokens.issue({ userId: found.id, role });
      return { access_token: token, token_type: 'Bearer', expires_in: deps.tokens.ttlSeconds };
    },
  );

  app.get('/v1/me', { schema: { tags: ['account'], summary: 'My profile', response: { 200: user, ...errorResponses } } }, async (request) => {
    const caller = await deps.tokens.authenticate(request);
    return deps.users.getUser(caller.userId);
  });

  app.post(
    '/v1/payment-methods',
    {
      schema: {
        tags: ['account'],
        summary: 'Add a (test) card; only its brand, last four digits and expiry are kept',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['number', 'exp_month', 'exp_year'],
          properties: {
            number: { type: 'string', pattern: '^[0-9 ]{12,23}$', description: 'a card number of 12 to 19 digits (spaces allowed)' },
            exp_month: { type: 'integer', minimum: 1, maximum: 12 },
            exp_year: { type: 'integer', minimum: 2000, maximum: 2100 },
            cvc: { type: 'string', pattern: '^[0-9]{3,4}$', description: 'three or four digits' },
          },
        },
        response: { 201: paymentMethod, ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = await deps.tokens.authenticate(request);
      const card = request.body;
      return reply.code(201).send(await deps.users.addPaymentMethod(caller.userId, { ...card, number: card.number.replace(/ /g, '') }));
    },
  );

  app.get(
    '/v1/payment-methods',
    {
      schema: {
        tags: ['account'],
        summary: 'My payment methods',
        response: { 200: { type: 'object', properties: { payment_methods: { type: 'array', items: paymentMethod } } }, ...errorResponses },
      },
    },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return { payment_methods: await deps.users.listPaymentMethods(caller.userId) };
    },
  );

}
