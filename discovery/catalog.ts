/**
 * Every PayMesh service in one place: what `npm start` runs and in which
 * order, the ports each one listens on (on one machine and on AWS), the
 * settings it reads them from, the seed's names it is found by in
 * paypal.local, the settings that point its callers at it, and where it says
 * it is alive and ready. The resolver, the services' default ports, the
 * supervisor (scripts/services.ts), the test platform (scripts/platform.ts),
 * the container's health check and the CDK app (infra/catalog.ts, which adds
 * what each service may do on AWS) all read it. Pure data: it imports nothing.
 */

export const DISCOVERY_NAMESPACE = 'paypal.local';

/** Where every HTTP listener says it is alive and ready; a gRPC listener answers the gRPC health service instead. */
export const HEALTH_PATHS = { alive: '/healthz', ready: '/readyz' } as const;

/** One way callers find a listener. */
export interface CatalogName {
  /** The seed's name in paypal.local, without the domain (user-service); absent: found by its setting only. */
  name?: string;
  /** The setting that gives callers its address on one machine (USER_SERVICE_URL); absent: the name is AWS's only. */
  addressSetting?: string;
  /**
   * Who answers the name on AWS: Cloud Map, where this listener's task registers it (the default), or the
   * weighted routing in front of several services (contracts/routing: payment-service is v1 and v2).
   */
  onAws?: 'registered' | 'routed';
}

export interface CatalogListener {
  /** The port's name in the task definition. */
  name: 'http' | 'grpc' | 'graphql' | 'traces';
  protocol: 'http' | 'grpc';
  /** The settings the service reads its bind address (absent: loopback only) and its port from. */
  hostSetting?: string;
  portSetting: string;
  /** Its port on one machine: the service's default, and `npm start`'s. */
  localPort: number;
  /** Its port on AWS; absent: the listener is not there (the trace collector: on AWS, spans go to X-Ray). */
  awsPort?: number;
  names: CatalogName[];
  /** What callers append to its address (the trace collector's OTLP path). */
  path?: string;
}

export interface CatalogService {
  /** Its name for `npm start -- <name>`, in metrics and logs, and as the image's SERVICE. */
  name: string;
  /** The process to run, from the repository's root. */
  entry: string;
  /** Settings that make this instance what it is (the payment canary's version). */
  env?: Record<string, string>;
  /**
   * A second instance of a service reads its port from the first one's setting (PAYMENT_PORT); on one machine
   * it takes its own from this setting instead (PAYMENT_V2_PORT), or its listener's localPort.
   */
  ownPortSetting?: string;
  /** What the endpoint table of `npm start` says it is, with `{address}` where its address goes. */
  describe: string;
  /** Its listeners; the first is the main one: health-checked, and the one `npm start` waits on. */
  listeners: CatalogListener[];
  /** Set when it does not run on AWS: why. */
  notOnAws?: string;
}

const http = (prefix: string, localPort: number, names: CatalogName[], awsPort: number | undefined = 8000): CatalogListener => ({
  name: 'http',
  protocol: 'http',
  hostSetting: `${prefix}_HOST`,
  portSetting: `${prefix}_PORT`,
  localPort,
  awsPort,
  names,
});

