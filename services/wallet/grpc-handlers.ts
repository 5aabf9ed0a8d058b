import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { invalidArgument } from '../../contracts/errors.ts';
import { toDouble } from '../../contracts/money.ts';
import type { BalanceMessage, HoldMessage, WalletMessage, WalletRpcs } from '../../contracts/wallet-grpc.ts';
import { isMalformedRequest, malformedRequest } from '../../core/grpc-decoding.ts';
import { toGrpcError } from '../../core/grpc-errors.ts';
import { nulRefused, pathOfNul } from '../../core/nul-text.ts';
import { serveTracedUnary } from '../../observability/grpc.ts';
import type { AmountInput, HoldView, WalletLedger, WalletView } from './ledger.ts';

/** The WalletService RPCs: each translates wire fields to a ledger call and back, nothing more. */
export function createWalletHandlers(ledger: WalletLedger, log: Logger): UntypedServiceImplementation {
  const handlers: WalletRpcs = {
    GetBalance: async (req) => {
      const wallet = await ledger.getWallet(req.wallet_id);
      if (req.currency && req.currency !== wallet.currency) {
        throw invalidArgument('CURRENCY_MISMATCH', `wallet ${wallet.id} holds ${wallet.currency}, not ${req.currency}`, 'currency');
      }
      return toBalanceMessage(wallet);
    },

    UpdateBalance: async (req) => {
      const { entryId, wallet } = await ledger.updateBalance({
        walletId: req.wallet_id,
        amount: amountInput(req.amount, req.amount_minor),
        currency: req.currency || undefined,
        idempotencyKey: req.idempotency_key,
        reference: req.reference,
      });
      const balance = toBalanceMessage(wallet);
      return { success: true, entry_id: entryId, ...balance };
    },

    TransferFunds: async (req) => {
      const { entryId } = await ledger.transfer({
        fromWalletId: req.from_wallet_id,
        toWalletId: req.to_wallet_id,
        amount: amountInput(req.amount, req.amount_minor),
        currency: req.currency || undefined,
        idempotencyKey: req.idempotency_key,
        reference: req.reference,
      });
      return { success: true, entry_id: entryId };
    },

    OpenWallet: async (req) =>
      toWalletMessage(await ledger.openWallet({ userId: req.user_id, currency: req.currency, idempotencyKey: req.idempotency_key })),

    GetWallet: async (req) => toWalletMessage(await ledger.getWallet(req.wallet_id)),

    ListWallets: async (req) => ({ wallets: (await ledger.listWallets(req.user_id)).map(toWalletMessage) }),

    SetWalletStatus: async (req) =>
      toWalletMessage(
        await ledger.setWalletStatus({ walletId: req.wallet_id, status: req.status, reason: req.reason, idempotencyKey: req.idempotency_key }),
      ),

    ReserveFunds: async (req) =>
      toHoldMessage(
        await ledger.reserve({
          walletId: req.wallet_id,
          amount: amountInput(req.amount, req.amount_minor),
          currency: req.currency || undefined,
          idempotencyKey: req.idempotency_key,
          reference: req.reference,
          ttlSeconds: req.ttl_seconds || undefined,
        }),
      ),

    ReleaseFunds: async (req) =>
      toHoldMessage(await ledger.release({ holdId: req.hold_id, idempotencyKey: req.idempotency_key, reason: req.reason })),

    CaptureFunds: async (req) =>
      toHoldMessage(
        await ledger.capture({ holdId: req.hold_id, toWalletId: req.to_wallet_id, idempotencyKey: req.idempotency_key }),
      ),

    GetHold: async (req) => toHoldMessage(await ledger.getHold(req.hold_id)),
  };

  const implementation: UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers) as Array<[string, (request: unknown) => Promise<unknown>]>) {
    // Each call in a server span continuing the caller's trace, counted in grpc_request_count.
    implementation[name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) =>
      serveTracedUnary(
        `/WalletService/${name}`,
        call.metadata,
        // A message that did not decode (withTolerantDeserializers), or text with a NUL (PostgreSQL cannot store it),
        // is refused like any other bad input.
        () => {
          if (isMalformedRequest(call.request)) return Promise.reject(malformedRequest(name, call.request));
          const nul = pathOfNul(call.request);
          return nul === undefined ? handler(call.request) : Promise.reject(nulRefused(nul));
        },
        (err) => toGrpcError(err, log),
        callback,
      );
  }
  return implementation;
}

const INT64 = /^-?\d{1,19}$/;

/**
 * The precise int64 field wins; the seed's double is used only when it is
 * absent, and when both are sent they must agree.
 */
function amountInput(amount: number, amountMinor: string): AmountInput {
  if (amountMinor && amountMinor !== '0') {
    if (!INT64.test(amountMinor)) throw invalidArgument('INVALID_AMOUNT', 'amount_minor must be an integer', 'amount_minor');
    const minor = BigInt(amountMinor);
    return amount ? { minor, double: amount } : { minor };
  }
  return { double: amount ?? 0 };
}

function toBalanceMessage(wallet: WalletView): BalanceMessage {
  return {
    balance: toDouble(wallet.balanceMinor, wallet.currency),
    available_balance: toDouble(wallet.availableMinor, wallet.currency),
    frozen_balance: toDouble(wallet.frozenMinor, wallet.currency),
    balance_minor: wallet.balanceMinor.toString(),
    available_minor: wallet.availableMinor.toString(),
    frozen_minor: wallet.frozenMinor.toString(),
    currency: wallet.currency,
    wallet_id: wallet.id,
  };
}

function toWalletMessage(wallet: WalletView): WalletMessage {
  return {
    id: wallet.id,
    user_id: wallet.userId,
    currency: wallet.currency,
    balance_minor: wallet.balanceMinor.toString(),
    available_minor: wallet.availableMinor.toString(),
    frozen_minor: wallet.frozenMinor.toString(),
    created_at: wallet.createdAt,
    balance: toDouble(wallet.balanceMinor, wallet.currency),
    available_balance: toDouble(wallet.availableMinor, wallet.currency),
    frozen_balance: toDouble(wallet.frozenMinor, wallet.currency),
    status: wallet.status,
    status_reason: wallet.statusReason ?? '',
  };
}

function toHoldMessage(hold: HoldView): HoldMessage {
  return {
    success: true,
    hold_id: hold.id,
    wallet_id: hold.walletId,
    amount_minor: hold.amountMinor.toString(),
    currency: hold.currency,
    status: hold.status,
    expires_at: hold.expiresAt,
    entry_id: hold.entryId ?? '',
    to_wallet_id: hold.toWalletId ?? '',
    reference: hold.reference ?? '',
  };
}
