import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The first log line for which `ready` returned a value. */
  readonly ready: unknown;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs a service entry point as its own Node process and waits until one of
 * its JSON log lines satisfies `ready` (e.g. carries its bound address).
 */
export async function spawnService<T>(
  entry: string,
  env: Record<string, string>,
  ready: (line: Record<string, unknown>) => T | undefined,
  timeoutMs = 20_000,
): Promise<ServiceProcess & { ready: T }> {
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The tail of stderr, for the error when the service does not come up (bounded: services may run for long).
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk) => {
    stderr.push(String(chunk));
    if (stderr.length > 50) stderr.shift();
  });
  const lines = createInterface({ input: child.stdout! });
  const value = await new Promise<T>((resolve, reject) => {
    // A service that never comes up is killed: nothing outlives the caller that gave up on it.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} not ready in ${timeoutMs} ms: ${stderr.join('')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready: ${stderr.join('')}`));
    });
    lines.on('line', (text) => {
      try {
        const found = ready(JSON.parse(text));
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      } catch {
        // not a JSON log line
      }
    });
  });
  return {
    child,
    ready: value,
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      // A service that does not stop on SIGTERM within 10 s is killed.
      const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(force);
    },
  };
}
