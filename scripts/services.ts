import { existsSync } from 'node:fs';
import path from 'node:path';

export interface ServiceDefinition {
  name: string;
  entry: string;
  /** What the endpoint table shows once the service logs its address. */
  describe: (address: string) => string;
}

const root = path.resolve(import.meta.dirname, '..');

/** Every PayMesh service `npm start` runs, in start order. Services not built yet are skipped. */
const ALL: ServiceDefinition[] = [
  { name: 'broker', entry: 'services/broker/main.ts', describe: (a) => `SQS + EventBridge  http://${a}` },
  { name: 'wallet', entry: 'services/wallet/main.ts', describe: (a) => `gRPC WalletService  ${a}` },
];

export function availableServices(): ServiceDefinition[] {
  return ALL.filter((s) => existsSync(path.join(root, s.entry))).map((s) => ({ ...s, entry: path.join(root, s.entry) }));
}
