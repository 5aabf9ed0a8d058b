import type { Kysely } from 'kysely';
import { counter } from '../../../observability/metrics.ts';
import type { PaymentRow, PaymentSchema } from '../schema.ts';

const leftForOwner = counter('saga_left_for_owner_total', 'Saga messages and sweeps about a payment another live version accepted, left for that version', ['accepted_by', 'source']);

/**
 * Which payment versions (v1, the v2 canary) are alive: each version that
 * runs the saga's monitor writes `alive_until` into `payment_versions` at
 * every sweep, and withdraws it (alive until now) when it stops. A version
 * that does not run its monitor (PAYMENT_CONSUMERS=off) never claims to be
 * alive, so its sagas are taken over by the others as before.
 */
export class PaymentVersions {
  private readonly db: Kysely<PaymentSchema>;
  private readonly cache = new Map<string, { alive: boolean; readAt: number }>();
  private readonly cacheMs: number;

  constructor(db: Kysely<PaymentSchema>, options: { cacheMs?: number } = {}) {
    this.db = db;
    this.cacheMs = options.cacheMs ?? 1000;
  }

  /** This version is alive for `aliveForMs` from `now` (written by its sweep). */
  async heartbeat(version: string, aliveForMs: number, now = new Date()): Promise<void> {
    const row = { version, alive_until: new Date(now.getTime() + aliveForMs).toISOString(), seen_at: now.toISOString() };
    await this.db
      .insertInto('payment_versions')
      .values(row)
      .onConflict((oc) => oc.column('version').doUpdateSet({ alive_until: row.alive_until, seen_at: row.seen_at }))
      .execute();
  }

  /** This version stops: the others may take its sagas over at once (after one idle time). */
  async retire(version: string, now = new Date()): Promise<void> {
    await this.db.updateTable('payment_versions').set({ alive_until: now.toISOString() }).where('version', '=', version).execute();
    this.cache.delete(version);
  }

  async isAlive(version: string, now = new Date()): Promise<boolean> {
    const cached = this.cache.get(version);
    if (cached && now.getTime() - cached.readAt < this.cacheMs) return cached.alive;
    const row = await this.db.selectFrom('payment_versions').select('alive_until').where('version', '=', version).executeTakeFirst();
    const alive = !!row && row.alive_until > now.toISOString();
    this.cache.set(version, { alive, readAt: now.getTime() });
    return alive;
  }
}

/**
 * Whether this version may take over a saga left still: its own ('own'); one
 * whose accepting version is gone ('owner_gone'); one its live owner has left
 * still for three idle times ('owner_silent', the takeover that never strands a
 * payment); otherwise it is left for the version that accepted it ('leave').
 */
export type Claim = 'own' | 'owner_gone' | 'owner_silent' | 'leave';

export async function claimSaga(
  payment: Pick<PaymentRow, 'accepted_by' | 'updated_at'>,
  options: {
    version: string | undefined;
    versions: PaymentVersions | undefined;
    idleMs: number;
    /** How long a live owner may leave it still before it is taken over anyway (default three idle times). */
    silentAfterMs?: number;
    now?: Date;
    source: 'payment-processing' | 'payment-saga' | 'sweep';
  },
): Promise<Claim> {
  const now = options.now ?? new Date();
  if (!options.version || payment.accepted_by === options.version) return 'own';
  if (options.versions && !(await options.versions.isAlive(payment.accepted_by, now))) return 'owner_gone';
  if (now.getTime() - Date.parse(payment.updated_at) >= (options.silentAfterMs ?? 3 * options.idleMs)) return 'owner_silent';
  leftForOwner.inc({ accepted_by: payment.accepted_by, source: options.source });
  return 'leave';
}
