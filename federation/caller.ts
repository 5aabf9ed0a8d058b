import { unauthenticated } from '../contracts/errors.ts';

/**
 * How the gateway tells a subgraph who is asking. The gateway authenticates
 * the bearer token and sends these headers on every subgraph fetch, after
 * deleting any the client sent; subgraphs listen on internal addresses only
 * and trust them, as the internal REST endpoints trust their user_id.
 */
export const CALLER_HEADERS = {
  userId: 'x-paymesh-user-id',
  role: 'x-paymesh-role',
} as const;

export interface GraphQLCaller {
  userId: string;
  role: 'user' | 'operator';
}

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

/** The caller named by a subgraph request's headers, or undefined when there is none (or it is malformed). */
export function callerFromHeaders(headers: Record<string, string | string[] | undefined>): GraphQLCaller | undefined {
  const userId = headers[CALLER_HEADERS.userId];
  if (typeof userId !== 'string' || !USER_ID.test(userId)) return undefined;
  return { userId, role: headers[CALLER_HEADERS.role] === 'operator' ? 'operator' : 'user' };
}

/** The headers that name a caller to a subgraph. */
export function callerHeaders(caller: GraphQLCaller): Record<string, string> {
  return { [CALLER_HEADERS.userId]: caller.userId, [CALLER_HEADERS.role]: caller.role };
}

/** Every subgraph resolver starts here: no caller, no data. */
export function requireCaller(context: { caller: GraphQLCaller | undefined }): GraphQLCaller {
  if (!context.caller) throw unauthenticated('UNAUTHENTICATED', 'this subgraph answers only requests that name their caller (through the gateway)');
  return context.caller;
}
