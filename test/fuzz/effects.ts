/**
 * What the platform said yes to during the campaign: every accepted request
 * that may change a fixture user's data, as the ids its answer named. At
 * the end every change found in the services' data must be one of these;
 * anything else was changed by a request that was refused, or by no request.
 */
export class AcceptedEffects {
  /** Journal entries named by accepted answers (top-ups, withdrawals, gRPC movements). */
  readonly entries = new Set<string>();
  /** Money brought in (+) or taken out (−) per entry, by currency: a replay names its entry again and counts once. */
  private readonly moneyByEntry = new Map<string, { currency: string; minor: bigint }>();
  /** Payments accepted (202), with their parties. */
  readonly payments = new Map<string, { sender: string; receiver: string }>();
  /** Holds made by accepted ReserveFunds calls. */
  readonly holds = new Set<string>();
  /** Wallets opened by accepted requests, and wallets whose status an accepted request set. */
  readonly walletsOpened = new Set<string>();
  readonly walletStatusSet = new Set<string>();
  /** Payment methods added by accepted requests. */
  readonly cards = new Set<string>();
  /** Per user, the notifications an accepted mark-read may have changed ('all', or the ids it listed). */
  private readonly markRead = new Map<string, Set<string> | 'all'>();

  moneyMoved(entryId: string, currency: string, minor: bigint): void {
    this.entries.add(entryId);
    this.moneyByEntry.set(entryId, { currency, minor });
  }

  /** Net money brought into the platform per currency by accepted requests. */
  moneyIn(): Map<string, bigint> {
    const totals = new Map<string, bigint>();
    for (const { currency, minor } of this.moneyByEntry.values()) totals.set(currency, (totals.get(currency) ?? 0n) + minor);
    return totals;
  }

  notificationsMarked(userId: string, ids: string[] | undefined): void {
    const known = this.markRead.get(userId);
    if (known === 'all') return;
    if (ids === undefined) {
      this.markRead.set(userId, 'all');
      return;
    }
    const set = known ?? new Set<string>();
    for (const id of ids) set.add(id);
    this.markRead.set(userId, set);
  }

  mayHaveMarkedRead(userId: string, notificationId: string): boolean {
    const marked = this.markRead.get(userId);
    return marked === 'all' || (marked?.has(notificationId) ?? false);
  }
}
