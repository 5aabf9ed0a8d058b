import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { fromDouble } from '../../../contracts/money.ts';
import { loadWalletService } from '../../../contracts/wallet-grpc.ts';
import { ERROR_CODE_KEY } from '../../../core/grpc-errors.ts';
import { GRPC_USERS, REST_USERS } from '../fixtures.ts';
import { anyText, CURRENCIES, hugeText, NASTY_IDS } from '../hostile.ts';
import { ref, resolveRefs } from '../refs.ts';
import type { FuzzWorld } from '../world.ts';
import { rule, type Problem, type Surface, type Verdict } from './surface.ts';

/**
 * The wallet's gRPC service, which trusts its callers (it is internal) and
 * so must get everything else right on its own: random bytes through a raw
 * client, every method with edge values (NaN, -0, 2^63, amounts past the
 * limits, unknown currencies, malformed ids and keys), wallets of other
 * users, and idempotency keys reused with other requests. A client's bad
 * input is never INTERNAL or UNKNOWN, an answer is about what was asked, and
 * a key never replays another request's answer.
 *
 * Money leaves only the gRPC fixture users' wallets (debits, holds and
 * suspensions name only theirs), so the REST users' wallets stay usable.
 */

const METHODS = Object.keys(loadWalletService().service);
const RAW_PATHS = [...METHODS.map((m) => `/WalletService/${m}`), '/grpc.health.v1.Health/Check', '/WalletService/constructor', '/WalletService/__proto__', '/WalletService/getBalance', '/Nope/Nope', '/WalletService/'];
/** Codes that say the server failed, not that it refused the request. */
const SERVER_FAILURES = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS, grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

const grpcUser = fc.integer({ min: REST_USERS, max: REST_USERS + GRPC_USERS - 1 });
const anyUser = fc.nat(REST_USERS + GRPC_USERS - 1);
const currency = fc.constantFrom('USD', 'EUR') as fc.Arbitrary<'USD' | 'EUR'>;
/** A wallet the input may debit: a gRPC fixture user's, else nothing real. */
const debitable: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(grpcUser, currency).map(([who, c]) => ref({ ref: 'wallet', who, currency: c })) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_IDS) },
  { weight: 1, arbitrary: fc.nat(1000).map((n) => ref({ ref: 'uuid', n })) },
);
/** A wallet the input may only read or pay into: anyone's. */
const anyWallet: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(anyUser, currency).map(([who, c]) => ref({ ref: 'wallet', who, currency: c })) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_IDS) },
  { weight: 1, arbitrary: fc.nat(1000).map((n) => ref({ ref: 'uuid', n })) },
);
const amount = fc.oneof(
  fc.constantFrom(0, 1, 0.5, 10.25, 0.01, 99.99),
  fc.constantFrom(-0, -1, -10.25, Number.NaN, Infinity, -Infinity, 1e-7, 0.001, 0.1 + 0.2, 1e15, 1e15 + 1, 1e16, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE),
);
const amountMinor = fc.constantFrom('0', '1', '25', '1025', '-1', '-1025', '1000000000000000', '1000000000000001', '100000000000000000', '9223372036854775807', '-9223372036854775808');
const key = fc.oneof(
  { weight: 5, arbitrary: fc.constant({ fresh: true as const }) },
  { weight: 3, arbitrary: fc.nat(7).map((n) => ({ pooled: n })) },
  { weight: 2, arbitrary: fc.constantFrom('', 'k', 'a'.repeat(200), 'a'.repeat(201), 'has space', 'ключ', '\u0000key', '__proto__').map((literal) => ({ literal })) },
);
const reference = fc.oneof({ weight: 4, arbitrary: fc.constant('fuzz') }, { weight: 1, arbitrary: fc.oneof(anyText, hugeText.map((t) => t.slice(0, 2000))) });
const text = fc.oneof(fc.constantFrom(...CURRENCIES), anyText);
const hold = fc.oneof({ weight: 6, arbitrary: fc.nat(63).map((n) => ({ learnt: n })) }, { weight: 1, arbitrary: fc.constantFrom(...NASTY_IDS) }, { weight: 1, arbitrary: fc.nat(1000).map((n) => ref({ ref: 'uuid', n })) });

