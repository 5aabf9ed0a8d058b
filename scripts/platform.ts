/**
 * Runs the whole platform as separate processes on free loopback ports with
 * its own data directory: what the end-to-end tests, the benchmark and the
 * chaos harness drive. Each service is the same entry point `npm start` runs,
 * configured only through the environment, and any of them can be killed and
 * restarted on the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { addressesOf, addressOf, catalogListener, catalogService } from '../discovery/catalog.ts';
import { spawnService, type ServiceProcess } from '../test/support/processes.ts';
import { availableServices, useCompileCache, type ServiceDefinition } from './services.ts';

export interface PlatformOptions {
  /** Services to run (default: all). The broker always runs first. */
  only?: string[];
  /** Extra environment for every service (e.g. DATABASE_URL for PostgreSQL, shorter saga timeouts). */
  env?: Record<string, string>;
  /** Extra environment per service name. */
  serviceEnv?: Record<string, Record<string, string>>;
  /** Keep the data directory on stop (for inspection). */
  keepData?: boolean;
  /**
   * Configure the services as on AWS (AWS_REGION, the endpoint override
   * AWS_ENDPOINT_URL, a credential chain, DNS discovery) with the embedded
   * broker standing in for SQS and EventBridge: the production code path.
   */
  brokerAsAws?: boolean;
}

export interface Platform {
  readonly dataDir: string;
  /** The environment every service got: ports, discovery URLs, data directory. */
  readonly env: Record<string, string>;
  /** http://127.0.0.1:<port> of an HTTP service, or host:port of the wallet. */
  url(service: string): string;
  running(service: string): boolean;
  /** The lines (stdout and stderr) a service wrote after it came up, across restarts. */
  logs(service: string): string[];
  /** Kills a service (SIGKILL by default) without restarting it. */
  kill(service: string, signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal and returns at once (SIGSTOP and SIGCONT: a service that hangs instead of dying). */
  signal(service: string, signal: NodeJS.Signals): void;
  /** Starts a stopped service again on the same port and data. */
  restart(service: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A free loopback port below Linux's ephemeral range (32768 and up). A port the
 * OS hands out for `listen(0)` comes from that range, and between our probe and
 * the service binding it, any outgoing connection may take it as its source
 * port; with many services connecting at start-up that happens. Ports chosen
 * at random below the range do not collide with outgoing connections.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    taken.add(port);
    return port;
  }
  throw new Error('no free port found between 20000 and 32000');
}

/** Ports this process already handed out: never hand one out twice. */
const taken = new Set<number>();

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  useCompileCache();
  const definitions = availableServices().filter((s) => !options.only || s.name === 'broker' || options.only.includes(s.name));
  const dataDir = mkdtempSync(path.join(tmpdir(), 'paymesh-platform-'));
  const ports = new Map<string, number>();
  const env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'info', GATEWAY_JWT_SECRET: 'platform-test-secret-of-at-least-32-bytes', ...options.env };
  // Each listener of each service on a free port, and its callers pointed at it (discovery/catalog.ts).
  for (const definition of definitions) {
    const [main, ...others] = catalogService(definition.name).listeners;
    const port = await freePort();
    ports.set(definition.name, port);
    Object.assign(env, addressesOf(main!, port));
    for (const listener of others) {
      const extra = await freePort();
      Object.assign(env, { [listener.portSetting]: String(extra) }, addressesOf(listener, extra));
    }
  }
  if (options.brokerAsAws) {
    // Discovery overrides (*_SERVICE_URL) still win over DNS names, so services find each other on loopback.
    Object.assign(env, { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: env.PAYMESH_BROKER_URL!, AWS_ACCESS_KEY_ID: 'platform-test', AWS_SECRET_ACCESS_KEY: 'platform-test', SERVICE_DISCOVERY: 'dns' });
    delete env.PAYMESH_BROKER_URL;
  }
  const processes = new Map<string, ServiceProcess>();

  const logs = new Map<string, string[]>();
  const launch = async (definition: ServiceDefinition) => {
    const serviceEnv = { ...env, ...definition.env, ...options.serviceEnv?.[definition.name], [catalogListener(definition.name).portSetting]: String(ports.get(definition.name)) };
    const child = await spawnService(definition.entry, serviceEnv, (line) => (typeof line.address === 'string' ? line.address : undefined), 60_000);
    processes.set(definition.name, child);
    // What it logs from now on, for tests that read logs (bounded: services may run long).
    const lines = logs.get(definition.name) ?? [];
    logs.set(definition.name, lines);
    for (const stream of [child.child.stdout!, child.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => lines.push(line) > 50_000 && lines.shift());
    }
  };
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const known = (name: string) => {
    const definition = byName.get(name);
    if (!definition) throw new Error(`service ${name} is not part of this platform`);
    return definition;
  };

  // Every launch settles (ready, or killed by spawnService) before a failure is reported, so none is left running.
  const broker = definitions.find((d) => d.name === 'broker');
  const settled: PromiseSettledResult<void>[] = broker ? await Promise.allSettled([launch(broker)]) : [];
  if (!settled.some((l) => l.status === 'rejected')) {
    settled.push(...(await Promise.allSettled(definitions.filter((d) => d.name !== 'broker').map(launch))));
  }
  const failure = settled.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failure) {
    await Promise.all([...processes.values()].map((p) => p.kill('SIGKILL')));
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
    throw failure.reason;
  }

  const running = (service: string) => {
    const child = processes.get(known(service).name)?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  };

  return {
    dataDir,
    env,
    url(service) {
      const port = ports.get(known(service).name);
      return addressOf(catalogListener(service), port!);
    },
    running,
    logs: (service) => [...(logs.get(known(service).name) ?? [])],
    async kill(service, signal = 'SIGKILL') {
      await processes.get(known(service).name)?.kill(signal);
    },
    signal(service, signal) {
      processes.get(known(service).name)?.child.kill(signal);
    },
    async restart(service) {
      if (running(service)) throw new Error(`${service} is still running`);
      await launch(known(service));
    },
    async stop() {
      // Front to back, so nothing is left calling a service that is already gone.
      for (const definition of [...definitions].reverse()) await processes.get(definition.name)?.kill('SIGTERM');
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
