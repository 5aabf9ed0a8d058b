/**
 * A bare Fastify server answering GET /v1/wallets with a fixed JSON body (the
 * size of the gateway's answer): what the gateway's read path is compared
 * with. Run as its own process by bench/gateway.ts; logs its address as a JSON
 * line, as PayMesh services do.
 */
import Fastify from 'fastify';

const body = JSON.parse(process.env.BARE_FASTIFY_BODY ?? '{}');
const app = Fastify({ logger: false });
app.get('/v1/wallets', async () => body);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ address }));
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
