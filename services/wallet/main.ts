import { createLogger } from '../../observability/logger.ts';
import { walletConfigFromEnv } from './config.ts';
import { startWalletService } from './app.ts';

const log = createLogger('wallet');
const config = walletConfigFromEnv();
const service = await startWalletService(config, log);
log.info({ address: service.address, database: config.database.kind }, `wallet gRPC listening on ${service.address}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'wallet shutting down');
    service.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'wallet shutdown failed');
        process.exit(1);
      },
    );
  });
}
