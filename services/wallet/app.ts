import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import { loadWalletService } from '../../contracts/wallet-grpc.ts';
import { refuseMalformedRequests, withTolerantDeserializers } from '../../core/grpc-decoding.ts';
import type { Logger } from '../../observability/logger.ts';
import { createWalletHandlers } from './grpc-handlers.ts';
import type { WalletLedger } from './ledger.ts';

/**
 * The wallet's gRPC server (WalletService and the standard health service) on
 * a ledger, not bound to any port: server.ts binds it.
 */
export function buildWalletServer(ledger: WalletLedger, log: Logger): { server: grpc.Server; health: HealthImplementation } {
  const server = new grpc.Server();
  // Bytes that do not decode are answered INVALID_ARGUMENT by the handlers, not INTERNAL by grpc-js (core/grpc-decoding.ts).
  server.addService(withTolerantDeserializers(loadWalletService().service), createWalletHandlers(ledger, log));
  const health = new HealthImplementation({ '': 'SERVING', WalletService: 'SERVING' });
  health.addToServer({
    addService: (definition, implementation) =>
      server.addService(withTolerantDeserializers(definition as grpc.ServiceDefinition), refuseMalformedRequests(definition as grpc.ServiceDefinition, implementation as grpc.UntypedServiceImplementation)),
  });
  return { server, health };
}
