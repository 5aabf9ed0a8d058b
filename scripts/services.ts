import { existsSync } from 'node:fs';
import path from 'node:path';

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

/** Every PayMesh service `npm start` runs, in start order. Services not built yet are skipped. */
const ALL: ServiceDefinition[] = [
  { name: 'broker', entry: 'services/broker/main.ts', describe: (a) => `SQS + EventBridge  http://${a}` },
  { name: 'schema-registry', entry: 'services/schema-registry/main.ts', describe: (a) => `Confluent-style schema registry  ${a}` },
  { name: 'wallet', entry: 'services/wallet/main.ts', describe: (a) => `gRPC WalletService  ${a}` },
  { name: 'user', entry: 'services/user/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'payment', entry: 'services/payment/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'payment-v2', entry: 'services/payment/main.ts', env: { PAYMENT_SERVICE_VERSION: 'v2' }, ownPort: { env: 'PAYMENT_PORT', from: 'PAYMENT_V2_PORT', fallback: 8012 }, describe: (a) => `REST (canary)  ${a}` },
  { name: 'transaction', entry: 'services/transaction/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'notification', entry: 'services/notification/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'audit', entry: 'services/audit/main.ts', describe: (a) => `REST (internal, /audit/verify)  ${a}` },
  { name: 'gateway', entry: 'services/gateway/main.ts', describe: (a) => `public API  ${a}/v1  (OpenAPI ${a}/openapi.json)` },
];

/** Port variables (as `npm start` reads them) and the discovery variables that point callers at that port. */
const DISCOVERY_BY_PORT: Record<string, (port: string) => Record<string, string>> = {
  BROKER_PORT: (p) => ({ PAYMESH_BROKER_URL: `http://127.0.0.1:${p}` }),
  SCHEMA_REGISTRY_PORT: (p) => ({ SCHEMA_REGISTRY_URL: `http://127.0.0.1:${p}` }),
  WALLET_GRPC_PORT: (p) => ({ WALLET_SERVICE_ADDRESS: `127.0.0.1:${p}` }),
  WALLET_GRAPHQL_PORT: (p) => ({ WALLET_GRAPHQL_URL: `http://127.0.0.1:${p}` }),
  USER_PORT: (p) => ({ USER_SERVICE_URL: `http://127.0.0.1:${p}`, ACCOUNT_SERVICE_URL: `http://127.0.0.1:${p}` }),
  PAYMENT_PORT: (p) => ({ PAYMENT_SERVICE_URL: `http://127.0.0.1:${p}` }),
  PAYMENT_V2_PORT: (p) => ({ PAYMENT_SERVICE_V2_URL: `http://127.0.0.1:${p}` }),
  TRANSACTION_PORT: (p) => ({ TRANSACTION_SERVICE_URL: `http://127.0.0.1:${p}` }),
  NOTIFICATION_PORT: (p) => ({ NOTIFICATION_SERVICE_URL: `http://127.0.0.1:${p}` }),
  AUDIT_PORT: (p) => ({ AUDIT_SERVICE_URL: `http://127.0.0.1:${p}` }),
  GATEWAY_PORT: (p) => ({ GATEWAY_URL: `http://127.0.0.1:${p}` }),
  GATEWAY_TRACES_PORT: (p) => ({ PAYMESH_TRACES_URL: `http://127.0.0.1:${p}/v1/traces` }),
};

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
