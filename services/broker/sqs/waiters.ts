/**
 * Long polls waiting on a queue. A receive that found nothing parks here
 * until a message may have become available on its queue (a send, a move, a
 * visibility change to 0, a FIFO group unblocked: the engine calls `notify`
 * after commit), until the next message's visibility timeout or delay ends,
 * or until its WaitTimeSeconds is over. No polling loop: a send wakes the
 * waiters of its queue in the same process, at once.
 */
export class Waiters {
  private readonly byQueue = new Map<number, Set<() => void>>();
  private closed = false;
  private readonly clock: () => number;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
  }

  /** Resolves on notify, at `untilMs`, or when `signal` aborts, whichever comes first. */
  wait(queueId: number, untilMs: number, signal?: AbortSignal): Promise<void> {
    if (this.closed || signal?.aborted) return Promise.resolve();
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
