import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import fastifyApollo from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SUBGRAPH_PATH, subgraphTypeDefs, type SubgraphName } from '../contracts/graphql/subgraphs.ts';
import { callerFromHeaders, type GraphQLCaller } from './caller.ts';
import { formatPayMeshError } from './errors.ts';

export interface SubgraphContext {
  caller: GraphQLCaller | undefined;
}

export type SubgraphResolvers = GraphQLResolverMap<SubgraphContext>;

/**
 * Serves a subgraph at POST /graphql on a service's Fastify app, from its
 * contract SDL. Kept in one place so the three subgraphs cannot drift on what
 * the gateway relies on: the caller headers, the error shape, and nothing
 * served to browsers (no landing page, no introspection, no traces).
 * Registered as a plugin: Apollo starts when the app gets ready (listen,
 * ready or inject) and stops when the app closes.
 */
export function mountSubgraph(app: FastifyInstance, options: { name: SubgraphName; resolvers: SubgraphResolvers; log: Logger }): void {
  const server = new ApolloServer<SubgraphContext>({
    // buildSubgraphSchema types the context as unknown; ours is SubgraphContext, set by the context function below.
    schema: buildSubgraphSchema({ typeDefs: subgraphTypeDefs(options.name), resolvers: options.resolvers as GraphQLResolverMap<unknown> }),
    formatError: formatPayMeshError(options.log),
    logger: options.log,
    // The gateway composes from the contract SDL; clients never talk to a subgraph directly.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns shutdown: the app's close stops this server.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginUsageReportingDisabled()],
  });
  app.register(async (scope) => {
    await server.start();
    // Closing the app drains its requests, then stops Apollo. (Apollo's Fastify drain plugin
    // would instead close the app from Apollo's stop, which deadlocks when the app's close comes first.)
    scope.addHook('onClose', async () => {
      await server.stop();
    });
    await scope.register(fastifyApollo(server), {
      path: SUBGRAPH_PATH,
      method: ['POST'],
      context: async (request) => ({ caller: callerFromHeaders(request.headers) }),
    });
  });
}
