import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import { loadTopology } from '../../contracts/topology.ts';
import { createSqsClient } from '../../messaging/aws.ts';
import type { Platform } from '../../scripts/platform.ts';
import { verifyChain } from '../../services/audit/chain.ts';
import type { AuditSchema } from '../../services/audit/schema.ts';
import type { NotificationSchema } from '../../services/notification/schema.ts';
import type { PaymentSchema } from '../../services/payment/schema.ts';
import type { TransactionSchema } from '../../services/transaction/schema.ts';
import type { UserSchema } from '../../services/user/schema.ts';
import { auditLedger } from '../../services/wallet/ledger-audit.ts';
import type { WalletSchema } from '../../services/wallet/schema.ts';
import { databaseConfigFromEnv, openDatabase, sql, type Database } from '../../storage/database.ts';
import type { AcceptedEffects } from './effects.ts';
import type { Fixtures } from './fixtures.ts';

/**
 * The campaign's checks on the platform's data, read from each service's
 * own database (as the chaos harness reads them): before the first input and
 * after the last one has settled. The ledger is audited by its own
 * `auditLedger`, the audit log by its own `verifyChain`; every change to a
 * fixture user's data must be one an accepted request named.
 */

/** What the fixture users have, in every service that keeps something of theirs. */
export interface DataSnapshot {
  ledgerViolations: string[];
  /** Money in wallets per currency (wallets plus funding sum to zero, so this is the money brought in). */
  walletTotals: Map<string, bigint>;
  entries: Set<string>;
  holds: Set<string>;
  /** Wallet id → status. */
  wallets: Map<string, string>;
  payments: Set<string>;
  transactions: Set<string>;
  /** Notification id → read. */
  notifications: Map<string, boolean>;
  auditRecords: Set<string>;
  cards: Set<string>;
}

async function withDatabase<S, T>(platform: Platform, service: string, use: (db: Kysely<S>, database: Database<S>) => Promise<T>): Promise<T> {
  const database = await openDatabase<S>(databaseConfigFromEnv(service, platform.env));
  try {
    return await use(database.db, database);
  } finally {
    await database.close();
  }
}

export async function snapshot(platform: Platform, fixtures: Fixtures): Promise<DataSnapshot> {
  const userIds = fixtures.users.map((u) => u.id);
  const ledger = await withDatabase<WalletSchema, Pick<DataSnapshot, 'ledgerViolations' | 'walletTotals' | 'entries' | 'holds' | 'wallets'>>(platform, 'wallet', async (db, database) => {
    // One transaction, so the audit and the reads see one moment of the ledger (repeatable read on PostgreSQL; SQLite's is a snapshot).
    let trx = db.transaction();
    if (database.dialect === 'postgres') trx = trx.setIsolationLevel('repeatable read');
    return trx.execute(async (t) => {
      const audit = await auditLedger(t);
      const wallets = await t.selectFrom('wallets').select(['id', 'status']).where('user_id', 'in', userIds).execute();
      const walletIds = wallets.map((w) => w.id);
      const entries = await t.selectFrom('journal_lines').select('entry_id').distinct().where('wallet_id', 'in', walletIds).execute();
      const holds = await t.selectFrom('holds').select('id').where('wallet_id', 'in', walletIds).execute();
      return {
        ledgerViolations: audit.violations,
        walletTotals: audit.walletTotals,
        entries: new Set(entries.map((e) => e.entry_id)),
        holds: new Set(holds.map((h) => h.id)),
        wallets: new Map(wallets.map((w) => [w.id, w.status])),
      };
    });
  });
  const payments = await withDatabase<PaymentSchema, string[]>(platform, 'payment', async (db) =>
    (await db.selectFrom('payments').select('id').where((eb) => eb.or([eb('sender_id', 'in', userIds), eb('receiver_id', 'in', userIds)])).execute()).map((p) => p.id),
  );
  const transactions = await withDatabase<TransactionSchema, string[]>(platform, 'transaction', async (db) =>
    (await db.selectFrom('transactions').select('id').where((eb) => eb.or([eb('sender_id', 'in', userIds), eb('receiver_id', 'in', userIds)])).execute()).map((t) => t.id),
  );
  const notifications = await withDatabase<NotificationSchema, Array<{ id: string; read_at: string | null }>>(platform, 'notification', async (db) =>
    db.selectFrom('notifications').select(['id', 'read_at']).where('user_id', 'in', userIds).execute(),
  );
  const auditRecords = await withDatabase<AuditSchema, string[]>(platform, 'audit', async (db) =>
    (await db.selectFrom('audit_records').select('event_id').where('actor', 'in', userIds).execute()).map((r) => r.event_id),
  );
  const cards = await withDatabase<UserSchema, string[]>(platform, 'user', async (db) =>
    (await db.selectFrom('payment_methods').select('id').where('user_id', 'in', userIds).execute()).map((c) => c.id),
  );
  return {
    ...ledger,
    payments: new Set(payments),
    transactions: new Set(transactions),
    notifications: new Map(notifications.map((n) => [n.id, n.read_at !== null])),
    auditRecords: new Set(auditRecords),
    cards: new Set(cards),
  };
}

