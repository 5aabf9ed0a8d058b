import { randomBytes, randomUUID, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { notFound, unauthenticated } from '../../contracts/errors.ts';

const ISSUER = 'paymesh';
const AUDIENCE = 'paymesh-api';

export interface Caller {
  userId: string;
  role: 'user' | 'operator';
}

/** How many verified tokens the gateway remembers (their callers, until they expire). */
const VERIFIED_TOKENS = 10_000;

/**
 * Short-lived HS256 access tokens (jose). A token is verified once and its
 * caller remembered until the token expires (lru-cache, bounded): a client sends the same token with every request, and checking its
 * signature each time was a WebCrypto call on the thread pool per request.
 * Only tokens that verified are remembered, so a forged one is checked, and
 * refused, every time.
 */
export class TokenIssuer {
  private readonly key: Uint8Array;
  private verifyKey: Promise<webcrypto.CryptoKey> | undefined;
  private readonly verified = new LRUCache<string, Caller>({ max: VERIFIED_TOKENS });
  readonly ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    this.key = new TextEncoder().encode(secret);
    this.ttlSeconds = ttlSeconds;
  }

  issue(caller: Caller): Promise<string> {
    return new SignJWT({ role: caller.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(caller.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<Caller> {
    const known = this.verified.get(token);
    if (known) return known;
    try {
      // Imported once: jose would otherwise import the raw secret for every verification.
      this.verifyKey ??= webcrypto.subtle.importKey('raw', this.key, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      const { payload } = await jwtVerify(token, await this.verifyKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw new Error('no subject or expiry');
      const caller: Caller = { userId: payload.sub, role: payload.role === 'operator' ? 'operator' : 'user' };
      // Remembered only until the token expires: past that, it is checked again, and refused.
      const ttl = payload.exp * 1000 - Date.now();
      if (ttl > 0) this.verified.set(token, caller, { ttl });
      return caller;
    } catch {
      throw unauthenticated('INVALID_TOKEN', 'the access token is missing, invalid or expired');
    }
  }

  /** The caller behind a request's `Authorization: Bearer` header, verified once per request. */
  authenticate(request: FastifyRequest): Promise<Caller> {
    let caller = verifiedCallers.get(request);
    if (!caller) {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      caller = match ? this.verify(match[1]!) : Promise.reject(unauthenticated('INVALID_TOKEN', 'send an access token: Authorization: Bearer <token>'));
      // The rate limiter, the route's first hook and its handler all ask; the signature is checked once.
      verifiedCallers.set(request, caller);
    }
    return caller;
  }
}

const verifiedCallers = new WeakMap<FastifyRequest, Promise<Caller>>();

/**
 * Every /v1 route except those whose schema declares `security: []` (sign-up,
 * login) checks the token first, before its input is validated: a caller
 * without a valid token gets 401, and learns nothing about the route's rules
 * from a 400. Handlers still ask `tokens.authenticate` for the caller.
 */
export function authenticateBeforeInput(app: FastifyInstance, tokens: TokenIssuer): void {
  const check: onRequestAsyncHookHandler = async (request) => {
    await tokens.authenticate(request);
  };
  app.addHook('onRoute', (route) => {
    const isPublic = (route.schema as { security?: unknown[] } | undefined)?.security?.length === 0;
    if (!route.url.startsWith('/v1/') || isPublic) return;
    route.onRequest = [...[route.onRequest ?? []].flat(), check];
  });
}

/**
 * The signing secret: GATEWAY_JWT_SECRET when set (production, several
 * replicas); otherwise one generated on first start and kept, readable only by
 * this user, in the data directory, so local sessions survive restarts.
 */
export function resolveJwtSecret(configured: string | undefined, dataDir = process.env.DATA_DIR || path.resolve('data')): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'gateway-jwt.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return secret;
}

/**
 * Admin APIs are for operators only. Anyone else (signed in or not) gets the
 * same 404 an unknown path gets, so the admin surface is not even visible.
 */
export async function requireOperator(tokens: TokenIssuer, request: FastifyRequest): Promise<Caller> {
  let caller: Caller | undefined;
  try {
    caller = await tokens.authenticate(request);
  } catch {
    caller = undefined;
  }
  if (caller?.role !== 'operator') throw notFound('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`);
  return caller;
}
