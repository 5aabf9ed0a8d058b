/**
 * What each PayMesh service is on AWS: its listeners and the names it is
 * registered under (from discovery/catalog.ts, the one list of services, their
 * ports and names), the queues it consumes and sends to, the events it puts on
 * the bus, which services it calls, and the fixed production settings it gets.
 *
 * Pure data with no aws-cdk-lib import: the container's launcher and health
 * check read it too, and the image carries production dependencies only.
 * infra/test/catalog.test.ts checks every entry against the service's code
 * (queue names, EventBridge use, resolver names, settings it reads), so this
 * cannot quietly drift from it.
 */
import { SOURCES, TRANSACTION_EVENTS, USER_EVENTS } from '../contracts/events.ts';
import { CATALOG, catalogService, DISCOVERY_NAMESPACE, type CatalogListener } from '../discovery/catalog.ts';

/** One port a service listens on, and the names it is found by there. */
export interface Listener {
  /** The port's name in the task definition: http, grpc, graphql. */
  name: string;
  protocol: 'http' | 'grpc';
  /** The port in AWS, as discovery/resolver.ts gives it (dnsPort). */
  port: number;
  /** Settings naming its bind address and port. */
  hostSetting: string;
  portSetting: string;
  /** Names in paypal.local (without the domain). */
  discoveryNames: string[];
}

export interface ServiceSpec {
  /** The name in scripts/services.ts (and the image's SERVICE). */
  name: string;
  /** Where its code lives, for the drift checks. */
  folder: string;
  /**
   * Its listeners; the first is the main one: health-checked, registered in
   * Cloud Map under its first name (every other name is a CNAME of that one),
   * and what the load balancer or VPC Lattice forward to.
   */
  listeners: Listener[];
  /** The App Mesh virtual node it is in contracts/routing/payment-service.json: reached through VPC Lattice. */
  routingNode?: string;
  /** Behind the public load balancer. */
  public?: boolean;
  /** Its `service` label in metrics (both payment versions report as `payment`). */
  metricsService: string;
  /** Its `version` label in metrics (PAYMENT_SERVICE_VERSION): the payment versions' alarms are per version. */
  metricsVersion?: string;
  /** Queues it receives from and deletes (consumers and DLQ handlers). */
  consumes: string[];
  /** Queues it sends to (outbox destinations, DLQ redrives). */
  sends: string[];
  /**
   * The events it puts on the bus (outbox relay, operations alerts, operator
   * actions): each source with the detail-types its code publishes under it.
   * Its task role's events:PutEvents is conditioned on exactly these
   * (events:source and events:detail-type), so it cannot pass for another
   * publisher: the user service cannot forge the `Transaction …` events that
   * drive the saga.
   */
  publishes: EventGrant[];
  /**
   * Looks at the messaging for operators (the gateway's admin API): every
   * queue's attributes, the bus's rules, its archive and replays. Read-only:
   * browsing, redriving and deleting dead letters and starting replays change
   * what the platform does, and need the operator role (infra/lib/operator-access.ts),
   * never the public gateway's task role. Its code takes the queue names from
   * the topology file, not literals.
   */
  inspectsMessaging?: boolean;
  /**
   * The database it opens (databaseConfigFromEnv in storage/database.ts): its schema, and its PostgreSQL role
   * `paymesh_<database>` (storage/provision.ts) with a secret of its own. Payment v1 and v2 share `payment`.
   * Absent: it opens no database, gets no database secret and cannot reach the database.
   */
  database?: string;
  /** Runs a transactional outbox relay (publishes outbox_* metrics). */
  outbox: boolean;
  /** Names it calls, as discovery/resolver.ts knows them (e.g. user-service.paypal.local). */
  calls: string[];
  /** Fixed production settings (listener addresses, the database URL, region and secrets are added by the stack). */
  settings: Record<string, string>;
  /** Settings taken from Secrets Manager: setting name -> secret id in the stack. */
  secretSettings?: Record<string, SecretId>;
  /** The queue whose depth scales it out, for consumers. */
  scaleOnQueue?: string;
}