/**
 * Waits until nothing is left moving: every payment at its end,
 * every platform queue empty, every outbox sent. Returns what is still
 * moving when `timeoutMs` runs out (empty when the platform came to rest).
 */
export async function quiesce(platform: Platform, timeoutMs = 60_000): Promise<string[]> {
  const sqs = createSqsClient({ region: 'us-east-1', endpoint: platform.env.PAYMESH_BROKER_URL!, embedded: true });
  // The platform's consumed queues (their dead-letter queues may keep what they hold).
  const queues = loadTopology().queues.map((q) => q.name);
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  let moving: string[] = [];
  try {
    while (Date.now() < deadline) {
      moving = [];
      const open = await withDatabase<PaymentSchema, Array<{ id: string; status: string }>>(platform, 'payment', async (db) =>
        db.selectFrom('payments').select(['id', 'status']).where('status', 'not in', ['completed', 'failed']).execute(),
      );
      if (open.length > 0) moving.push(`${open.length} payments not settled (e.g. ${open[0]!.id} ${open[0]!.status})`);
      for (const queue of queues) {
        const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: queue }))).QueueUrl!;
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
        const depth = Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
        if (depth > 0) moving.push(`${depth} messages on ${queue}`);
      }
      for (const service of ['payment', 'user', 'wallet', 'transaction', 'notification', 'audit']) {
        const unsent = await withDatabase<any, number>(platform, service, async (db) => {
          try {
            return Number((await sql<{ n: number | bigint }>`select count(*) as n from outbox where sent_at is null`.execute(db)).rows[0]?.n ?? 0);
          } catch {
            return 0;
          }
        });
        if (unsent > 0) moving.push(`${unsent} unsent outbox rows in ${service}`);
      }
      // Twice in a row: a consumer may hold a message it already deleted and not yet committed.
      calm = moving.length === 0 ? calm + 1 : 0;
      if (calm >= 2) return [];
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return moving;
  } finally {
    sqs.destroy();
  }
}

