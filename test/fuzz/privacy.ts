/** The shapes of every private value: a UUID, or an email address. */
const PRIVATE_SHAPES = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}/gi;

/**
 * Who may see what: values private to fixture users (their emails, wallet,
 * card, payment and notification ids), each with the users allowed to see
 * it. An answer to one caller that contains a value only others may see is a
 * leak, unless the caller wrote that value in the request itself (an error
 * that quotes a wallet id back is no leak).
 */
export class Privacy {
  private readonly owners = new Map<string, Set<string>>();
  private readonly walletsOf = new Map<string, Set<string>>();
  private readonly partners = new Map<string, Set<string>>();

  /** A value only these users may see. */
  add(value: string, ...users: string[]): void {
    const key = value.toLowerCase();
    let owners = this.owners.get(key);
    if (!owners) this.owners.set(key, (owners = new Set()));
    for (const user of users) owners.add(user);
  }

  /** A wallet id: its owner sees it, and so does anyone the owner paid or was paid by (a payment's record names both wallets). */
  addWallet(walletId: string, owner: string): void {
    this.add(walletId, owner, ...(this.partners.get(owner) ?? []));
    let wallets = this.walletsOf.get(owner);
    if (!wallets) this.walletsOf.set(owner, (wallets = new Set()));
    wallets.add(walletId.toLowerCase());
  }

  /** Two users in a payment (made, or only tried): each may see the other's wallet ids, now and later ones too. */
  counterparties(a: string, b: string): void {
    for (const [one, other] of [[a, b], [b, a]] as const) {
      let partners = this.partners.get(one);
      if (!partners) this.partners.set(one, (partners = new Set()));
      partners.add(other);
      for (const wallet of this.walletsOf.get(one) ?? []) this.owners.get(wallet)?.add(other);
    }
  }

  /**
   * The private values in `answer` that `caller` (a fixture user's id, or
   * undefined for a caller without a valid token) may not see and did not
   * send in `request`. Every private value is a UUID or an email, so the
   * answer is scanned for those shapes and each one looked up, whatever the
   * number of values known.
   */
  leaks(caller: string | undefined, request: string, answer: string): string[] {
    if (this.owners.size === 0 || answer.length === 0) return [];
    const found = new Set<string>();
    let requestText: string | undefined;
    for (const match of answer.matchAll(PRIVATE_SHAPES)) {
      const value = match[0].toLowerCase();
      const owners = this.owners.get(value);
      if (!owners || (caller !== undefined && owners.has(caller))) continue;
      requestText ??= request.toLowerCase();
      if (requestText.includes(value)) continue;
      const at = match.index ?? 0;
      found.add(`${value} (of ${[...owners].join(', ') || 'no one'}) in …${answer.slice(Math.max(0, at - 80), at + value.length + 20)}…`);
    }
    return [...found];
  }
}
