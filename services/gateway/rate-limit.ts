import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { TokenIssuer } from './auth.ts';
import type { RateLimits } from './config.ts';

/**
 * Per user when the caller presents a valid token (wherever they call from),
 * per IP otherwise. A refused request is a 429 problem with Retry-After.
 * Sign-up and login have their own, lower per-IP limits (route config).
 */
export async function registerRateLimits(app: FastifyInstance, tokens: TokenIssuer, limits: RateLimits): Promise<void> {
  await app.register(rateLimit, {
    timeWindow: '1 minute',
    keyGenerator: async (request) => {
      try {
        return `user:${(await tokens.authenticate(request)).userId}`;
      } catch {
        return `ip:${request.ip}`;
      }
    },
    max: (_request, key) => (key.startsWith('user:') ? limits.perUser : limits.perIp),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`too many requests (at most ${context.max} a minute); retry in ${Math.max(1, Math.ceil(context.ttl / 1000))} s`), {
        statusCode: context.statusCode,
        code: 'RATE_LIMITED',
      }),
  });
}
