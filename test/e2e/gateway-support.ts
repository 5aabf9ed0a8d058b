import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Platform } from '../../scripts/platform.ts';
import { TokenIssuer } from '../../services/gateway/auth.ts';
import { ApiClient, type ApiResponse } from '../support/api.ts';

export { eventually } from '../support/eventually.ts';

/** A response is an RFC 9457 problem with this status (and code, and field, when given). */
export function assertProblem(response: ApiResponse, status: number, expected: { code?: string; field?: string } = {}, context = ''): void {
  const where = `${context} → ${response.status} ${JSON.stringify(response.body)}`;
  assert.equal(response.status, status, where);
  assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json', where);
  assert.equal(response.body.status, status, where);
  assert.ok(typeof response.body.detail === 'string' && response.body.detail.length > 0, `a problem says what is wrong: ${where}`);
  if (expected.code) assert.equal(response.body.code, expected.code, where);
  if (expected.field) assert.equal(response.body.field, expected.field, where);
}

export const OPERATOR_PASSWORD = 'operator password of some length';

/**
 * An operator, made through the user service's internal endpoint (as the
 * gateway's POST /admin/operators does: operators are never made through the
 * public API), signed in at the gateway.
 */
export async function makeOperator(platform: Platform): Promise<{ id: string; email: string; password: string; client: ApiClient }> {
  const email = `ops-${randomUUID().slice(0, 8)}@example.com`;
  const created = await fetch(`${platform.url('user')}/admin/operators`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: OPERATOR_PASSWORD }) });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  const session = await new ApiClient(platform.url('gateway')).request('POST', '/v1/sessions', { email, password: OPERATOR_PASSWORD });
  assert.equal(session.status, 200);
  return { id, email, password: OPERATOR_PASSWORD, client: new ApiClient(platform.url('gateway'), session.body.access_token) };
}

/** Tokens as the platform's gateway issues them (its test secret), for callers who need no password. */
export function platformTokens(platform: Platform): TokenIssuer {
  return new TokenIssuer(platform.env.GATEWAY_JWT_SECRET!, 900);
}

/** The seed's own gRPC client (its proto as the seed wrote it), asking for a balance. */
export async function seedGetBalance(walletAddress: string, walletId: string, currency: string): Promise<{ balance: number; available_balance: number; frozen_balance: number }> {
  const definition = protoLoader.loadSync(path.resolve(import.meta.dirname, '../../services/wallet/test/fixtures/seed-wallet.proto'), { keepCase: true });
  const WalletService = (grpc.loadPackageDefinition(definition) as unknown as { WalletService: grpc.ServiceClientConstructor }).WalletService;
  const client = new WalletService(walletAddress, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      (client as any).GetBalance({ wallet_id: walletId, currency }, (err: Error | null, response: any) => (err ? reject(err) : resolve(response))),
    );
  } finally {
    client.close();
  }
}

interface Hold {
  matches: (method: string, url: string) => boolean;
  reached: () => void;
  released: Promise<void>;
}

/**
 * A transparent HTTP proxy between the gateway and one service, that can hold
 * chosen requests until the test lets them go: how a test makes a request
 * "still running" without sleeping. Requests that arrive before the target is
 * known (the platform is still starting) get a 503.
 */
export class GateProxy {
  private readonly server: Server;
  private readonly holds: Hold[] = [];
  private target: (() => string) | undefined;
  url = '';

  private constructor() {
    this.server = createServer((request, response) => {
      void this.forward(request).then(
        ({ status, headers, body }) => response.writeHead(status, headers).end(body),
        () => response.writeHead(502).end(),
      );
    });
  }

  static async start(): Promise<GateProxy> {
    const proxy = new GateProxy();
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as { port: number }).port}`;
    return proxy;
  }

  forwardTo(target: () => string): void {
    this.target = target;
  }

  /** Holds the next request that matches; `reached` resolves when it arrives, `release` lets it through. */
  hold(matches: (method: string, url: string) => boolean): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    const hold = { matches, reached, released };
    this.holds.push(hold);
    return {
      reached: arrived,
      release: () => {
        // A hold no request reached is dropped, so it cannot catch a later one.
        if (this.holds.includes(hold)) this.holds.splice(this.holds.indexOf(hold), 1);
        release();
      },
    };
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(request: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const hold = this.holds.find((h) => h.matches(request.method!, request.url!));
    if (hold) {
      this.holds.splice(this.holds.indexOf(hold), 1);
      hold.reached();
      await hold.released;
    }
    if (!this.target) return { status: 503, headers: {}, body: Buffer.alloc(0) };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(name)) headers[name] = value;
    }
    const upstream = await fetch(`${this.target()}${request.url}`, { method: request.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    const answer: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!['connection', 'content-length', 'transfer-encoding', 'content-encoding', 'keep-alive'].includes(name)) answer[name] = value;
    });
    return { status: upstream.status, headers: answer, body: Buffer.from(await upstream.arrayBuffer()) };
  }
}
