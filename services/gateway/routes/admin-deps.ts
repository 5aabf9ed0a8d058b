import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { requestJson } from '../../../clients/http-json.ts';
import { PayMeshError } from '../../../contracts/errors.ts';
import { EVENT_BUS_NAME } from '../../../contracts/events.ts';
import type { ServiceResolver } from '../../../discovery/resolver.ts';
import { SchemaRegistryClient } from '../../../messaging/avro-codec.ts';
import { createEventBridgeClient, createSqsClient, messagingConfigFromEnv } from '../../../messaging/aws.ts';
import { EventPublisher } from '../../../messaging/event-publisher.ts';
import { QueueDirectory } from '../../../messaging/queue-directory.ts';
import type { GatewayDeps } from '../deps.ts';

/**
 * What the operator admin API needs beyond the public API's dependencies:
 * the SQS and EventBridge APIs (queues, dead letters, replays, and the
 * `Operator action` events the audit log records), the schema registry (to
 * show Avro bodies), and the internal addresses of the services whose
 * operator endpoints it calls. Built once by main.ts; closed with the app.
 */
export interface AdminDeps {
  sqs: SQSClient;
  eventBridge: EventBridgeClient;
  directory: QueueDirectory;
  events: EventPublisher;
  schemas: Pick<SchemaRegistryClient, 'schemaById'>;
  /** Internal base URLs: the user and audit services. */
  userUrl: string;
  auditUrl: string;
  /** Services platform status asks besides the ones the public API calls, by `npm start` name. */
  extraStatusTargets: Array<{ name: string; url: string }>;
  /** How long an admin call to a service may take. */
  timeoutMs: number;
  close(): void;
}

export function adminDepsFromEnv(resolver: ServiceResolver, env: NodeJS.ProcessEnv = process.env): AdminDeps {
  const messaging = messagingConfigFromEnv(env);
  const sqs = createSqsClient(messaging);
  const eventBridge = createEventBridgeClient(messaging);
  const registryUrl = resolver.resolve('schema-registry.paypal.local').address;
  const auditUrl = resolver.resolve('audit-service.paypal.local').address;
  return {
    sqs,
    eventBridge,
    directory: new QueueDirectory(sqs),
    events: new EventPublisher(eventBridge, EVENT_BUS_NAME),
    schemas: new SchemaRegistryClient(registryUrl, { timeoutMs: 3000 }),
    userUrl: resolver.resolve('user-service.paypal.local').address,
    auditUrl,
    extraStatusTargets: [
      ...(messaging.embedded && messaging.endpoint ? [{ name: 'broker', url: messaging.endpoint }] : []),
      { name: 'schema-registry', url: registryUrl },
      { name: 'wallet', url: resolver.resolve('wallet-graphql.paypal.local').address },
      { name: 'audit', url: auditUrl },
    ],
    timeoutMs: 5000,
    close() {
      sqs.destroy();
      eventBridge.destroy();
    },
  };
}

/**
 * One call to a service's internal operator endpoint. Not through the public
 * API's breakers: an operator looking at a struggling service must neither
 * trip nor be stopped by them. A service that cannot be reached is a 503.
 */
export async function callService<T>(baseUrl: string, path: string, init: { method?: string; body?: unknown; timeoutMs: number }): Promise<T> {
  try {
    // requestJson always says the body is JSON; Fastify refuses that with no body, so a bodiless POST or DELETE sends {}.
    const body = init.body ?? (init.method && init.method !== 'GET' ? {} : undefined);
    return (await requestJson<T>(baseUrl, path, { method: init.method, body, signal: AbortSignal.timeout(init.timeoutMs) })).body;
  } catch (err) {
    if (err instanceof PayMeshError) throw err;
    throw new PayMeshError('unavailable', 'SERVICE_UNAVAILABLE', `${new URL(baseUrl).host} could not be reached: ${(err as Error).message}`);
  }
}

/**
 * The payment service's operator endpoints, on whichever deployment answers
 * first (the canary shares the service's database, so any one will do):
 * the routing file's targets, those taking traffic first.
 */
export async function callPaymentService<T>(deps: Pick<GatewayDeps, 'paymentRouter' | 'paymentClients'>, path: string, init: { method?: string; body?: unknown; timeoutMs: number }): Promise<T> {
  const targets = [...(deps.paymentRouter?.current().targets ?? [{ node: 'payment-service-v1', weight: 1 }])].sort((a, b) => Number(b.weight > 0) - Number(a.weight > 0));
  let last: unknown;
  for (const target of targets) {
    try {
      return await callService<T>(deps.paymentClients(target.node).baseUrl, path, init);
    } catch (err) {
      if (!(err instanceof PayMeshError) || err.kind !== 'unavailable') throw err;
      last = err;
    }
  }
  throw last;
}
