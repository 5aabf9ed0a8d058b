import WebSocket from 'ws';
import type { Platform } from '../scripts/platform.ts';
import { ApiClient } from '../test/support/api.ts';
import { summarize, type LatencySummary } from './measure.ts';

export interface EndToEndOptions {
  /** Concurrent clients, each with one payment in flight at a time (a closed loop). */
  clients: number;
  /** How long clients keep starting payments; the ones under way are then awaited. */
  seconds: number;
  /** Payments per client before the clock starts (JIT, connections, schema lookups). */
  warmUp: number;
  /** Called when the measured part starts (after the warm-up). */
  onMeasureStart?: () => void;
}

export interface EndToEndResult {
  options: EndToEndOptions;
  /** Users the clients pay between. */
  users: number;
  accepted: number;
  completed: number;
  failed: number;
  /** Settled payments whose outcome came by polling (the WebSocket push did not arrive in time). */
  byPolling: number;
  acceptedPerSecond: number;
  completedPerSecond: number;
  /** POST /v1/payments until its 202. */
  acceptLatency: LatencySummary;
  /** POST /v1/payments until the client learns the payment completed. */
  completionLatency: LatencySummary;
  seconds: number;
}

/** One payment as its client saw it, timed from when it was due to start. */
export interface PaymentTiming {
  acceptMs: number;
  completeMs: number;
  outcome: 'completed' | 'failed';
  /** The outcome came by polling GET /v1/payments/{id}: the WebSocket push did not arrive in time. */
  polled: boolean;
}

/**
 * Users with funded wallets and their WebSockets open, ready to pay each
 * other: what every payments benchmark drives (the closed loop, payments one
 * at a time, the open loop), signed up once per run.
 */
export interface Payers {
  readonly count: number;
  /**
   * Client i pays 1.00 USD from user i mod count to the next user, as apps
   * would: POST with an Idempotency-Key, then the sender's WebSocket push of
   * the outcome. Timed from `startedAt` (default: now), so a schedule that
   * was due earlier counts its own lateness.
   */
  pay(clientIndex: number, startedAt?: number): Promise<PaymentTiming>;
  close(): void;
}

/** How long to wait for the WebSocket push before asking GET /v1/payments/{id} instead. */
const PUSH_PATIENCE_MS = 10_000;

interface Sender {
  client: ApiClient;
  userId: string;
  /** Payment id → resolves with the outcome the WebSocket pushed. */
  waiting: Map<string, (outcome: 'completed' | 'failed') => void>;
  /** Outcomes that arrived before their waiter (a push can beat the 202). */
  early: Map<string, 'completed' | 'failed'>;
  close: () => void;
}

/** Signs up `users` users through the public API, funds their wallets and opens each one's WebSocket. */
export async function openPayers(platform: Platform, users: number): Promise<Payers> {
  const gateway = platform.url('gateway');
  // Two at a time: each sign-up hashes a password, and the user service answers within the gateway's 5 s timeout.
  const signedUp: Array<Awaited<ReturnType<typeof ApiClient.signUp>>> = [];
  while (signedUp.length < users) {
    signedUp.push(...(await Promise.all(Array.from({ length: Math.min(2, users - signedUp.length) }, () => ApiClient.signUp(gateway)))));
  }
  for (const user of signedUp) await user.client.fund('100000.00');
  const senders: Sender[] = await Promise.all(signedUp.map(async (user) => listen(user.client, user.user.id)));
  return {
    count: senders.length,
    async pay(clientIndex, startedAt = performance.now()) {
      const sender = senders[clientIndex % senders.length]!;
      const receiver = senders[(clientIndex + 1) % senders.length]!;
      const response = await sender.client.post('/v1/payments', { receiver_id: receiver.userId, amount: '1.00', currency: 'USD' });
      if (response.status !== 202) throw new Error(`payment refused: ${response.status} ${JSON.stringify(response.body)}`);
      const acceptMs = performance.now() - startedAt;
      const settled = await outcomeOf(sender, response.body.id as string);
      return { acceptMs, completeMs: performance.now() - startedAt, ...settled };
    },
    close() {
      for (const sender of senders) sender.close();
    },
  };
}

/**
 * End-to-end payments through the public API at the platform's peak: each
 * client sends a payment, waits for the sender's WebSocket to say it
 * completed (or failed), then sends the next (a closed loop).
 */
export async function benchEndToEnd(payers: Payers, options: EndToEndOptions): Promise<EndToEndResult> {
  await Promise.all(
    Array.from({ length: options.clients }, async (_, i) => {
      for (let n = 0; n < options.warmUp; n++) await payers.pay(i);
    }),
  );

  const acceptLatencies: number[] = [];
  const completionLatencies: number[] = [];
  let failed = 0;
  let byPolling = 0;
  let lastAccepted = 0;
  let lastCompleted = 0;
  options.onMeasureStart?.();
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, i) => {
      while (performance.now() < deadline) {
        const result = await payers.pay(i);
        acceptLatencies.push(result.acceptMs);
        lastAccepted = Math.max(lastAccepted, performance.now() - result.completeMs + result.acceptMs);
        if (result.outcome === 'failed') failed++;
        else completionLatencies.push(result.completeMs);
        if (result.polled) byPolling++;
        lastCompleted = performance.now();
      }
    }),
  );
  return {
    options,
    users: payers.count,
    accepted: acceptLatencies.length,
    completed: completionLatencies.length,
    failed,
    byPolling,
    acceptedPerSecond: acceptLatencies.length / ((lastAccepted - start) / 1000),
    completedPerSecond: completionLatencies.length / ((lastCompleted - start) / 1000),
    acceptLatency: summarize(acceptLatencies),
    completionLatency: summarize(completionLatencies),
    seconds: (lastCompleted - start) / 1000,
  };
}

/** Opens the user's WebSocket (/ws with their token) and routes payment outcomes to whoever waits for them. */
async function listen(client: ApiClient, userId: string): Promise<Sender> {
  const socket = new WebSocket(`${client.baseUrl.replace(/^http/, 'ws')}/ws`, { headers: { authorization: `Bearer ${client.token}` } });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const sender: Sender = { client, userId, waiting: new Map(), early: new Map(), close: () => socket.close() };
  socket.on('message', (data) => {
    const n = JSON.parse(String(data)).notification;
    if (!n?.payment_id || (n.kind !== 'payment_sent' && n.kind !== 'payment_failed')) return;
    const outcome = n.kind === 'payment_sent' ? 'completed' : 'failed';
    const waiter = sender.waiting.get(n.payment_id);
    if (waiter) waiter(outcome);
    else sender.early.set(n.payment_id, outcome);
  });
  return sender;
}

async function outcomeOf(sender: Sender, paymentId: string): Promise<{ outcome: 'completed' | 'failed'; polled: boolean }> {
  const early = sender.early.get(paymentId);
  if (early) {
    sender.early.delete(paymentId);
    return { outcome: early, polled: false };
  }
  let timer: NodeJS.Timeout | undefined;
  const pushed = new Promise<'completed' | 'failed' | undefined>((resolve) => {
    sender.waiting.set(paymentId, resolve);
    timer = setTimeout(() => resolve(undefined), PUSH_PATIENCE_MS);
  });
  const outcome = await pushed;
  clearTimeout(timer);
  sender.waiting.delete(paymentId);
  if (outcome) return { outcome, polled: false };
  const settled = await sender.client.settled(paymentId, 120_000);
  return { outcome: settled.status, polled: true };
}