/** Each method's request: fields a caller may fill, with edge and hostile values. */
const REQUESTS: Record<string, fc.Arbitrary<Record<string, unknown>>> = {
  GetBalance: fc.record({ wallet_id: anyWallet, currency: fc.option(fc.constantFrom(...CURRENCIES), { nil: undefined }) }),
  UpdateBalance: fc.record({ wallet_id: debitable, amount: fc.option(amount, { nil: undefined }), amount_minor: fc.option(amountMinor, { nil: undefined }), currency: fc.option(fc.constantFrom(...CURRENCIES), { nil: undefined }), idempotency_key: key, reference }),
  TransferFunds: fc.record({ from_wallet_id: debitable, to_wallet_id: anyWallet, amount: fc.option(amount, { nil: undefined }), amount_minor: fc.option(amountMinor, { nil: undefined }), currency: fc.option(fc.constantFrom(...CURRENCIES), { nil: undefined }), idempotency_key: key, reference }),
  OpenWallet: fc.record({ user_id: fc.oneof(anyUser.map((who) => ref({ ref: 'user-id', who })), fc.nat(50).map((n) => `fuzz-grpc-user-${n}`), fc.constantFrom('', 'a'.repeat(129), 'ü', ' x', 'a b')), currency: text, idempotency_key: key }),
  GetWallet: fc.record({ wallet_id: anyWallet }),
  ListWallets: fc.record({ user_id: fc.oneof(anyUser.map((who) => ref({ ref: 'user-id', who })), fc.constantFrom(...NASTY_IDS), anyText) }),
  SetWalletStatus: fc.record({ wallet_id: debitable, status: fc.oneof(fc.constantFrom('active', 'suspended', 'active', ''), anyText), reason: reference, idempotency_key: key }),
  ReserveFunds: fc.record({ wallet_id: debitable, amount_minor: fc.option(amountMinor, { nil: undefined }), amount: fc.option(amount, { nil: undefined }), currency: fc.option(fc.constantFrom(...CURRENCIES), { nil: undefined }), idempotency_key: key, reference, ttl_seconds: fc.constantFrom(0, 0, 1, 2, -1, 604_800, 604_801, 2_147_483_647, -2_147_483_648) }),
  ReleaseFunds: fc.record({ hold_id: hold, idempotency_key: key, reason: reference }),
  CaptureFunds: fc.record({ hold_id: hold, to_wallet_id: anyWallet, idempotency_key: key }),
  GetHold: fc.record({ hold_id: hold }),
};

const METADATA = [
  {},
  { traceparent: '00-zzzz-yyyy-01' },
  { traceparent: `00-${'f'.repeat(32)}-${'f'.repeat(16)}-ff` },
  { tracestate: 'a'.repeat(600) },
  { 'x-fuzz': 'b'.repeat(9000) },
  { 'paymesh-error-code': 'INTERNAL' },
] as const;

export type GrpcInput =
  | { kind: 'raw'; path: number; bytes: number[] }
  | { kind: 'call'; method: string; request: Record<string, unknown>; metadata: number };

const inputs: fc.Arbitrary<GrpcInput> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('raw' as const), path: fc.nat(RAW_PATHS.length - 1), bytes: fc.array(fc.nat(255), { maxLength: 96 }) }) },
  {
    weight: 7,
    arbitrary: fc.constantFrom(...METHODS).chain((method) =>
      fc.record({ kind: fc.constant('call' as const), method: fc.constant(method), request: REQUESTS[method]!, metadata: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(METADATA.length - 1) }) }),
    ),
  },
);

interface KeyUse {
  method: string;
  target: string;
}

export function grpcSurface(): Surface<GrpcInput> {
  let raw: grpc.Client | undefined;
  let wallet: grpc.Client | undefined;
  /** What each key was first accepted for: a key answered OK for another method or target replayed someone else's answer. */
  const keyUses = new Map<string, KeyUse>();

  const clients = (address: string) => {
    raw ??= new grpc.Client(address, grpc.credentials.createInsecure());
    wallet ??= new (loadWalletService())(address, grpc.credentials.createInsecure());
    return { raw, wallet };
  };

  return {
    name: 'grpc',
    weight: 16,
    inputs,
    describe(input) {
      if (input.kind === 'raw') return `raw ${RAW_PATHS[input.path]} bytes=${Buffer.from(input.bytes).toString('hex')}`;
      return `${input.method} ${JSON.stringify(input.request).slice(0, 400)} metadata=${JSON.stringify(METADATA[input.metadata]).slice(0, 60)}`;
    },
    async send(input, world: FuzzWorld): Promise<Verdict> {
      const { raw: rawClient, wallet: walletClient } = clients(world.walletAddress);
      const deadline = () => Date.now() + 10_000;
      if (input.kind === 'raw') {
        const path = RAW_PATHS[input.path]!;
        const known = path !== '/WalletService/' && (METHODS.some((m) => path === `/WalletService/${m}`) || path.startsWith('/grpc.health'));
        const error = await new Promise<grpc.ServiceError | null>((resolve) =>
          rawClient.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, Buffer.from(input.bytes), new grpc.Metadata(), { deadline: deadline() }, (err) => resolve(err)),
        );
        const code = error?.code ?? grpc.status.OK;
        return {
          outcome: grpc.status[code] ?? String(code),
          problems: [
            ...rule(SERVER_FAILURES.has(code), 'server failure', () => `${path} with ${input.bytes.length} random bytes → ${grpc.status[code]}: ${error?.details}`),
            ...rule(known && code === grpc.status.UNIMPLEMENTED, 'server failure', () => `${path} is a real method but answered UNIMPLEMENTED`),
          ],
        };
      }

      const request = resolveRefs(input.request, world.fixtures, REST_USERS) as { value: Record<string, unknown> };
      const fields = { ...request.value };
      if (isHoldChoice(fields.hold_id)) fields.hold_id = world.learnt.pick('hold', fields.hold_id.learnt, '00000000-0000-4000-8000-000000000000');
      const keyChoice = fields.idempotency_key as { fresh?: true; pooled?: number; literal?: string } | undefined;
      if (keyChoice) fields.idempotency_key = keyChoice.fresh ? `grpc-${world.seed}-${Math.random().toString(36).slice(2)}` : keyChoice.pooled !== undefined ? `grpc-${world.seed}-pooled-${keyChoice.pooled}` : keyChoice.literal;
      const metadata = new grpc.Metadata();
      for (const [k, v] of Object.entries(METADATA[input.metadata]!)) metadata.set(k, v);

      const sent = await new Promise<{ error: grpc.ServiceError | null; response: any } | 'not encodable'>((resolve) => {
        try {
          (walletClient as any)[input.method](fields, metadata, { deadline: deadline() }, (err: grpc.ServiceError | null, res: unknown) => resolve({ error: err, response: res }));
        } catch {
          // The client could not even encode it (a value protobuf has no way to write): nothing was sent.
          resolve('not encodable');
        }
      });
      if (sent === 'not encodable') return { outcome: sent };
      const { error, response } = sent;
      const code = error?.code ?? grpc.status.OK;
      const problems: Problem[] = [...rule(SERVER_FAILURES.has(code), 'server failure', () => `${input.method} → ${grpc.status[code]}: ${error?.details} (${error?.metadata?.get(ERROR_CODE_KEY)[0]})`)];
      if (code === grpc.status.OK) problems.push(...judgeAnswer(input.method, fields, response, world, keyUses));
      return { outcome: grpc.status[code] ?? String(code), problems };
    },
    close() {
      raw?.close();
      wallet?.close();
    },
  };
}

