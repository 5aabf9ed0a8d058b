import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { TokenIssuer } from '../auth.ts';

/** The cookie that lets a browser load the console's page. */
export const CONSOLE_COOKIE = 'paymesh_console';
export const CONSOLE_MOUNT = '/console';
/** The console's one page anyone may load: where operators sign in (it shows nothing else). */
export const CONSOLE_SIGN_IN = '/console/sign-in';

/**
 * The one cookie the gateway reads, from the Cookie header (RFC 6265 pairs
 * separated by `;`): no cookie plugin for a single name and value.
 */
function cookieOf(request: FastifyRequest, name: string): string | undefined {
  for (const pair of String(request.headers.cookie ?? '').split(';')) {
    const at = pair.indexOf('=');
    if (at > 0 && pair.slice(0, at).trim() === name) return decodeURIComponent(pair.slice(at + 1).trim());
  }
  return undefined;
}

/**
 * Whether a page load may have the console. The web apps keep their access
 * token in sessionStorage, which a browser never sends with a navigation, so
 * the console's sign-in also asks for this cookie: HttpOnly (no script reads
 * it), SameSite=Strict (no other site's link or form carries it), scoped to
 * /console (no API call carries it; the admin API only ever takes the bearer
 * token). It holds the operator's short-lived access token and expires with it.
 */
export function consoleVisitor(tokens: TokenIssuer): (request: FastifyRequest) => Promise<boolean> {
  return async (request) => {
    const token = cookieOf(request, CONSOLE_COOKIE);
    if (!token) return false;
    try {
      return (await tokens.verify(token)).role === 'operator';
    } catch {
      return false;
    }
  };
}

function setCookie(request: FastifyRequest, reply: FastifyReply, value: string, maxAgeSeconds: number) {
  // Secure whenever the browser came over HTTPS (directly or through the load balancer); plain http on loopback otherwise.
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${CONSOLE_COOKIE}=${encodeURIComponent(value)}; Path=${CONSOLE_MOUNT}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`);
}

/**
 * `POST /admin/console/session`: an operator's console sign-in, after
 * POST /v1/sessions, sets the cookie from the bearer token it presents;
 * `DELETE` clears it (sign-out). Both behind operatorsOnly: anyone else gets
 * a 404 and no cookie.
 */
export function consoleSessionRoutes(app: FastifyInstance, tokens: TokenIssuer): void {
  app.post('/admin/console/session', { schema: { hide: true } }, async (request, reply) => {
    // operatorsOnly has verified this token; only its expiry is read here.
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')![1]!;
    const payload = decodeJwt(token);
    const remaining = Math.max(0, Math.min(tokens.ttlSeconds, (payload.exp ?? 0) - Math.floor(Date.now() / 1000)));
    setCookie(request, reply, token, remaining);
    return reply.code(204).send();
  });

  app.delete('/admin/console/session', { schema: { hide: true } }, async (request, reply) => {
    setCookie(request, reply, '', 0);
    return reply.code(204).send();
  });
}
