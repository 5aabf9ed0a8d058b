import { open, type FileHandle } from 'node:fs/promises';

/**
 * Durability for SQLite commits without blocking the event loop. A database
 * on a file commits with synchronous=NORMAL (the WAL is written but not
 * fsynced: an fsync inside COMMIT would stall every request of the process,
 * and hold the file's write lock, for the length of the fsync), and a commit
 * that must be durable is answered only after this fdatasync of the WAL file,
 * which runs on libuv's thread pool. The guarantee is synchronous=FULL's (an
 * acknowledged commit is on disk: the WAL is written in order and recovered
 * up to its first incomplete frame), while the next transaction already runs:
 * commits made during one fdatasync share the next one.
 *
 * Hand-written because no SQLite binding for Node offers it: better-sqlite3
 * and node:sqlite only fsync inside COMMIT, on the calling thread.
 */
export class WalSync {
  private readonly walPath: string;
  private handle: FileHandle | undefined;
  /** Commits counted so far, and how many of them are known to be on disk. */
  private committedCount = 0;
  private durableCount = 0;
  /** The fdatasync running now, and the commits it covers. */
  private current: { covers: number; done: Promise<void> } | undefined;
  /** Callers waiting for a round that has not started yet. */
  private next: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(databaseFile: string) {
    this.walPath = `${databaseFile}-wal`;
  }

  /** Counts a commit whose effects must reach the disk before anything depends on them. */
  committed(): void {
    this.committedCount++;
  }

  /** Whether a counted commit is not known to be on disk yet. */
  get behind(): boolean {
    return this.durableCount < this.committedCount;
  }

  /**
   * Resolves once every commit counted so far is on disk; undefined when they
   * already are (no promise on the common path of a read after a sync).
   */
  durable(): Promise<void> | undefined {
    const target = this.committedCount;
    if (this.durableCount >= target) return undefined;
    if (this.current && this.current.covers >= target) return this.current.done;
    return new Promise<void>((resolve, reject) => {
      this.next.push({ resolve, reject });
      if (!this.current) this.startRound();
    });
  }

  /** Counts a commit and resolves once it is on disk. */
  sync(): Promise<void> {
    this.committed();
    return this.durable()!;
  }

  async close(): Promise<void> {
    while (this.current) await this.current.done.catch(() => {});
    await this.handle?.close();
    this.handle = undefined;
  }

  private startRound(): void {
    const waiters = this.next;
    this.next = [];
    const covers = this.committedCount;
    const done = this.fdatasync().then(() => {
      this.durableCount = Math.max(this.durableCount, covers);
    });
    this.current = { covers, done };
    done.then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err);
      },
    ).finally(() => {
      this.current = undefined;
      if (this.next.length > 0) this.startRound();
    });
  }

  /** One fdatasync of the WAL (protected: a test holds it to see who waits for it). */
  protected async fdatasync(): Promise<void> {
    try {
      // SQLite keeps its WAL file (same inode) while the database is open, so one handle serves.
      this.handle ??= await open(this.walPath, 'r+');
      await this.handle.datasync();
    } catch (err) {
      await this.handle?.close().catch(() => {});
      this.handle = undefined;
      throw err;
    }
  }
}
