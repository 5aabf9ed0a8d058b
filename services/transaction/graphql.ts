import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { invalidArgument, notFound } from '../../contracts/errors.ts';
import { formatMinor, toDouble } from '../../contracts/money.ts';
import { requireCaller } from '../../federation/caller.ts';
import { mountSubgraph, type SubgraphContext, type SubgraphResolvers } from '../../federation/subgraph-server.ts';
import type { TransactionRow, TransactionSchema } from './schema.ts';

export const MAX_WALLET_TRANSACTIONS = 100;
const MAX_ID_LENGTH = 64;

/** A record as one of its parties sees it, and through which of their wallets, if asked through one. */
interface ViewedTransaction extends TransactionRow {
  viewerId: string;
  viaWalletId?: string;
}

/**
 * The transaction subgraph (contracts/graphql/transaction.graphql): a payment
 * by id and Wallet.transactions. Only a payment's sender and receiver see it;
 * a wallet lists only the payments its caller made or received through it.
 */
export function transactionResolvers(db: Kysely<TransactionSchema>): SubgraphResolvers {
  const visibleTransaction = async (id: string, viewerId: string): Promise<ViewedTransaction | undefined> => {
    if (typeof id !== 'string' || id.length > MAX_ID_LENGTH) return undefined;
    const row = await db
      .selectFrom('transactions')
      .selectAll()
      .where('id', '=', id)
      .where((eb) => eb.or([eb('sender_id', '=', viewerId), eb('receiver_id', '=', viewerId)]))
      .executeTakeFirst();
    return row && { ...row, viewerId };
  };

  return {
    Query: {
      transaction: async (_root: unknown, args: { id: string }, context: SubgraphContext) => {
        const caller = requireCaller(context);
        const found = await visibleTransaction(args.id, caller.userId);
        // Someone else's payment is indistinguishable from none.
        if (!found) throw notFound('TRANSACTION_NOT_FOUND', `transaction ${args.id} not found`);
        return found;
      },
    },
    Wallet: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      transactions: async (wallet: { id: string }, args: { limit: number | null }, context: SubgraphContext) => {
        const caller = requireCaller(context);
        const limit = args.limit;
        if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_WALLET_TRANSACTIONS) {
          throw invalidArgument('INVALID_LIMIT', `limit must be an integer from 1 to ${MAX_WALLET_TRANSACTIONS}`, 'limit');
        }
        const rows = await db
          .selectFrom('transactions')
          .selectAll()
          .where((eb) =>
            eb.or([
              eb.and([eb('sender_wallet_id', '=', wallet.id), eb('sender_id', '=', caller.userId)]),
              eb.and([eb('receiver_wallet_id', '=', wallet.id), eb('receiver_id', '=', caller.userId)]),
            ]),
          )
          .orderBy('created_at', 'desc')
          .orderBy('id', 'desc')
          .limit(limit)
          .execute();
        return rows.map((row): ViewedTransaction => ({ ...row, viewerId: caller.userId, viaWalletId: wallet.id }));
      },
    },
    Transaction: {
      __resolveReference: async (reference: { id: string }, context: SubgraphContext) =>
        (await visibleTransaction(reference.id, requireCaller(context).userId)) ?? null,
      amount: (t: ViewedTransaction) => toDouble(BigInt(t.amount), t.currency),
      amountDecimal: (t: ViewedTransaction) => formatMinor(BigInt(t.amount), t.currency),
      amountMinor: (t: ViewedTransaction) => BigInt(t.amount).toString(),
      direction: (t: ViewedTransaction) => {
        const sent = t.viaWalletId === undefined ? t.sender_id === t.viewerId : t.sender_wallet_id === t.viaWalletId && t.sender_id === t.viewerId;
        return sent ? 'SENT' : 'RECEIVED';
      },
      senderId: (t: ViewedTransaction) => t.sender_id,
      receiverId: (t: ViewedTransaction) => t.receiver_id,
      senderWalletId: (t: ViewedTransaction) => t.sender_wallet_id,
      receiverWalletId: (t: ViewedTransaction) => t.receiver_wallet_id,
      // References for the wallet subgraph, which answers null for a wallet that is not the caller's.
      senderWallet: (t: ViewedTransaction) => (t.sender_wallet_id ? { id: t.sender_wallet_id } : null),
      receiverWallet: (t: ViewedTransaction) => (t.receiver_wallet_id ? { id: t.receiver_wallet_id } : null),
      createdAt: (t: ViewedTransaction) => t.created_at,
      updatedAt: (t: ViewedTransaction) => t.updated_at,
    },
  };
}

/** Serves the subgraph at POST /graphql on the transaction service's app (it starts with the app). */
export function mountTransactionSubgraph(app: FastifyInstance, db: Kysely<TransactionSchema>, log: Logger): void {
  mountSubgraph(app, { name: 'transaction', resolvers: transactionResolvers(db), log });
}
