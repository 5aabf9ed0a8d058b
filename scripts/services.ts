import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ServiceDefinition {
  name: string;
  entry: string;
  env?: Record<string, string>;
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
  { name: 'payment-v2', entry: 'services/payment/main.ts', env: { PAYMENT_VERSION: 'v2' }, describe: (a) => `REST (canary)  ${a}` },
  { name: 'transaction', entry: 'services/transaction/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'notification', entry: 'services/notification/main.ts', describe: (a) => `REST (internal)  ${a}` },
  { name: 'audit', entry: 'services/audit/main.ts', describe: (a) => `REST (internal, /audit/verify)  ${a}` },
  { name: 'gateway', entry: 'services/gateway/main.ts', describe: (a) => `public API  ${a}/v1  (OpenAPI ${a}/openapi.json)` },
];

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
