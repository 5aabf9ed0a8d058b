import type { Payers } from './e2e.ts';
import { summarize, type LatencySummary } from './measure.ts';

export interface SequentialOptions {
  /** Payments measured, one after another. */
  payments: number;
  /** Payments before the clock starts, so the window holds only payments made one at a time. */
  warmUp: number;
  /** Called when the measured part starts (after the warm-up). */
  onMeasureStart?: () => void;
}

export interface SequentialResult {
  /** Payments sent in the measured part. */
  payments: number;
  completed: number;
  failed: number;
  byPolling: number;
  /** POST /v1/payments until its 202. */
  acceptLatency: LatencySummary;
  /** POST /v1/payments until the sender's WebSocket push of payment_sent. */
  completionLatency: LatencySummary;
  seconds: number;
}

/**
 * Payments one at a time on an otherwise idle platform: one client, the
 * next POST only once the previous payment's push arrived. Nothing queues
 * behind anything, so this is the latency of the flow itself (every hop,
 * every commit, nothing waiting its turn) and, per payment, what a payment
 * costs when none shares a batch, a group commit or a long poll with another.
 */
export async function benchSequential(payers: Payers, options: SequentialOptions): Promise<SequentialResult> {
  for (let n = 0; n < options.warmUp; n++) await payers.pay(0);
  const acceptLatencies: number[] = [];
  const completionLatencies: number[] = [];
  let failed = 0;
  let byPolling = 0;
  options.onMeasureStart?.();
  const start = performance.now();
  for (let n = 0; n < options.payments; n++) {
    const result = await payers.pay(0);
    acceptLatencies.push(result.acceptMs);
    if (result.outcome === 'failed') failed++;
    else completionLatencies.push(result.completeMs);
    if (result.polled) byPolling++;
  }
  return {
    payments: options.payments,
    completed: completionLatencies.length,
    failed,
    byPolling,
    acceptLatency: summarize(acceptLatencies),
    completionLatency: summarize(completionLatencies),
    seconds: (performance.now() - start) / 1000,
  };
}
