import { existsSync } from 'node:fs';
import path from 'node:path';
import { addressesOf, CATALOG } from '../discovery/catalog.ts';

export interface ServiceDefinition {
  name: string;
  entry: string;
  env?: Record<string, string>;
  /**
   * A second instance of a service reads its port from the same variable as the
   * first (PAYMENT_PORT); `npm start` gives it its own instead: `from` when set, else `fallback`.
   */
  ownPort?: { env: string; from: string; fallback: number };
  /** What the endpoint table shows once the service logs its address. */
  describe: (address: string) => string;
}

const root = path.resolve(import.meta.dirname, '..');

/** Every PayMesh service `npm start` runs, in start order (discovery/catalog.ts). Services not built yet are skipped. */
const ALL: ServiceDefinition[] = CATALOG.map((service) => {
  const main = service.listeners[0]!;
  return {
    name: service.name,
    entry: service.entry,
    env: service.env,
    ownPort: service.ownPortSetting ? { env: main.portSetting, from: service.ownPortSetting, fallback: main.localPort } : undefined,
    describe: (address) => service.describe.replaceAll('{address}', address),
  };
});

/**
 * Port settings (as `npm start` reads them: a second instance's own) and the address settings that point
 * callers at that port.
 */
const DISCOVERY_BY_PORT: Record<string, (port: string) => Record<string, string>> = Object.fromEntries(
  CATALOG.flatMap((service) =>
    service.listeners.map((listener, i) => [i === 0 && service.ownPortSetting ? service.ownPortSetting : listener.portSetting, (port: string) => addressesOf(listener, port)]),
  ),
);

/**
 * On one machine, moving a service to another port (USER_PORT=9001) should
 * not also need its callers told (USER_SERVICE_URL): the discovery variables
 * follow the ports unless set explicitly. Port 0 (any free port) cannot be
 * followed and is left alone.
 */
export function discoveryFromPorts(env: NodeJS.ProcessEnv): Record<string, string> {
  const derived: Record<string, string> = {};
  for (const [portEnv, discovery] of Object.entries(DISCOVERY_BY_PORT)) {
    const port = env[portEnv];
    if (!port || port === '0') continue;
    for (const [name, value] of Object.entries(discovery(port))) if (!env[name]) derived[name] = value;
  }
  // The broker URL is only implied when no AWS endpoint is chosen.
  if (env.AWS_ENDPOINT_URL) delete derived.PAYMESH_BROKER_URL;
  return derived;
}

export function availableServices(): ServiceDefinition[] {
  return ALL.filter((s) => existsSync(path.join(root, s.entry))).map((s) => ({ ...s, entry: path.join(root, s.entry) }));
}

/**
 * Node's on-disk compile cache for every process the scripts start: each
 * service loads a few hundred modules (TypeScript stripped on the fly, the AWS
 * SDK, Apollo), and reusing their compiled code halves start-up.
 */
export function useCompileCache(env: NodeJS.ProcessEnv = process.env): void {
  env.NODE_COMPILE_CACHE ??= path.join(root, 'node_modules', '.cache', 'node-compile');
}
