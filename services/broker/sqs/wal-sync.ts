import { open, type FileHandle } from 'node:fs/promises';

/**
 * Durability for SQLite commits without blocking the event loop. The store
 * commits its group transactions with synchronous=NORMAL (the WAL is written
 * but not fsynced, which would stall every request for the length of the
 * fsync), then acknowledges them only after this fdatasync of the WAL file,
 * which runs on libuv's thread pool. The guarantee is synchronous=FULL's (an
 * acknowledged commit is on disk), while the next group already runs: commits
 * that arrive during one fsync share the next one.
 */
export class WalSync {
  private readonly walPath: string;
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private waiting: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  constructor(databaseFile: string) {
    this.walPath = `${databaseFile}-wal`;
  }

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.running ??= this.loop();
    });
  }

  async close(): Promise<void> {
    await this.running;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async loop(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      try {
        // SQLite keeps its WAL file (same inode) while the database is open, so one handle serves.
        this.handle ??= await open(this.walPath, 'r+');
        await this.handle.datasync();
        for (const w of batch) w.resolve();
      } catch (err) {
        await this.handle?.close().catch(() => {});
        this.handle = undefined;
        for (const w of batch) w.reject(err);
      }
    }
    this.running = undefined;
  }
}
