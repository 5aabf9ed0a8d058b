/**
 * `npm start`: runs every PayMesh service as its own process with embedded
 * defaults, prefixes their logs, restarts a crashed service with backoff,
 * prints the endpoint table once all are up, and stops them all on Ctrl-C.
 * `npm start -- user wallet` (or `npm run service -- wallet`) runs only those.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { availableServices, discoveryFromPorts, useCompileCache, type ServiceDefinition } from './services.ts';

useCompileCache();

const only = process.argv.slice(2);
const services = availableServices().filter((s) => only.length === 0 || only.includes(s.name));
if (services.length === 0) {
  console.error(`no such service: ${only.join(', ')}; known: ${availableServices().map((s) => s.name).join(', ')}`);
  process.exit(2);
}

const sharedEnv = { ...process.env, ...discoveryFromPorts(process.env) };
const width = Math.max(...services.map((s) => s.name.length));
const children = new Map<string, ChildProcess>();
const endpoints = new Map<string, string>();
let shuttingDown = false;
let tablePrinted = false;

function printTable() {
  if (tablePrinted || endpoints.size < services.length) return;
  tablePrinted = true;
  const rows = services.map((s) => `  ${s.name.padEnd(width)}  ${endpoints.get(s.name)}  (pid ${children.get(s.name)?.pid})`);
  console.log(`\nPayMesh is up:\n${rows.join('\n')}\n\nPress Ctrl-C to stop.\n`);
}

/** /readyz of a service that logged `address` (the wallet's HTTP listener is its `graphql` address; the broker logs host:port). */
function readyzUrl(address: string, graphql: unknown): string {
  return `${typeof graphql === 'string' ? graphql : address.startsWith('http') ? address : `http://${address}`}/readyz`;
}

/** Polls /readyz until it answers 200; false once the process has exited. */
async function untilReady(url: string, child: ChildProcess): Promise<boolean> {
  while (child.exitCode === null && child.signalCode === null && !shuttingDown) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.ok) return true;
    } catch {
      // not answering yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

function run(service: ServiceDefinition, attempt = 0) {
  const startedAt = Date.now();
  const ownPort = service.ownPort ? { [service.ownPort.env]: process.env[service.ownPort.from] || String(service.ownPort.fallback) } : {};
  const child = spawn(process.execPath, [service.entry], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...sharedEnv, ...service.env, ...ownPort } });
  children.set(service.name, child);
  const prefix = `${service.name.padEnd(width)} |`;
  let listening = false;
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      console.log(`${prefix} ${line}`);
      if (listening) return;
      try {
        const parsed = JSON.parse(line) as { address?: unknown; graphql?: unknown };
        if (typeof parsed.address === 'string') {
          listening = true;
          const address = parsed.address;
          // Listed once ready (its /readyz answers 200), not merely listening.
          void untilReady(readyzUrl(address, parsed.graphql), child).then((ready) => {
            if (!ready) return;
            const restarted = endpoints.has(service.name);
            endpoints.set(service.name, service.describe(address));
            if (restarted) console.log(`${prefix} restarted: ${endpoints.get(service.name)}  (pid ${child.pid})`);
            printTable();
          });
        }
      } catch {
        // plain text line
      }
    });
  }
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (shuttingDown) return;
    // A service that ran a while before crashing gets a fresh backoff.
    const next = Date.now() - startedAt > 30_000 ? 0 : attempt + 1;
    const delay = Math.min(30_000, 250 * 2 ** next);
    console.log(`${prefix} exited (${signal ?? code}); restarting in ${delay} ms`);
    setTimeout(() => !shuttingDown && run(service, next), delay);
  });
}

async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log(`\n${signal}: stopping ${children.size} service(s)...`);
  const exits = [...children.values()].map(
    (child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  );
  await Promise.all(exits);
  process.exit(0);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
for (const service of services) run(service);
