import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isPayMeshError } from '../../contracts/errors.ts';
import { formatMinor, toDouble } from '../../contracts/money.ts';
import { createHttpApp } from '../../core/http-app.ts';
import { requireCaller, type GraphQLCaller } from '../../federation/caller.ts';
import { mountSubgraph, type SubgraphContext, type SubgraphResolvers } from '../../federation/subgraph-server.ts';
import type { WalletLedger, WalletView } from './ledger.ts';

export interface WalletGraphQLConfig {
  host: string;
  port: number;
}

/**
 * The wallet subgraph (contracts/graphql/wallet.graphql): wallets and their
 * balances, and User.wallets. A caller sees only wallets they own; another
 * user's wallet is indistinguishable from none.
 */
export function walletResolvers(ledger: WalletLedger): SubgraphResolvers {
  const ownWallet = async (walletId: string, caller: GraphQLCaller): Promise<WalletView | null> => {
    try {
      const wallet = await ledger.getWallet(walletId);
      return wallet.userId === caller.userId ? wallet : null;
    } catch (err) {
      // A malformed or unknown id reads the same as someone else's wallet.
      if (isPayMeshError(err) && (err.kind === 'not_found' || err.kind === 'invalid_argument')) return null;
      throw err;
    }
  };

  return {
    User: {
      __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
      wallets: async (user: { id: string }, _args: unknown, context: SubgraphContext) => {
        const caller = requireCaller(context);
        return user.id === caller.userId ? ledger.listWallets(user.id) : [];
      },
    },
    Wallet: {
      __resolveReference: (reference: { id: string }, context: SubgraphContext) => ownWallet(reference.id, requireCaller(context)),
      balance: (w: WalletView) => toDouble(w.balanceMinor, w.currency),
      balanceDecimal: (w: WalletView) => formatMinor(w.balanceMinor, w.currency),
      balanceMinor: (w: WalletView) => w.balanceMinor.toString(),
      available: (w: WalletView) => formatMinor(w.availableMinor, w.currency),
      availableMinor: (w: WalletView) => w.availableMinor.toString(),
      frozen: (w: WalletView) => formatMinor(w.frozenMinor, w.currency),
      frozenMinor: (w: WalletView) => w.frozenMinor.toString(),
    },
  };
}

export interface WalletGraphQLServer {
  readonly app: FastifyInstance;
  /** http://host:port of the listener; the subgraph is at /graphql. */
  readonly address: string;
  stop(): Promise<void>;
}

/** The wallet's HTTP listener for its subgraph, beside (not instead of) its gRPC server. */
export async function startWalletGraphQL(
  ledger: WalletLedger,
  config: WalletGraphQLConfig,
  log: Logger,
  ready: () => Promise<void>,
): Promise<WalletGraphQLServer> {
  const app = createHttpApp({ log, ready });
  try {
    mountSubgraph(app, { name: 'wallet', resolvers: walletResolvers(ledger), log });
    const address = await app.listen({ host: config.host, port: config.port });
    return { app, address, stop: () => app.close() };
  } catch (err) {
    await app.close();
    throw err;
  }
}
