import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { Fetcher } from '@apollo/utils.fetcher';
import fastifyApollo from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import { getNullableType, GraphQLError, isListType, parse, validate, type ValidationRule } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import type { Logger } from 'pino';
import { isPayMeshError, PayMeshError } from '../../contracts/errors.ts';
import { SUBGRAPH_NAMES, SUBGRAPH_PATH, subgraphSdl, type SubgraphName } from '../../contracts/graphql/subgraphs.ts';
import { ConfigReader } from '../../core/config.ts';
import type { ServiceResolver } from '../../discovery/resolver.ts';
import { CALLER_HEADERS, callerHeaders } from '../../federation/caller.ts';
import { formatPayMeshError } from '../../federation/errors.ts';
import { withHttpClientSpan } from '../../observability/http.ts';
import type { Caller, TokenIssuer } from './auth.ts';

// graphql-depth-limit ships no types; this is its documented signature.
const depthLimit = createRequire(import.meta.url)('graphql-depth-limit') as (maxDepth: number) => ValidationRule;

export interface GatewayGraphQLConfig {
  /** Each subgraph's endpoint, e.g. http://127.0.0.1:8007/graphql. */
  subgraphUrls: Record<SubgraphName, string>;
  introspection: boolean;
  maxDepth: number;
  maxCost: number;
  subgraphTimeoutMs: number;
}

/** Where each subgraph is found, by the seed's discovery names. */
const SUBGRAPH_SERVICES: Record<SubgraphName, string> = {
  user: 'user-service.paypal.local',
  wallet: 'wallet-graphql.paypal.local',
  transaction: 'transaction-service.paypal.local',
};

export function gatewayGraphQLConfigFromEnv(resolver: ServiceResolver, env: NodeJS.ProcessEnv = process.env): GatewayGraphQLConfig {
  const read = new ConfigReader(env);
  const introspection = read.string('GATEWAY_GRAPHQL_INTROSPECTION', 'off');
  const config: GatewayGraphQLConfig = {
    subgraphUrls: Object.fromEntries(
      SUBGRAPH_NAMES.map((name) => [name, `${resolver.resolve(SUBGRAPH_SERVICES[name]).address}${SUBGRAPH_PATH}`]),
    ) as Record<SubgraphName, string>,
    introspection: introspection === 'on',
    maxDepth: read.int('GATEWAY_GRAPHQL_MAX_DEPTH', 8, 2, 50),
    maxCost: read.int('GATEWAY_GRAPHQL_MAX_COST', 5000, 10, 1_000_000),
    subgraphTimeoutMs: read.int('GATEWAY_GRAPHQL_SUBGRAPH_TIMEOUT_MS', 10_000, 100, 120_000),
  };
  read.done('gateway');
  if (introspection !== 'on' && introspection !== 'off') {
    throw new Error(`invalid configuration for gateway:\n  - GATEWAY_GRAPHQL_INTROSPECTION must be 'on' or 'off', got '${introspection}'`);
  }
  return config;
}

export interface Supergraph {
  supergraphSdl: string;
  /** Composition hints (warnings), as "CODE: message". */
  hints: string[];
}

/**
 * Composes the supergraph from the contract SDL files at start-up, so the
 * gateway neither needs its subgraphs up to start nor trusts what they
 * would say about themselves.
 */
export function composeSupergraph(subgraphUrls: Record<SubgraphName, string>): Supergraph {
  const result = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, url: subgraphUrls[name], typeDefs: parse(subgraphSdl(name)) })));
  if (result.errors) {
    throw new Error(`the GraphQL contracts in contracts/graphql/ do not compose:\n  - ${result.errors.map((e) => e.message).join('\n  - ')}`);
  }
  return { supergraphSdl: result.supergraphSdl, hints: result.hints.map((h) => `${h.definition.code}: ${h.message}`) };
}

interface GatewayContext {
  caller: Caller;
}

/**
 * Sends each subgraph fetch with the authenticated caller in the internal
 * headers. Client headers are not forwarded by the gateway, and any caller
 * header already on the outgoing request is deleted before ours go on.
 */
class CallerForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest(options: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = options.request.http?.headers;
    if (!headers) return;
    for (const name of Object.values(CALLER_HEADERS)) headers.delete(name);
    const caller = (options.context as Partial<GatewayContext>).caller;
    if (!caller) return;
    for (const [name, value] of Object.entries(callerHeaders(caller))) headers.set(name, value);
  }
}

/** Lists without a `limit` argument (a user's wallets, one per currency) are priced as this many items. */
const ASSUMED_LIST_SIZE = 5;

/**
 * One point per field, lists multiplied by their `limit` (or the assumed
 * size), so aliases, wide selections and large pages all add up.
 * Introspection fields cost nothing: they are off unless configured.
 */
const estimateCost: ComplexityEstimator = ({ field, args, childComplexity }) => {
  if (field.name.startsWith('__')) return 0;
  if (isListType(getNullableType(field.type))) {
    const size = typeof args.limit === 'number' && args.limit >= 0 ? args.limit : ASSUMED_LIST_SIZE;
    return 1 + size * childComplexity;
  }
  return 1 + childComplexity;
};

