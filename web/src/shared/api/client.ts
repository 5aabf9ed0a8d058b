/**
 * The gateway's REST API, typed from its OpenAPI document (schema.ts, generated
 * by openapi-typescript) and called through openapi-fetch: paths, parameters,
 * bodies and answers are checked by the compiler, not written by hand.
 */
import createClient from 'openapi-fetch';
import { ApiProblem } from './problem.ts';
import type { paths } from './schema.ts';

export type Api = ReturnType<typeof createClient<paths>>;

export interface ApiAuth {
  /** The access token to send, if signed in. */
  token(): string | undefined;
  /** Called when the API refuses the token (expired or revoked). */
  rejected(): void;
}

export function createApi(auth: ApiAuth, baseUrl = globalThis.location?.origin ?? ''): Api {
  const api = createClient<paths>({ baseUrl });
  api.use({
    onRequest({ request }) {
      const token = auth.token();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has('authorization')) auth.rejected();
      return undefined;
    },
  });
  return api;
}

/**
 * The data of a successful call; an ApiProblem for an error answer or when
 * the gateway could not be reached.
 */
export async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(call: Promise<R>): Promise<NonNullable<R['data']>> {
  let result: R;
  try {
    result = await call;
  } catch (err) {
    if (err instanceof ApiProblem) throw err;
    throw ApiProblem.network();
  }
  if (result.error !== undefined || !result.response.ok) throw ApiProblem.fromResponse(result.response.status, result.error);
  return result.data as NonNullable<R['data']>;
}

/** A fresh Idempotency-Key. */
export const newIdempotencyKey = (): string => crypto.randomUUID();
