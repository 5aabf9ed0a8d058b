/**
 * The gateway's operator admin API. Its routes are kept out of the public
 * OpenAPI document (the admin surface is not advertised), so there is no
 * generated client for it: its answers are typed by the gateway's own
 * contract file (contracts/admin-api.ts, types only), and this
 * small wrapper sends the operator's bearer token and turns refusals into
 * ApiProblems like the generated client does.
 */
import { useMemo } from 'react';
import { ApiProblem } from '../shared/api/problem.ts';
import { useSession } from '../shared/session.tsx';

export type * from '../../../contracts/admin-api.ts';

export interface AdminApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

export function adminApi(token: () => string | undefined): AdminApi {
  const call = async <T,>(method: string, path: string, body?: unknown): Promise<T> => {
    const current = token();
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { accept: 'application/json', ...(current ? { authorization: `Bearer ${current}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw ApiProblem.network();
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw ApiProblem.fromResponse(response.status, parsed);
    return parsed as T;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    delete: (path) => call('DELETE', path),
  };
}

/** The admin API as the signed-in operator. */
export function useAdmin(): AdminApi {
  const { token } = useSession();
  return useMemo(() => adminApi(() => token), [token]);
}
