import type { Payers } from './e2e.ts';
import { sleep, summarize, type LatencySummary } from './measure.ts';

export interface OpenLoopOptions {
  /** Payments started per second, on a fixed schedule. */
  rate: number;
  /** How long payments keep being started; the ones under way are then awaited. */
  seconds: number;
}

export interface OpenLoopResult {
  options: OpenLoopOptions;
  started: number;
  completed: number;
  failed: number;
  byPolling: number;
  /** Payments started per second, as achieved (below the rate if this process fell behind its schedule). */
  startedPerSecond: number;
  /** Completed payments per second, from the first start to the last completion. */
  completedPerSecond: number;
  /** How late the latest start was against its schedule: the load generator's own lag. */
  maxStartLagMs: number;
  acceptLatency: LatencySummary;
  completionLatency: LatencySummary;
}

/**
 * An open loop: payments start on a fixed schedule (`rate` per second) from
 * the payers in turn, whether or not earlier ones have finished, as requests
 * from many independent users arrive. A closed loop slows its own arrivals
 * when the platform slows down and so hides queueing; here a slow payment
 * leaves the next ones arriving on time. Each payment is timed from when it
 * was due, not from when this process got round to sending it, so a late
 * start counts against the latency instead of vanishing from it.
 */
export async function benchOpenLoop(payers: Payers, options: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / options.rate;
  const acceptLatencies: number[] = [];
  const completionLatencies: number[] = [];
  let failed = 0;
  let byPolling = 0;
  let maxStartLagMs = 0;
  let lastCompleted = 0;
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  for (let k = 0; start + k * interval < deadline; k++) {
    const due = start + k * interval;
    const early = due - performance.now();
    if (early > 0) await sleep(early);
    maxStartLagMs = Math.max(maxStartLagMs, performance.now() - due);
    inFlight.push(
      payers.pay(k, due).then((result) => {
        acceptLatencies.push(result.acceptMs);
        if (result.outcome === 'failed') failed++;
        else completionLatencies.push(result.completeMs);
        if (result.polled) byPolling++;
        lastCompleted = performance.now();
      }),
    );
  }
  // Over the whole scheduled time (or longer, if starts ran late).
  const startedPerSecond = inFlight.length / ((Math.max(performance.now(), deadline) - start) / 1000);
  await Promise.all(inFlight);
  return {
    options,
    started: inFlight.length,
    completed: completionLatencies.length,
    failed,
    byPolling,
    startedPerSecond,
    completedPerSecond: completionLatencies.length / ((lastCompleted - start) / 1000),
    maxStartLagMs,
    acceptLatency: summarize(acceptLatencies),
    completionLatency: summarize(completionLatencies),
  };
}
