import path from 'node:path';
import type { Platform } from '../scripts/platform.ts';
import { ApiClient } from '../test/support/api.ts';
import { spawnService } from '../test/support/processes.ts';
import { throughput } from './measure.ts';

export interface GatewayReadResult {
  gatewayPerSecond: number;
  bareFastifyPerSecond: number;
  bodyBytes: number;
  concurrency: number;
}

/**
 * GET /v1/wallets with a bearer token through the gateway (JWT check, rate
 * limiter, a gRPC ListWallets to the wallet service, the response schema) next
 * to a bare Fastify process answering the same bytes, from the same client
 * (fetch with keep-alive) on the same machine.
 */
export async function benchGatewayRead(platform: Platform, { seconds, concurrency }: { seconds: number; concurrency: number }): Promise<GatewayReadResult> {
  const gateway = platform.url('gateway');
  const { client } = await ApiClient.signUp(gateway);
  await client.fund('10.00');
  const sample = await fetch(`${gateway}/v1/wallets`, { headers: { authorization: `Bearer ${client.token}` } });
  const text = await sample.text();
  if (sample.status !== 200) throw new Error(`GET /v1/wallets answered ${sample.status}: ${text}`);

  const bare = await spawnService(path.join(import.meta.dirname, 'bare-fastify.ts'), { BARE_FASTIFY_BODY: text }, (line) =>
    typeof line.address === 'string' ? line.address : undefined,
  );
  try {
    const read = (url: string, headers: Record<string, string>) => async () => {
      const response = await fetch(url, { headers });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    };
    const auth = { authorization: `Bearer ${client.token}` };
    // A short warm-up of each, then the measured runs.
    await throughput(1, concurrency, read(`${gateway}/v1/wallets`, auth));
    const gatewayPerSecond = await throughput(seconds, concurrency, read(`${gateway}/v1/wallets`, auth));
    await throughput(1, concurrency, read(`${bare.ready}/v1/wallets`, auth));
    const bareFastifyPerSecond = await throughput(seconds, concurrency, read(`${bare.ready}/v1/wallets`, auth));
    return { gatewayPerSecond, bareFastifyPerSecond, bodyBytes: Buffer.byteLength(text), concurrency };
  } finally {
    await bare.kill('SIGTERM');
  }
}
