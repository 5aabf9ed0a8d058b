/**
 * A bare @grpc/grpc-js server answering the wallet's GetBalance
 * (contracts/proto/wallet.proto, the same loader options) with a fixed
 * BalanceResponse, one the platform's wallet returned: what the wallet's gRPC
 * read path is compared with. Run as its own process by bench/wallet.ts; logs
 * its address as a JSON line, as PayMesh services do.
 */
import * as grpc from '@grpc/grpc-js';
import { loadWalletService } from '../contracts/wallet-grpc.ts';

const response = JSON.parse(process.env.BARE_GRPC_RESPONSE ?? '{}');
const server = new grpc.Server();
// The other methods answer UNIMPLEMENTED (grpc-js's default for a method without a handler).
server.addService(loadWalletService().service, {
  GetBalance: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => callback(null, response),
});
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
);
console.log(JSON.stringify({ address: `127.0.0.1:${port}` }));
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