function isHoldChoice(value: unknown): value is { learnt: number } {
  return typeof value === 'object' && value !== null && 'learnt' in value;
}

/** An OK answer: about what was asked, not replaying another request's, and what it changed recorded as accepted. */
function judgeAnswer(method: string, fields: Record<string, unknown>, response: any, world: FuzzWorld, keyUses: Map<string, KeyUse>): Problem[] {
  const { effects, learnt } = world;
  const problems: Problem[] = [];
  const about = (field: string, expected: unknown) => {
    if (response?.[field] !== expected) problems.push({ check: "another user's data", detail: `${method} for ${String(expected)} answered ${field} ${String(response?.[field])}` });
  };
  switch (method) {
    case 'GetBalance':
      about('wallet_id', fields.wallet_id);
      break;
    case 'GetWallet':
    case 'SetWalletStatus':
      about('id', fields.wallet_id);
      if (method === 'SetWalletStatus') effects.walletStatusSet.add(String(fields.wallet_id));
      break;
    case 'ListWallets':
      for (const w of response?.wallets ?? []) if (w.user_id !== fields.user_id) problems.push({ check: "another user's data", detail: `ListWallets for ${String(fields.user_id)} listed a wallet of ${w.user_id}` });
      break;
    case 'OpenWallet':
      about('user_id', fields.user_id);
      effects.walletsOpened.add(response.id);
      break;
    case 'UpdateBalance': {
      const minor = fields.amount_minor && fields.amount_minor !== '0' ? BigInt(String(fields.amount_minor)) : convert(Number(fields.amount ?? 0), response.currency);
      if (minor === undefined) problems.push({ check: 'accepted what must be refused', detail: `UpdateBalance accepted amount ${String(fields.amount)} ${response.currency}, which has no exact minor units` });
      if (response.entry_id) effects.moneyMoved(response.entry_id, response.currency, minor ?? 0n);
      break;
    }
    case 'TransferFunds':
      if (response.entry_id) effects.entries.add(response.entry_id);
      break;
    case 'ReserveFunds':
      about('wallet_id', fields.wallet_id);
      effects.holds.add(response.hold_id);
      if (response.entry_id) effects.entries.add(response.entry_id);
      learnt.add('hold', response.hold_id);
      break;
    case 'ReleaseFunds':
    case 'CaptureFunds':
    case 'GetHold':
      about('hold_id', fields.hold_id);
      if (response.entry_id) effects.entries.add(response.entry_id);
      break;
  }
  const key = fields.idempotency_key;
  if (typeof key === 'string' && key !== '') {
    const target = String(fields.wallet_id ?? fields.from_wallet_id ?? fields.hold_id ?? fields.user_id ?? '');
    const first = keyUses.get(key);
    if (!first) keyUses.set(key, { method, target });
    else if (first.method !== method || first.target !== target) {
      problems.push({ check: 'idempotency key replayed another request', detail: `key ${key} first accepted for ${first.method} on ${first.target}, now answered OK for ${method} on ${target}` });
    }
  }
  return problems;
}

function convert(amount: number, currency: string): bigint | undefined {
  try {
    return fromDouble(amount, currency, 'amount', { allowNegative: true });
  } catch {
    return undefined;
  }
}
