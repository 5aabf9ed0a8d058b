import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface WeightedTarget {
  /** The App Mesh virtual node name, e.g. payment-service-v1. */
  node: string;
  weight: number;
  /** The service-discovery name it resolves to, e.g. payment-service.paypal.local. */
  hostname: string;
}

export interface WeightedRoute {
  virtualService: string;
  routeName: string;
  port: number;
  prefix: string;
  targets: WeightedTarget[];
}

export const PAYMENT_ROUTING_PATH = path.join(import.meta.dirname, 'routing', 'payment-service.json');

/**
 * Reads a routing file shaped like the seed's AppMesh VirtualService /
 * VirtualRouter / Route resources. Weights are integers 0..100 summing to more
 * than zero; every target names a virtual node with a DNS hostname.
 */
export function loadWeightedRoute(file = PAYMENT_ROUTING_PATH): WeightedRoute {
  const doc = JSON.parse(readFileSync(file, 'utf8'));
  const fail = (why: string): never => {
    throw new Error(`routing file ${file}: ${why}`);
  };
  const route = doc?.Route?.Properties ?? fail('missing Route.Properties');
  const weighted = route?.Spec?.HttpRoute?.Action?.WeightedTargets;
  if (!Array.isArray(weighted) || weighted.length === 0) fail('Route.Spec.HttpRoute.Action.WeightedTargets must be a non-empty list');
  const targets = (weighted as Array<{ VirtualNode?: unknown; Weight?: unknown }>).map((t, i) => {
    if (typeof t.VirtualNode !== 'string') fail(`WeightedTargets[${i}].VirtualNode must be a string`);
    if (!Number.isInteger(t.Weight) || (t.Weight as number) < 0 || (t.Weight as number) > 100) fail(`WeightedTargets[${i}].Weight must be an integer from 0 to 100`);
    const hostname = doc?.VirtualNodes?.[t.VirtualNode as string]?.Spec?.ServiceDiscovery?.DNS?.Hostname;
    if (typeof hostname !== 'string') fail(`VirtualNodes.${String(t.VirtualNode)} needs Spec.ServiceDiscovery.DNS.Hostname`);
    return { node: t.VirtualNode as string, weight: t.Weight as number, hostname };
  });
  if (targets.reduce((sum, t) => sum + t.weight, 0) === 0) fail('the weights sum to zero');
  const listener = doc?.VirtualRouter?.Properties?.Spec?.Listeners?.[0]?.PortMapping;
  return {
    virtualService: doc?.VirtualService?.Properties?.VirtualServiceName ?? fail('missing VirtualService.Properties.VirtualServiceName'),
    routeName: route.RouteName ?? 'route',
    port: Number(listener?.Port ?? 8000),
    prefix: route.Spec.HttpRoute.Match?.Prefix ?? '/',
    targets,
  };
}
