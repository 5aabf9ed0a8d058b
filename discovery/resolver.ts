/**
 * Services find each other by the seed's names (`user-service.paypal.local`, ...).
 * On one machine a static map turns a name into a loopback address; in
 * production (SERVICE_DISCOVERY=dns) the name is used as is and AWS Cloud Map
 * DNS answers it. Either way callers ask for a name, never an address.
 */
export interface ServiceEndpoint {
  /** e.g. http://127.0.0.1:8001 for HTTP services, 127.0.0.1:50051 for gRPC. */
  address: string;
}

interface KnownService {
  name: string;
  /** Port in production (Cloud Map) and default port on one machine. */
  dnsPort: number;
  localPort: number;
  protocol: 'http' | 'grpc';
  /** Environment variable that overrides the address, e.g. USER_SERVICE_URL. */
  env: string;
}

const KNOWN: KnownService[] = [
  { name: 'user-service.paypal.local', dnsPort: 8000, localPort: 8001, protocol: 'http', env: 'USER_SERVICE_URL' },
  // The seed validates payment methods with an "account service"; in PayMesh the user service owns them.
  { name: 'account-service.paypal.local', dnsPort: 8000, localPort: 8001, protocol: 'http', env: 'ACCOUNT_SERVICE_URL' },
  { name: 'payment-service.paypal.local', dnsPort: 8000, localPort: 8002, protocol: 'http', env: 'PAYMENT_SERVICE_URL' },
  { name: 'payment-service-v2.paypal.local', dnsPort: 8000, localPort: 8012, protocol: 'http', env: 'PAYMENT_SERVICE_V2_URL' },
  { name: 'transaction-service.paypal.local', dnsPort: 8000, localPort: 8003, protocol: 'http', env: 'TRANSACTION_SERVICE_URL' },
  { name: 'notification-service.paypal.local', dnsPort: 8000, localPort: 8004, protocol: 'http', env: 'NOTIFICATION_SERVICE_URL' },
  { name: 'audit-service.paypal.local', dnsPort: 8000, localPort: 8005, protocol: 'http', env: 'AUDIT_SERVICE_URL' },
  { name: 'schema-registry.paypal.local', dnsPort: 8081, localPort: 8006, protocol: 'http', env: 'SCHEMA_REGISTRY_URL' },
  { name: 'wallet-service.paypal.local', dnsPort: 50051, localPort: 50051, protocol: 'grpc', env: 'WALLET_SERVICE_ADDRESS' },
  // The wallet's GraphQL subgraph: an HTTP listener of the wallet service, beside its gRPC port.
  { name: 'wallet-graphql.paypal.local', dnsPort: 8007, localPort: 8007, protocol: 'http', env: 'WALLET_GRAPHQL_URL' },
];

export class ServiceResolver {
  private readonly env: NodeJS.ProcessEnv;
  private readonly mode: 'static' | 'dns';

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.env = env;
    const mode = env.SERVICE_DISCOVERY ?? 'static';
    if (mode !== 'static' && mode !== 'dns') throw new Error(`SERVICE_DISCOVERY must be 'static' or 'dns', got '${mode}'`);
    this.mode = mode;
  }

  resolve(name: string): ServiceEndpoint {
    const service = KNOWN.find((s) => s.name === name);
    if (!service) throw new Error(`unknown service name '${name}'; known: ${KNOWN.map((s) => s.name).join(', ')}`);
    const override = this.env[service.env];
    if (override) return { address: override.replace(/\/$/, '') };
    const host = this.mode === 'dns' ? service.name : '127.0.0.1';
    const port = this.mode === 'dns' ? service.dnsPort : service.localPort;
    return { address: service.protocol === 'http' ? `http://${host}:${port}` : `${host}:${port}` };
  }
}
