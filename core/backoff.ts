/**
 * How long to wait before attempt `n` again (n = 0 for the first retry):
 * `baseMs · 2ⁿ`, capped at `maxMs`, and with `jitter` a random share of it
 * between a half and the whole, so callers that failed together do not retry
 * together. The one formula every retry in PayMesh uses (saga steps, outbox
 * publishes, queue receives and message visibility, DLQ redrives, EventBridge
 * deliveries, the supervisor's restarts).
 *
 * Hand-written: cockatiel's backoffs are iterators held per retry loop, while
 * these callers keep only an attempt count (often in a database row).
 */
export function backoffMs(n: number, options: { baseMs: number; maxMs: number; jitter?: boolean }, random: () => number = Math.random): number {
  // The exponent is bounded so 2ⁿ stays a finite number whatever count a row holds.
  const capped = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(n, 0), 30));
  return options.jitter ? capped * (0.5 + random() / 2) : capped;
}
