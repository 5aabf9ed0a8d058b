import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { notFound } from '../../contracts/errors.ts';
import { requireCaller } from '../../federation/caller.ts';
import { mountSubgraph, type SubgraphContext, type SubgraphResolvers } from '../../federation/subgraph-server.ts';
import type { UserRow } from './schema.ts';

/** What the user subgraph shows of a user: never the password hash or role. */
export type UserProfile = Pick<UserRow, 'id' | 'email' | 'first_name' | 'last_name' | 'default_currency' | 'created_at'>;

/** Looks a user up by id; undefined when there is none. */
export type FindUser = (id: string) => Promise<UserProfile | undefined>;

/** FindUser over the user service's own `users` table. */
export function usersTable(db: Kysely<{ users: UserRow }>): FindUser {
  return (id) =>
    db.selectFrom('users').select(['id', 'email', 'first_name', 'last_name', 'default_currency', 'created_at']).where('id', '=', id).executeTakeFirst();
}

const userNotFound = (id: string) => notFound('USER_NOT_FOUND', `user ${id} not found`);

/**
 * The user subgraph (contracts/graphql/user.graphql): `user(id)` and `me`.
 * A caller sees only themself: another user's id reads as not found, exactly
 * like an unknown one.
 */
export function userResolvers(findUser: FindUser): SubgraphResolvers {
  const self = async (id: string, callerId: string): Promise<UserProfile | undefined> => (id === callerId ? findUser(id) : undefined);
  return {
    Query: {
      user: async (_root: unknown, args: { id: string }, context: SubgraphContext) => {
        const found = await self(args.id, requireCaller(context).userId);
        if (!found) throw userNotFound(args.id);
        return found;
      },
      me: async (_root: unknown, _args: unknown, context: SubgraphContext) => {
        const caller = requireCaller(context);
        const found = await findUser(caller.userId);
        if (!found) throw userNotFound(caller.userId);
        return found;
      },
    },
    User: {
      __resolveReference: async (reference: { id: string }, context: SubgraphContext) => (await self(reference.id, requireCaller(context).userId)) ?? null,
      firstName: (u: UserProfile) => u.first_name,
      lastName: (u: UserProfile) => u.last_name,
      defaultCurrency: (u: UserProfile) => u.default_currency,
      createdAt: (u: UserProfile) => u.created_at,
    },
  };
}

/** Serves the subgraph at POST /graphql on the user service's app (it starts with the app). */
export function mountUserSubgraph(app: FastifyInstance, findUser: FindUser, log: Logger): void {
  mountSubgraph(app, { name: 'user', resolvers: userResolvers(findUser), log });
}
