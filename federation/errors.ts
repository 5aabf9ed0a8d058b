import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { isPayMeshError, type ErrorKind } from '../contracts/errors.ts';

/**
 * The GraphQL face of PayMesh errors: each kind maps once to `extensions.code`
 * (as core/http-problem.ts maps it to an HTTP status), the stable PayMesh code
 * travels as `extensions.paymeshCode`, and the bad input as `extensions.field`.
 * Codes follow Apollo's names where Apollo has one (BAD_USER_INPUT,
 * UNAUTHENTICATED, INTERNAL_SERVER_ERROR).
 */
export const GRAPHQL_CODE_BY_KIND: Record<ErrorKind, string> = {
  invalid_argument: 'BAD_USER_INPUT',
  not_found: 'NOT_FOUND',
  already_exists: 'ALREADY_EXISTS',
  failed_precondition: 'FAILED_PRECONDITION',
  conflict: 'CONFLICT',
  unauthenticated: 'UNAUTHENTICATED',
  unavailable: 'SERVICE_UNAVAILABLE',
  internal: 'INTERNAL_SERVER_ERROR',
};

export const INTERNAL_ERROR_MESSAGE = 'internal error';

/** The extensions a client may see; anything else (stack traces, service names, http) is dropped. */
export interface PayMeshErrorExtensions {
  code: string;
  paymeshCode?: string;
  field?: string;
  [name: string]: unknown;
}

interface ErrorLog {
  error(object: object, message: string): void;
}

/**
 * Apollo Server's `formatError` for the gateway and every subgraph. A
 * PayMeshError shows its message and codes; errors raised on purpose with a
 * code (Apollo's validation errors, a subgraph's error relayed by the gateway)
 * pass with only the known extensions; anything else is logged and masked as
 * an internal error.
 */
export function formatPayMeshError(log: ErrorLog, passExtensions: readonly string[] = []) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    if (isPayMeshError(original) && original.kind !== 'internal') {
      const extensions: PayMeshErrorExtensions = { code: GRAPHQL_CODE_BY_KIND[original.kind], paymeshCode: original.code };
      if (original.field) extensions.field = original.field;
      return { ...base, message: original.message, extensions };
    }
    const code = formatted.extensions?.code;
    // An exception thrown by code is never shown. GraphQLErrors (Apollo's own) and
    // errors a subgraph sent (plain objects the gateway relays) keep their code.
    const exception = original instanceof Error && !(original instanceof GraphQLError);
    if (!exception && typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      const extensions: PayMeshErrorExtensions = { code };
      for (const name of ['paymeshCode', 'field', ...passExtensions]) {
        if (formatted.extensions?.[name] !== undefined) extensions[name] = formatted.extensions[name];
      }
      return { ...base, extensions };
    }
    log.error({ err: original, graphqlError: formatted }, 'GraphQL request failed with an internal error');
    return { ...base, message: INTERNAL_ERROR_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