/** Every check of the data after the campaign: each broken rule is one problem; `summary` says what was checked. */
export async function checkData(
  platform: Platform,
  fixtures: Fixtures,
  effects: AcceptedEffects,
  before: DataSnapshot,
  after: DataSnapshot,
): Promise<{ problems: Array<{ check: string; detail: string }>; summary: string[] }> {
  const problems: Array<{ check: string; detail: string }> = [];
  const add = (check: string, detail: string) => problems.push({ check, detail });
  const summary: string[] = [];

  for (const violation of after.ledgerViolations) add('ledger unsound', violation);
  const moneyIn = effects.moneyIn();
  for (const currency of new Set([...before.walletTotals.keys(), ...after.walletTotals.keys(), ...moneyIn.keys()])) {
    const change = (after.walletTotals.get(currency) ?? 0n) - (before.walletTotals.get(currency) ?? 0n);
    const accepted = moneyIn.get(currency) ?? 0n;
    if (change !== accepted) add('money not conserved', `${currency}: wallets changed by ${change} minor units, accepted top-ups and withdrawals by ${accepted}`);
    summary.push(`money ${currency}: wallets ${change >= 0n ? '+' : ''}${change} minor units, accepted top-ups and withdrawals ${accepted >= 0n ? '+' : ''}${accepted}`);
  }
  summary.push(`ledger: ${after.ledgerViolations.length === 0 ? 'sound' : `${after.ledgerViolations.length} violations`} (auditLedger)`);

  const userOf = new Map(fixtures.users.map((u) => [u.id, `user ${u.index}`]));
  const acceptedPayment = (id: string | null | undefined) => !!id && effects.payments.has(id);

  // Journal entries and holds on fixture wallets: named by an accepted answer, or a step of an accepted payment.
  const newEntries = [...after.entries].filter((id) => !before.entries.has(id));
  const newHolds = [...after.holds].filter((id) => !before.holds.has(id));
  if (newEntries.length > 0 || newHolds.length > 0) {
    await withDatabase<WalletSchema, void>(platform, 'wallet', async (db) => {
      const entries = newEntries.length === 0 ? [] : await db.selectFrom('journal_entries').selectAll().where('id', 'in', newEntries).execute();
      const holdIds = new Set([...newHolds, ...entries.map((e) => e.hold_id).filter((h): h is string => !!h)]);
      const holds = holdIds.size === 0 ? [] : await db.selectFrom('holds').select(['id', 'reference', 'wallet_id']).where('id', 'in', [...holdIds]).execute();
      const holdExplained = new Map(holds.map((h) => [h.id, effects.holds.has(h.id) || acceptedPayment(h.reference)]));
      for (const hold of holds) {
        if (newHolds.includes(hold.id) && !holdExplained.get(hold.id)) add('refused request changed data', `hold ${hold.id} on wallet ${hold.wallet_id} (reference ${hold.reference}) was made by no accepted request`);
      }
      for (const entry of entries) {
        const explained = effects.entries.has(entry.id) || acceptedPayment(entry.reference) || (!!entry.hold_id && (holdExplained.get(entry.hold_id) ?? before.holds.has(entry.hold_id)));
        if (!explained) add('refused request changed data', `journal entry ${entry.id} (${entry.kind}, reference ${entry.reference}, hold ${entry.hold_id}) on a fixture wallet was made by no accepted request`);
      }
    });
  }

  for (const [id, status] of after.wallets) {
    const was = before.wallets.get(id);
    if (was === undefined && !effects.walletsOpened.has(id)) add('refused request changed data', `wallet ${id} of a fixture user was opened by no accepted request`);
    if (was !== undefined && was !== status && !effects.walletStatusSet.has(id)) add('refused request changed data', `wallet ${id} went from ${was} to ${status} by no accepted request`);
  }
  for (const id of after.payments) if (!before.payments.has(id) && !acceptedPayment(id)) add('refused request changed data', `payment ${id} of a fixture user was made by no accepted request`);
  for (const id of after.transactions) if (!before.transactions.has(id) && !acceptedPayment(id)) add('refused request changed data', `transaction record ${id} of a fixture user belongs to no accepted payment`);
  for (const id of after.cards) if (!before.cards.has(id) && !effects.cards.has(id)) add('refused request changed data', `payment method ${id} of a fixture user was added by no accepted request`);

  const newNotifications = [...after.notifications.keys()].filter((id) => !before.notifications.has(id));
  const readChanged = [...after.notifications].filter(([id, read]) => before.notifications.has(id) && before.notifications.get(id) !== read).map(([id]) => id);
  if (newNotifications.length > 0 || readChanged.length > 0) {
    await withDatabase<NotificationSchema, void>(platform, 'notification', async (db) => {
      const rows = await db.selectFrom('notifications').select(['id', 'user_id', 'payment_id', 'kind', 'read_at']).where('id', 'in', [...newNotifications, ...readChanged]).execute();
      for (const row of rows) {
        const isNew = newNotifications.includes(row.id);
        const payment = row.payment_id ? effects.payments.get(row.payment_id) : undefined;
        if (isNew && !(payment && (payment.sender === row.user_id || payment.receiver === row.user_id))) {
          add('refused request changed data', `notification ${row.id} (${row.kind}, payment ${row.payment_id}) for ${userOf.get(row.user_id)} belongs to no accepted payment of theirs`);
        }
        const becameRead = row.read_at !== null && (isNew || readChanged.includes(row.id));
        if (becameRead && !effects.mayHaveMarkedRead(row.user_id, row.id)) {
          add('refused request changed data', `notification ${row.id} of ${userOf.get(row.user_id)} was marked read by no accepted request of theirs`);
        }
        if (row.read_at === null && readChanged.includes(row.id)) add('refused request changed data', `notification ${row.id} of ${userOf.get(row.user_id)} went back to unread`);
      }
    });
  }

  const newAudit = [...after.auditRecords].filter((id) => !before.auditRecords.has(id));
  if (newAudit.length > 0) {
    await withDatabase<AuditSchema, void>(platform, 'audit', async (db) => {
      const rows = await db.selectFrom('audit_records').select(['event_id', 'detail_type', 'actor', 'payload']).where('event_id', 'in', newAudit).execute();
      for (const row of rows) {
        const payload = JSON.parse(row.payload) as { transaction_id?: string; payment_method_id?: string };
        const explained = acceptedPayment(payload.transaction_id) || (!!payload.payment_method_id && effects.cards.has(payload.payment_method_id));
        if (!explained) add('refused request changed data', `audit record ${row.event_id} (${row.detail_type}) of ${userOf.get(row.actor ?? '')} records no accepted request`);
      }
    });
  }

  const fresh = <T>(a: Set<T> | Map<T, unknown>, b: Set<T> | Map<T, unknown>) => [...a.keys()].filter((k) => !b.has(k)).length;
  summary.push(
    `fixture users' data, each change held to an accepted request: ${fresh(after.entries, before.entries)} journal entries, ${fresh(after.holds, before.holds)} holds, ${fresh(after.wallets, before.wallets)} wallets, ` +
      `${fresh(after.payments, before.payments)} payments, ${fresh(after.transactions, before.transactions)} transaction records, ${newNotifications.length} notifications (${readChanged.length} marked read), ` +
      `${newAudit.length} audit records, ${fresh(after.cards, before.cards)} cards; accepted: ${effects.payments.size} payments, ${effects.entries.size} ledger entries named, ${effects.holds.size} holds`,
  );

  const chain = await withDatabase<AuditSchema, Awaited<ReturnType<typeof verifyChain>>>(platform, 'audit', (db) => verifyChain(db));
  if (!chain.ok) add('audit chain broken', `at record ${chain.brokenAt}: ${chain.problem}`);
  summary.push(`audit chain: ${chain.ok ? 'verifies' : 'BROKEN'} (${chain.records} records)`);
  return { problems, summary };
}

/** Every service still up and ready: its process running and its /readyz answering 200 (the wallet: its subgraph listener's, and a gRPC call). */
export async function checkReadiness(platform: Platform, services: string[]): Promise<Array<{ check: string; detail: string }>> {
  const problems: Array<{ check: string; detail: string }> = [];
  for (const service of services) {
    if (!platform.running(service)) {
      problems.push({ check: 'service down', detail: `${service} is no longer running: ${platform.logs(service).slice(-25).join(' | ').slice(-3000)}` });
      continue;
    }
    const base = service === 'wallet' ? platform.env.WALLET_GRAPHQL_URL : platform.url(service);
    if (!base) continue;
    const status = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) }).then(
      async (r) => (r.status === 200 ? undefined : `${r.status} ${(await r.text()).slice(0, 300)}`),
      (err: Error) => err.message,
    );
    if (status !== undefined) problems.push({ check: 'service not ready', detail: `${service} /readyz: ${status}` });
  }
  return problems;
}
