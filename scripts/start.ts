/**
 * `npm start`: runs every PayMesh service as its own process with embedded
 * defaults, prefixes their logs, restarts a crashed service with backoff,
 * prints the endpoint table once all are up, and stops them all on Ctrl-C.
 * `npm start -- user wallet` (or `npm run service -- wallet`) runs only those.
 * On the first start of an installation it makes the first operator and
 * prints its password in the table, that once (the user service keeps only
 * its hash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { backoffMs } from '../core/backoff.ts';
import { HEALTH_PATHS } from '../discovery/catalog.ts';
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
/** What each service logged as its address, as a URL (for the user service and the gateway). */
const addresses = new Map<string, string>();
let shuttingDown = false;
let tablePrinted = false;

const FIRST_OPERATOR_EMAIL = 'operator@paymesh.local';

/**
 * The first operator, made only when the user service has none: on a new
 * installation with embedded defaults (the embedded broker, not AWS, where
 * operators come from a deployment job or `paymesh operator create`).
 * Returns the lines to print, or none.
 */
async function bootstrapOperator(): Promise<string[]> {
  const userUrl = addresses.get('user');
  if (!userUrl || sharedEnv.PAYMESH_BOOTSTRAP_OPERATOR === 'off') return [];
  const { messagingConfigFromEnv } = await import('../messaging/aws.ts');
  if (!messagingConfigFromEnv(sharedEnv).embedded || sharedEnv.SERVICE_DISCOVERY === 'dns') return [];
  const password = randomBytes(18).toString('base64url');
  try {
    const response = await fetch(`${userUrl}/admin/operators/bootstrap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: FIRST_OPERATOR_EMAIL, password, first_name: 'First', last_name: 'Operator' }),
      signal: AbortSignal.timeout(30_000),
    });
    if (response.status === 200) return [];
    if (response.status !== 201) return [`  (no first operator made: the user service answered ${response.status} ${(await response.text()).slice(0, 200)})`];
  } catch (err) {
    return [`  (no first operator made: ${(err as Error).message})`];
  }
  return [
    '  First operator (the password is shown this once; only its hash is kept):',
    `    email     ${FIRST_OPERATOR_EMAIL}`,
    `    password  ${password}`,
  ];
}

async function printTable() {
  if (tablePrinted || endpoints.size < services.length) return;
  tablePrinted = true;
  const rows = services.map((s) => `  ${s.name.padEnd(width)}  ${endpoints.get(s.name)}  (pid ${children.get(s.name)?.pid})`);
  const gateway = addresses.get('gateway');
  const web = gateway ? ['', `  web app  ${gateway}/`, `  console  ${gateway}/console  (operators; sign in at ${gateway}/console/sign-in, or the CLI: paymesh login)`] : [];
  const operator = await bootstrapOperator();
  console.log(`\nPayMesh is up:\n${[...rows, ...web, ...(operator.length > 0 ? ['', ...operator] : [])].join('\n')}\n\nPress Ctrl-C to stop.\n`);
}

/** /readyz of a service that logged `address` (the wallet's HTTP listener is its `graphql` address; the broker logs host:port). */
function readyzUrl(address: string, graphql: unknown): string {
  return `${typeof graphql === 'string' ? graphql : address.startsWith('http') ? address : `http://${address}`}${HEALTH_PATHS.ready}`;
}

/** How long a service started on its own may stay unready before the table lists it anyway, with the reason. */
const PATIENCE_ALONE_MS = 5000;

/**
 * Polls /readyz until it answers 200; false once the process has exited.
 * `onWaiting` hears once, after `patienceMs`, what the service is waiting for
 * (a gateway started alone is never ready: its dependencies are not running).
 */
async function untilReady(url: string, child: ChildProcess, onWaiting?: (reason: string) => void, patienceMs = PATIENCE_ALONE_MS): Promise<boolean> {
  const since = Date.now();
  let told = false;
  while (child.exitCode === null && child.signalCode === null && !shuttingDown) {
    let reason = 'its /readyz does not answer';
    try {
      // A readiness check waits for its own dependency checks (seconds when one is down).
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      if (response.ok) {
        await response.body?.cancel();
        return true;
      }
      reason = notReadyReason(await response.text());
    } catch {
      // not answering yet
    }
    if (onWaiting && !told && Date.now() - since >= patienceMs) {
      told = true;
      onWaiting(reason);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

/** A /readyz body's failing checks, named: `waiting for user-service, wallet-service`. */
function notReadyReason(body: string): string {
  try {
    const report = JSON.parse(body) as { detail?: string; checks?: Record<string, { status: string; required: boolean }> };
    const failing = Object.entries(report.checks ?? {}).filter(([, check]) => check.status !== 'ok' && check.required).map(([name]) => name);
    if (failing.length > 0) return `waiting for ${failing.join(', ')}`;
    return report.detail ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
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
          addresses.set(service.name, address.startsWith('http') ? address : `http://${address}`);
          // Listed once ready (its /readyz answers 200), not merely listening. Started on their own (`npm start -- gateway`),
          // services whose dependencies are not running are listed after a while all the same, saying what they wait for.
          const waiting = only.length > 0 && !endpoints.has(service.name)
            ? (reason: string) => {
                endpoints.set(service.name, `${service.describe(address)}  [not ready: ${reason}]`);
                void printTable();
              }
            : undefined;
          void untilReady(readyzUrl(address, parsed.graphql), child, waiting).then((ready) => {
            if (!ready) return;
            const before = endpoints.get(service.name);
            endpoints.set(service.name, service.describe(address));
            if (before?.includes('[not ready:')) console.log(`${prefix} ready: ${endpoints.get(service.name)}`);
            else if (before) console.log(`${prefix} restarted: ${endpoints.get(service.name)}  (pid ${child.pid})`);
            void printTable();
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
    const delay = backoffMs(next, { baseMs: 250, maxMs: 30_000 });
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