/** One event source a service publishes under, and the detail-types it publishes there. */
export interface EventGrant {
  source: string;
  detailTypes: string[];
}

/** What messaging/dlq-handler.ts's eventBridgeAlert publishes for a permanent dead letter. */
const OPERATIONS_ALERT: EventGrant = { source: SOURCES.operations, detailTypes: ['Operations alert'] };

/** The secrets the stack keeps in Secrets Manager (generated there, never in the template). */
export type SecretId = 'gatewayJwt' | 'firstOperatorPassword';

/** The installation's first operator on AWS (as `npm start` names it on one machine); its password is generated in Secrets Manager. */
export const FIRST_OPERATOR_EMAIL = 'operator@paymesh.local';

/** Where the gateway's AWS routing file sits in the image (see infra/container/gateway-routing.json). */
export const GATEWAY_AWS_ROUTING_FILE = 'infra/container/gateway-routing.json';

/** The payment saga's `Transaction …` events: the seed publishes them as the transaction service (contracts/events.ts). */
const SAGA_EVENTS: EventGrant = { source: SOURCES.transaction, detailTypes: Object.values(TRANSACTION_EVENTS) };

/** What each service is on AWS beyond its listeners and its code's folder, which discovery/catalog.ts gives. */
const ON_AWS: Array<Omit<ServiceSpec, 'folder' | 'listeners'>> = [
  {
    name: 'schema-registry',
    metricsService: 'schema-registry',
    consumes: [],
    sends: [],
    publishes: [],
    database: 'schema-registry',
    outbox: false,
    calls: [],
    settings: {},
  },
  {
    name: 'wallet',
    metricsService: 'wallet',
    consumes: ['wallet-events'],
    sends: [],
    publishes: [],
    database: 'wallet',
    outbox: false,
    calls: [],
    settings: {},
    scaleOnQueue: 'wallet-events',
  },
  {
    // The seed validates payment methods with an "account service"; in PayMesh the user service owns them.
    name: 'user',
    metricsService: 'user',
    consumes: [],
    sends: [],
    publishes: [{ source: SOURCES.user, detailTypes: Object.values(USER_EVENTS) }],
    database: 'user',
    outbox: true,
    calls: [],
    // Made at the user service's first start while there is no operator; later starts leave operators alone.
    settings: { USER_FIRST_OPERATOR_EMAIL: FIRST_OPERATOR_EMAIL },
    secretSettings: { USER_FIRST_OPERATOR_PASSWORD: 'firstOperatorPassword' },
  },
  {
    name: 'payment',
    routingNode: 'payment-service-v1',
    metricsService: 'payment',
    metricsVersion: 'v1',
    consumes: ['payment-processing', 'payment-saga', 'payment-dlq', 'payment-saga-dlq'],
    sends: ['payment-processing', 'payment-saga'],
    publishes: [SAGA_EVENTS, OPERATIONS_ALERT],
    database: 'payment',
    outbox: true,
    calls: ['user-service.paypal.local', 'wallet-service.paypal.local', 'schema-registry.paypal.local'],
    settings: { PAYMENT_SERVICE_VERSION: 'v1' },
    scaleOnQueue: 'payment-saga',
  },
  {
    name: 'payment-v2',
    routingNode: 'payment-service-v2',
    metricsService: 'payment',
    metricsVersion: 'v2',
    consumes: ['payment-processing', 'payment-saga', 'payment-dlq', 'payment-saga-dlq'],
    sends: ['payment-processing', 'payment-saga'],
    publishes: [SAGA_EVENTS, OPERATIONS_ALERT],
    database: 'payment',
    outbox: true,
    calls: ['user-service.paypal.local', 'wallet-service.paypal.local', 'schema-registry.paypal.local'],
    settings: { PAYMENT_SERVICE_VERSION: 'v2' },
  },
  {
    name: 'transaction',
    metricsService: 'transaction',
    consumes: ['transaction-events'],
    sends: [],
    publishes: [],
    database: 'transaction',
    outbox: false,
    calls: [],
    settings: {},
    scaleOnQueue: 'transaction-events',
  },
  {
    name: 'notification',
    metricsService: 'notification',
    consumes: ['notifications'],
    sends: [],
    publishes: [],
    database: 'notification',
    outbox: false,
    calls: [],
    settings: {},
    scaleOnQueue: 'notifications',
  },
  {
    name: 'audit',
    metricsService: 'audit',
    consumes: ['audit-logs'],
    sends: [],
    publishes: [],
    database: 'audit',
    outbox: false,
    calls: [],
    settings: {},
    scaleOnQueue: 'audit-logs',
  },
  {
    name: 'gateway',
    public: true,
    metricsService: 'gateway',
    consumes: [],
    sends: [],
    // Operator actions are recorded as `Operator action` events before they are carried out.
    publishes: [{ source: SOURCES.operations, detailTypes: ['Operator action'] }],
    inspectsMessaging: true,
    database: 'gateway',
    outbox: false,
    calls: [
      'audit-service.paypal.local',
      'notification-service.paypal.local',
      'payment-service.paypal.local',
      'schema-registry.paypal.local',
      'transaction-service.paypal.local',
      'user-service.paypal.local',
      'wallet-graphql.paypal.local',
      'wallet-service.paypal.local',
    ],
    // Behind the ALB: the client address is the X-Forwarded-For entry the ALB added.
    settings: { GATEWAY_ROUTING_FILE: `/app/${GATEWAY_AWS_ROUTING_FILE}`, GATEWAY_TRUSTED_PROXY_HOPS: '1' },
    secretSettings: { GATEWAY_JWT_SECRET: 'gatewayJwt' },
  },
];

