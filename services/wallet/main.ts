import { stopOnSignals } from '../../core/lifecycle.ts';
import { createSqsClient, messagingConfigFromEnv } from '../../messaging/aws.ts';
import { consumeWhenReady } from '../../messaging/consumer-host.ts';
import { QueueDirectory } from '../../messaging/queue-directory.ts';
import { createLogger } from '../../observability/logger.ts';
import { setDefaultLabels } from '../../observability/metrics.ts';
import { initTracing } from '../../observability/tracing.ts';
import { walletConfigFromEnv } from './config.ts';
import { startWalletService } from './server.ts';
import { userEventsHandler } from './user-events.ts';

const tracing = initTracing('wallet');
const log = createLogger('wallet');
setDefaultLabels({ service: 'wallet' });
const config = walletConfigFromEnv();
const service = await startWalletService(config, log);
log.info(
  { address: service.address, graphql: service.graphqlAddress, database: config.database.kind },
  `wallet gRPC listening on ${service.address}${service.graphqlAddress ? `, GraphQL subgraph on ${service.graphqlAddress}/graphql` : ''}`,
);

// New users' first wallets come from `User registered` events on the wallet's own queue.
const sqs = config.consumers ? createSqsClient(messagingConfigFromEnv()) : undefined;
const userEvents = sqs && consumeWhenReady({ sqs, directory: new QueueDirectory(sqs), queue: 'wallet-events', handler: userEventsHandler(service.ledger, log), log });

stopOnSignals(log, [() => userEvents?.stop(), () => service.stop(), () => tracing.shutdown()]);
