/**
 * Long polls waiting on a queue. A receive that found nothing parks here
 * until a message may have become available on its queue (a send, a move, a
 * visibility change, a FIFO group unblocked: the engine calls `notify` after
 * commit), until the next message's visibility timeout or delay ends, or
 * until its WaitTimeSeconds is over. No polling loop: a send wakes the
 * waiters of its queue in the same process, at once.
 *
 * No wake-up can be lost between a receive's empty read and its parking:
 * every notify bumps the queue's sequence number, the receive reads it inside
 * its unit of work (before the read), and `wait` returns at once when it has
 * moved since. A send committed in the same group after the receive, or
 * acknowledged while the receive's own result was on its way back, notifies
 * before the receive parks; without the sequence number it would notify
 * nobody and the message would sit until the next send or the wait's end.
 */
export class Waiters {
  private readonly byQueue = new Map<number, Set<() => void>>();
  private readonly sequence = new Map<number, number>();
  private closed = false;
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** The queue's notify count: read it before looking for messages, give it to `wait`. */
  sequenceOf(queueId: number): number {
    return this.sequence.get(queueId) ?? 0;
  }

  /**
   * Resolves on notify, at `untilMs`, or when `signal` aborts, whichever comes
   * first; at once if the queue was notified since `seen` was read.
   */
  wait(queueId: number, untilMs: number, signal: AbortSignal | undefined, seen: number): Promise<void> {
    if (this.closed || signal?.aborted || this.sequenceOf(queueId) !== seen) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.byQueue.get(queueId);
      if (!set) {
        set = new Set();
        this.byQueue.set(queueId, set);
      }
      const queueSet = set;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        queueSet.delete(done);
        if (queueSet.size === 0 && this.byQueue.get(queueId) === queueSet) this.byQueue.delete(queueId);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, untilMs - this.clock()));
      signal?.addEventListener('abort', done, { once: true });
      queueSet.add(done);
    });
  }

  notify(queueId: number): void {
    this.sequence.set(queueId, this.sequenceOf(queueId) + 1);
    const set = this.byQueue.get(queueId);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Releases every waiter (their receives return empty) and refuses new ones: the broker is stopping. */
  close(): void {
    this.closed = true;
    for (const set of this.byQueue.values()) for (const wake of [...set]) wake();
  }
}
