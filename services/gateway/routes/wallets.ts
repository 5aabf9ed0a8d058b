import type { FastifyInstance } from 'fastify';
import { failedPrecondition, notFound } from '../../../contracts/errors.ts';
import { formatMinor, minorUnits, parseDecimal, requirePositiveAmount } from '../../../contracts/money.ts';
import type { WalletMessage } from '../../../contracts/wallet-grpc.ts';
import type { RouteSchemas } from '../../../core/route-schemas.ts';
import type { GatewayDeps } from '../deps.ts';
import { replyIdempotently } from '../idempotency.ts';
import { errorResponses, idempotencyHeader, money, uuidParam, wallet } from '../schemas.ts';

export function presentWallet(w: WalletMessage) {
  return {
    id: w.id,
    currency: w.currency,
    balance: formatMinor(BigInt(w.balance_minor), w.currency),
    available: formatMinor(BigInt(w.available_minor), w.currency),
    frozen: formatMinor(BigInt(w.frozen_minor), w.currency),
    balance_minor: w.balance_minor,
    available_minor: w.available_minor,
    frozen_minor: w.frozen_minor,
    created_at: w.created_at,
  };
}

/** My wallets, their balances, top-ups and withdrawals. */
export function walletRoutes(plain: FastifyInstance, deps: GatewayDeps): void {
  // Handlers get params, query and body typed from the route's own schema.
  const app = plain.withTypeProvider<RouteSchemas>();
  /** A wallet of the caller's, or 404: another user's wallet is indistinguishable from none. */
  async function ownWallet(userId: string, walletId: string): Promise<WalletMessage> {
    const found = await deps.wallets.getWallet(walletId).catch((err) => {
      if ((err as { kind?: string }).kind === 'not_found') return undefined;
      throw err;
    });
    if (!found || found.user_id !== userId) throw notFound('WALLET_NOT_FOUND', `wallet ${walletId} not found`);
    return found;
  }

  app.get(
    '/v1/wallets',
    { schema: { tags: ['wallets'], summary: 'My wallets and balances', response: { 200: { type: 'object', properties: { wallets: { type: 'array', items: wallet } } }, ...errorResponses } } },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return { wallets: (await deps.wallets.listWallets(caller.userId)).map(presentWallet) };
    },
  );

  app.get(
    '/v1/wallets/:id',
    { schema: { tags: ['wallets'], summary: 'One of my wallets', params: uuidParam('id'), response: { 200: wallet, ...errorResponses } } },
    async (request) => {
      const caller = await deps.tokens.authenticate(request);
      return presentWallet(await ownWallet(caller.userId, request.params.id));
    },
  );

  app.post(
    '/v1/wallets',
    {
      schema: {
        tags: ['wallets'],
        summary: 'Open a wallet in another currency',
        headers: idempotencyHeader,
        body: { type: 'object', additionalProperties: false, required: ['currency'], properties: { currency: money.properties.currency } },
        response: { 201: wallet, ...errorResponses },
      },
    },
    async (request, reply) => {
      const caller = await deps.tokens.authenticate(request);
      const { currency } = request.body;
      minorUnits(currency);
      return replyIdempotently(deps.idempotency, request, reply, caller.userId, async (key) => ({
        status: 201,
        body: presentWallet(await deps.wallets.openWallet(caller.userId, currency, `open-wallet:${caller.userId}:${key}`)),
      }));
    },
  );

  const movementSchema = (summary: string) => ({
    tags: ['wallets'],
    summary,
    headers: idempotencyHeader,
    params: uuidParam('id'),
    body: {
      type: 'object',
      additionalProperties: false,
      required: ['amount', 'currency', 'payment_method_id'],
      properties: { ...money.properties, payment_method_id: { type: 'string', minLength: 1, maxLength: 100 } },
    },
    response: { 201: { type: 'object', properties: { entry_id: { type: 'string' }, wallet } }, ...errorResponses },
  }) as const;

  for (const [path, direction] of [['top-ups', 1n], ['withdrawals', -1n]] as const) {
    app.post(`/v1/wallets/:id/${path}`, { schema: movementSchema(direction > 0n ? 'Top up from a payment method' : 'Withdraw to a payment method') }, async (request, reply) => {
      const caller = await deps.tokens.authenticate(request);
      const { id } = request.params;
      const body = request.body;
      // Malformed input is refused before the Idempotency-Key is claimed: a corrected retry may reuse the key.
      const amount = requirePositiveAmount(parseDecimal(body.amount, body.currency));
      return replyIdempotently(deps.idempotency, request, reply, caller.userId, async (key) => {
        const target = await ownWallet(caller.userId, id);
        if (target.currency !== body.currency) {
          throw failedPrecondition('CURRENCY_MISMATCH', `wallet ${id} holds ${target.currency}, not ${body.currency}`);
        }
        if (!(await deps.users.validatePaymentMethod(body.payment_method_id, caller.userId))) {
          throw failedPrecondition('PAYMENT_METHOD_INVALID', 'payment_method_id is not one of your usable payment methods');
        }
        const result = await deps.wallets.updateBalance({
          walletId: id,
          amountMinor: amount * direction,
          currency: body.currency,
          idempotencyKey: `${path}:${caller.userId}:${key}`,
          reference: `payment-method:${body.payment_method_id}`,
        });
        const updated = await deps.wallets.getWallet(id);
        return { status: 201, body: { entry_id: result.entry_id, wallet: presentWallet(updated) } };
      });
    });
  }
}
