import type { Logger } from 'pino';

/**
 * How every service's main.ts stops: on the first SIGINT or SIGTERM it runs
 * the given steps in order (stop serving and consuming, close the database,
 * flush traces), then exits 0, or 1 when a step failed. A second signal while
 * stopping is ignored; the supervisor escalates to SIGKILL if this hangs.
 */
export function stopOnSignals(log: Logger, steps: Array<() => unknown>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      void (async () => {
        try {
          for (const step of steps) await step();
          process.exit(0);
        } catch (err) {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        }
      })();
    });
  }
}