/** In start order: the broker first, the gateway, which calls the others, last. */
export const CATALOG: readonly CatalogService[] = [
  {
    name: 'broker',
    entry: 'services/broker/main.ts',
    describe: 'SQS + EventBridge  http://{address}',
    listeners: [http('BROKER', 9324, [{ addressSetting: 'PAYMESH_BROKER_URL' }], undefined)],
    notOnAws: 'the embedded broker stands in for SQS and EventBridge on one machine; on AWS the real services replace it',
  },
  {
    name: 'schema-registry',
    entry: 'services/schema-registry/main.ts',
    describe: 'Confluent-style schema registry  {address}',
    listeners: [http('SCHEMA_REGISTRY', 8006, [{ name: 'schema-registry', addressSetting: 'SCHEMA_REGISTRY_URL' }], 8081)],
  },
  {
    name: 'wallet',
    entry: 'services/wallet/main.ts',
    describe: 'gRPC WalletService  {address}',
    listeners: [
      { name: 'grpc', protocol: 'grpc', hostSetting: 'WALLET_GRPC_HOST', portSetting: 'WALLET_GRPC_PORT', localPort: 50051, awsPort: 50051, names: [{ name: 'wallet-service', addressSetting: 'WALLET_SERVICE_ADDRESS' }] },
      // The wallet's GraphQL subgraph: an HTTP listener of the wallet service, beside its gRPC port.
      { name: 'graphql', protocol: 'http', hostSetting: 'WALLET_GRAPHQL_HOST', portSetting: 'WALLET_GRAPHQL_PORT', localPort: 8007, awsPort: 8007, names: [{ name: 'wallet-graphql', addressSetting: 'WALLET_GRAPHQL_URL' }] },
    ],
  },
  {
    name: 'user',
    entry: 'services/user/main.ts',
    describe: 'REST (internal)  {address}',
    listeners: [
      http('USER', 8001, [
        { name: 'user-service', addressSetting: 'USER_SERVICE_URL' },
        // The seed validates payment methods with an "account service"; in PayMesh the user service owns them.
        { name: 'account-service', addressSetting: 'ACCOUNT_SERVICE_URL' },
      ]),
    ],
  },
  {
    name: 'payment',
    entry: 'services/payment/main.ts',
    describe: 'REST (internal)  {address}',
    listeners: [
      http('PAYMENT', 8002, [
        // On AWS the seed's name is the weighted route to both versions; each version registers its own.
        { name: 'payment-service', addressSetting: 'PAYMENT_SERVICE_URL', onAws: 'routed' },
        { name: 'payment-service-v1' },
      ]),
    ],
  },
  {
    name: 'payment-v2',
    entry: 'services/payment/main.ts',
    env: { PAYMENT_SERVICE_VERSION: 'v2' },
    ownPortSetting: 'PAYMENT_V2_PORT',
    describe: 'REST (canary)  {address}',
    listeners: [http('PAYMENT', 8012, [{ name: 'payment-service-v2', addressSetting: 'PAYMENT_SERVICE_V2_URL' }])],
  },
  {
    name: 'transaction',
    entry: 'services/transaction/main.ts',
    describe: 'REST (internal)  {address}',
    listeners: [http('TRANSACTION', 8003, [{ name: 'transaction-service', addressSetting: 'TRANSACTION_SERVICE_URL' }])],
  },
  {
    name: 'notification',
    entry: 'services/notification/main.ts',
    describe: 'REST (internal)  {address}',
    listeners: [http('NOTIFICATION', 8004, [{ name: 'notification-service', addressSetting: 'NOTIFICATION_SERVICE_URL' }])],
  },
  {
    name: 'audit',
    entry: 'services/audit/main.ts',
    describe: 'REST (internal, /audit/verify)  {address}',
    listeners: [http('AUDIT', 8005, [{ name: 'audit-service', addressSetting: 'AUDIT_SERVICE_URL' }])],
  },
  {
    name: 'gateway',
    entry: 'services/gateway/main.ts',
    describe: 'public API  {address}/v1  (OpenAPI {address}/openapi.json)',
    listeners: [
      http('GATEWAY', 8080, [{ addressSetting: 'GATEWAY_URL' }], 8080),
      // The gateway's trace collector (a worker thread) receives every service's spans here, on OTLP's port.
      {
        name: 'traces',
        protocol: 'http',
        portSetting: 'GATEWAY_TRACES_PORT',
        localPort: 4318,
        names: [{ addressSetting: 'PAYMESH_TRACES_URL' }],
        path: '/v1/traces',
      },
    ],
  },
];

export function catalogService(name: string): CatalogService {
  const service = CATALOG.find((s) => s.name === name);
  if (!service) throw new Error(`unknown service '${name}'; known: ${CATALOG.map((s) => s.name).join(', ')}`);
  return service;
}

/** A listener of a service (its main one by default). */
export function catalogListener(service: string, listener?: CatalogListener['name']): CatalogListener {
  const listeners = catalogService(service).listeners;
  const found = listener ? listeners.find((l) => l.name === listener) : listeners[0];
  if (!found) throw new Error(`service '${service}' has no ${listener} listener`);
  return found;
}

/** Where callers reach a listener on `host:port`: a URL for HTTP (with the listener's path), host:port for gRPC. */
export function addressOf(listener: CatalogListener, port: number | string, host = '127.0.0.1'): string {
  return listener.protocol === 'http' ? `http://${host}:${port}${listener.path ?? ''}` : `${host}:${port}`;
}

/** The address settings that point callers at a listener on `host:port` (addressOf). */
export function addressesOf(listener: CatalogListener, port: number | string, host = '127.0.0.1'): Record<string, string> {
  const address = addressOf(listener, port, host);
  const settings: Record<string, string> = {};
  for (const { addressSetting } of listener.names) if (addressSetting) settings[addressSetting] = address;
  return settings;
}
