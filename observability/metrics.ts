import client from 'prom-client';

/** One Prometheus registry per process; every service serves it at /metrics. */
export const registry = new client.Registry();

export function setDefaultLabels(labels: Record<string, string>): void {
  registry.setDefaultLabels(labels);
}

function getOrCreate<T>(name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export function counter(name: string, help: string, labelNames: string[] = []): client.Counter<string> {
  return getOrCreate(name, () => new client.Counter({ name, help, labelNames, registers: [registry] }));
}

export function gauge(name: string, help: string, labelNames: string[] = []): client.Gauge<string> {
  return getOrCreate(name, () => new client.Gauge({ name, help, labelNames, registers: [registry] }));
}

export function histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): client.Histogram<string> {
  return getOrCreate(name, () => new client.Histogram({ name, help, labelNames, registers: [registry], ...(buckets ? { buckets } : {}) }));
}
