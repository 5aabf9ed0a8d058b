import type { Logger } from 'pino';
import { isPayMeshError } from '../../contracts/errors.ts';
import { USER_EVENTS, type UserEventDetail } from '../../contracts/events.ts';
import { parseEventEnvelope } from '../../messaging/consumer-host.ts';
import type { ReceivedMessage } from '../../messaging/queue-consumer.ts';
import type { WalletLedger } from './ledger.ts';

/**
 * `User registered` → the user's first wallet, in their default currency.
 * Opening is idempotent by a key derived from the user, so redelivery is harmless;
 * a wallet that already exists (the gateway may have opened it) is success too.
 */
export function userEventsHandler(ledger: WalletLedger, log: Logger) {
  return async (message: ReceivedMessage): Promise<void> => {
    const event = parseEventEnvelope<UserEventDetail>(message.body);
    if (event.detailType !== USER_EVENTS.registered || !event.detail.default_currency) return;
    const { user_id: userId, default_currency: currency } = event.detail;
    try {
      await ledger.openWallet({ userId, currency, idempotencyKey: `default-wallet:${userId}` });
      log.info({ userId, currency }, 'opened default wallet');
    } catch (err) {
      if (isPayMeshError(err) && (err.code === 'WALLET_EXISTS' || err.code === 'IDEMPOTENCY_KEY_REUSED')) return;
      throw err;
    }
  };
}
