import { CATALOG, DISCOVERY_NAMESPACE } from './catalog.ts';

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

/** Every name of discovery/catalog.ts that callers on one machine can be pointed at, with its ports. */
const KNOWN: KnownService[] = CATALOG.flatMap((service) =>
  service.listeners.flatMap((listener) =>
    listener.names.flatMap(({ name, addressSetting }) =>
      name && addressSetting && listener.awsPort !== undefined
        ? [{ name: `${name}.${DISCOVERY_NAMESPACE}`, dnsPort: listener.awsPort, localPort: listener.localPort, protocol: listener.protocol, env: addressSetting }]
        : [],
    ),
  ),
);

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