const rejected = (message: string, code: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extensions, http: { status: 400 } } });

/** Refuses too deep or too costly operations after validation and before any subgraph is asked. */
function operationLimits(config: Pick<GatewayGraphQLConfig, 'maxDepth' | 'maxCost'>): ApolloServerPlugin<GatewayContext> {
  const depthRule = depthLimit(config.maxDepth);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operation }) {
          // No operation of the document answers to the request's operationName (or none was named among several):
          // Apollo Gateway's executor throws for that, which Apollo Server answers as a 500. It is the client's mistake
          // (found by the fuzzer).
          if (!operation) {
            const named = typeof request.operationName === 'string';
            throw rejected(named ? `the document has no operation named "${request.operationName}"` : 'the document has several operations: name the one to run with operationName', 'OPERATION_RESOLUTION_FAILURE');
          }
          // The same for an operation type the graph does not have (mutation, subscription): validation lets it through.
          if (!schema.getRootType(operation.operation)) {
            throw rejected(`this graph has no ${operation.operation} operations`, 'OPERATION_RESOLUTION_FAILURE');
          }
          const tooDeep = validate(schema, document, [depthRule]);
          if (tooDeep.length > 0) {
            throw rejected(`the query is nested too deeply (at most ${config.maxDepth} levels): ${tooDeep[0]!.message}`, 'QUERY_TOO_DEEP', { maxDepth: config.maxDepth });
          }
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, variables: request.variables ?? {}, operationName: request.operationName, estimators: [estimateCost] });
          } catch (err) {
            throw rejected((err as Error).message, 'BAD_USER_INPUT');
          }
          if (cost > config.maxCost) {
            throw rejected(
              `the query costs ${cost}, more than the limit of ${config.maxCost}: ask for fewer fields, fewer aliases or smaller limits`,
              'QUERY_TOO_COMPLEX',
              { cost, maxCost: config.maxCost },
            );
          }
        },
      };
    },
  };
}

/**
 * Subgraph fetches through Node's fetch with a deadline (the library's default
 * fetcher has none). A subgraph that cannot be reached or does not answer in
 * time is reported as unavailable, by name, without its address.
 */
function subgraphFetcher(name: string, timeoutMs: number): Fetcher {
  return (async (url: string, init?: RequestInit) => {
    try {
      // A client span per subgraph fetch; the subgraph's server span continues it.
      return await withHttpClientSpan('POST', url, new URL(url).pathname, (trace) => {
        const headers = new Headers(init?.headers as ConstructorParameters<typeof Headers>[0]);
        for (const [name, value] of Object.entries(trace)) headers.set(name, value);
        return fetch(url, { ...init, headers, signal: AbortSignal.timeout(timeoutMs) });
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new PayMeshError('unavailable', 'SUBGRAPH_UNAVAILABLE', `the ${name} service ${timedOut ? `did not answer within ${timeoutMs} ms` : 'is unavailable'}`);
    }
  }) as Fetcher;
}

/**
 * Serves the federated graph at /graphql: Apollo Gateway plans each query over
 * the user, wallet and transaction subgraphs. Every request must carry a valid
 * access token; the caller goes to the subgraphs, which answer only with the
 * caller's own data.
 */
export async function registerGraphQL(app: FastifyInstance, deps: { tokens: TokenIssuer; log: Logger; config: GatewayGraphQLConfig }): Promise<void> {
  const { config, log } = deps;
  const supergraph = composeSupergraph(config.subgraphUrls);
  for (const hint of supergraph.hints) log.debug({ hint }, 'supergraph composition hint');
  const gateway = new ApolloGateway({
    supergraphSdl: supergraph.supergraphSdl,
    buildService: ({ name, url }) => new CallerForwardingDataSource({ url, fetcher: subgraphFetcher(name, config.subgraphTimeoutMs) }),
    logger: log,
  });
  const server = new ApolloServer<GatewayContext>({
    gateway,
    formatError: formatPayMeshError(log, ['cost', 'maxCost', 'maxDepth']),
    logger: log,
    introspection: config.introspection,
    hideSchemaDetailsFromClientErrors: !config.introspection,
    includeStacktraceInErrorResponses: false,
    // One operation per request: a batch would multiply the cost limit.
    allowBatchedHttpRequests: false,
    persistedQueries: false,
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: 10_000 },
    plugins: [
      operationLimits(config),
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
  });
  await server.start();
  // Closing the app drains its requests, then stops Apollo. (Apollo's Fastify drain plugin
  // would instead close the app from Apollo's stop, which deadlocks when the app's close comes first.)
  app.addHook('onClose', async () => {
    await server.stop();
  });
  await app.register(fastifyApollo(server), {
    path: '/graphql',
    method: ['GET', 'POST'],
    context: async (request) => {
      try {
        return { caller: await deps.tokens.authenticate(request) };
      } catch (err) {
        const paymeshCode = isPayMeshError(err) ? err.code : 'INVALID_TOKEN';
        throw new GraphQLError(isPayMeshError(err) ? err.message : 'the access token is missing, invalid or expired', {
          extensions: { code: 'UNAUTHENTICATED', paymeshCode, http: { status: 401 } },
        });
      }
    },
  });
}
