/**
 * The container health check (Dockerfile HEALTHCHECK and the ECS task's):
 * GET /healthz for HTTP services, the standard gRPC health service for the
 * wallet. Exits 0 when healthy, 1 otherwise, within a few seconds.
 */
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { HEALTH_PATHS } from '../../discovery/catalog.ts';
import { serviceSpec } from '../catalog.ts';

const TIMEOUT_MS = 4000;

function target(): { host: string; port: number; protocol: 'http' | 'grpc' } {
  const main = serviceSpec(process.argv[2] ?? process.env.SERVICE ?? '').listeners[0]!;
  const bound = process.env[main.hostSetting];
  // A service bound to every interface answers on loopback too.
  const host = !bound || bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound;
  return { host, port: Number(process.env[main.portSetting] || main.port), protocol: main.protocol };
}

async function httpHealthy(host: string, port: number): Promise<boolean> {
  const response = await fetch(`http://${host}:${port}${HEALTH_PATHS.alive}`, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  return response.status === 200;
}

type HealthClient = grpc.Client & {
  Check(request: { service: string }, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response?: { status?: string }) => void): void;
};

function grpcHealthy(host: string, port: number): Promise<boolean> {
  const Client = grpc.makeGenericClientConstructor(healthService, 'Health');
  const client = new Client(`${host}:${port}`, grpc.credentials.createInsecure()) as unknown as HealthClient;
  return new Promise((resolve) => {
    client.Check({ service: '' }, { deadline: Date.now() + TIMEOUT_MS }, (err, response) => {
      client.close();
      resolve(!err && response?.status === 'SERVING');
    });
  });
}

try {
  const { host, port, protocol } = target();
  const healthy = protocol === 'grpc' ? await grpcHealthy(host, port) : await httpHealthy(host, port);
  if (!healthy) console.error(`unhealthy: ${protocol}://${host}:${port}`);
  process.exit(healthy ? 0 : 1);
} catch (err) {
  console.error(`health check failed: ${(err as Error).message}`);
  process.exit(1);
}