export const SERVICES: ServiceSpec[] = ON_AWS.map((spec) => {
  const service = catalogService(spec.name);
  return { ...spec, folder: service.entry.slice(0, service.entry.lastIndexOf('/')), listeners: service.listeners.flatMap(onAws) };
});

/** A listener as AWS has it: on its AWS port, registered in Cloud Map under the names no routing answers for it. */
function onAws(listener: CatalogListener): Listener[] {
  if (listener.awsPort === undefined) return [];
  if (!listener.hostSetting) throw new Error(`listener ${listener.portSetting} has no bind address setting: on AWS it must listen beyond loopback`);
  const discoveryNames = listener.names.flatMap((n) => (n.name && (n.onAws ?? 'registered') === 'registered' ? [n.name] : []));
  return [{ name: listener.name, protocol: listener.protocol, port: listener.awsPort, hostSetting: listener.hostSetting, portSetting: listener.portSetting, discoveryNames }];
}

/** Services of scripts/services.ts that do not run on AWS, and why. */
export const NOT_ON_AWS: Record<string, string> = Object.fromEntries(CATALOG.flatMap((s) => (s.notOnAws ? [[s.name, s.notOnAws]] : [])));

export { DISCOVERY_NAMESPACE };

/** The listener that answers a name such as user-service.paypal.local, and its service. */
export function listenerFor(fqdn: string, services: ServiceSpec[] = SERVICES): { service: ServiceSpec; listener: Listener } | undefined {
  for (const service of services) {
    for (const listener of service.listeners) {
      if (listener.discoveryNames.some((n) => `${n}.${DISCOVERY_NAMESPACE}` === fqdn)) return { service, listener };
    }
  }
  return undefined;
}

export function serviceSpec(name: string): ServiceSpec {
  const spec = SERVICES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown service '${name}'; known: ${SERVICES.map((s) => s.name).join(', ')}`);
  return spec;
}
