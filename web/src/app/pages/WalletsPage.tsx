import { useId, useState, type FormEvent } from 'react';
import { ok } from '../../shared/api/client.ts';
import { ApiProblem } from '../../shared/api/problem.ts';
import type { Wallet } from '../../shared/api/types.ts';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { useIntentKey } from '../../shared/intent.ts';
import { formatMinorMoney } from '../../shared/money.ts';
import { Page } from '../../shared/page.tsx';
import { useSession } from '../../shared/session.tsx';
import { CURRENCY_CHOICES } from '../currencies.ts';
import { usePaymentMethods, useWallets } from '../data.ts';
import { MoneyMovementForm } from '../MoneyMovementForm.tsx';

export function WalletsPage() {
  const { wallets, error, replace, add } = useWallets();
  const { methods } = usePaymentMethods();
  return (
    <Page title="Wallets" app="PayMesh">
      {error && <FormMessage kind="error">{error}</FormMessage>}
      {!wallets ? (
        <p aria-busy="true">Loading your wallets…</p>
      ) : (
        <>
          <ul className="wallets" aria-label="Your wallets">
            {wallets.map((w) => (
              <li key={w.id}>
                <WalletCard wallet={w} />
              </li>
            ))}
          </ul>
          {wallets.length === 0 && <p>Your wallet is being opened. It appears here in a moment.</p>}
          {wallets.length > 0 && methods && (
            <div className="columns">
              <MoneyMovementForm kind="top-up" wallets={wallets} methods={methods} onMoved={replace} />
              <MoneyMovementForm kind="withdrawal" wallets={wallets} methods={methods} onMoved={replace} />
            </div>
          )}
          <OpenWalletForm have={wallets.map((w) => w.currency ?? '')} onOpened={add} />
        </>
      )}
    </Page>
  );
}

function WalletCard({ wallet }: { wallet: Wallet }) {
  const id = useId();
  const currency = wallet.currency ?? '';
  const money = (minor: string | undefined) => formatMinorMoney(minor ?? '0', currency);
  return (
    <article className="card wallet" aria-labelledby={id} data-currency={currency}>
      <h2 id={id}>{currency} wallet</h2>
      <dl>
        <div>
          <dt>Balance</dt>
          <dd className="amount amount-large" data-testid={`balance-${currency}`}>
            {money(wallet.balance_minor)}
          </dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd className="amount" data-testid={`available-${currency}`}>
            {money(wallet.available_minor)}
          </dd>
        </div>
        <div>
          <dt>Frozen</dt>
          <dd className="amount" data-testid={`frozen-${currency}`}>
            {money(wallet.frozen_minor)}
          </dd>
        </div>
      </dl>
    </article>
  );
}

const OPEN_FIELDS = ['currency'] as const;

function OpenWalletForm({ have, onOpened }: { have: string[]; onOpened: (wallet: Wallet) => void }) {
  const { api } = useSession();
  const headingId = useId();
  const choices = CURRENCY_CHOICES.filter((c) => !have.includes(c.code));
  const [currency, setCurrency] = useState('');
  const form = useSubmission(OPEN_FIELDS);
  const intent = useIntentKey();
  const chosen = choices.some((c) => c.code === currency) ? currency : (choices[0]?.code ?? '');
  if (choices.length === 0) return null;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const body = { currency: chosen };
    const key = intent.keyFor(body);
    void form.submit(async () => {
      try {
        const opened = await ok(api.POST('/v1/wallets', { params: { header: { 'idempotency-key': key } }, body }));
        intent.settle();
        onOpened(opened);
      } catch (err) {
        intent.settle(err instanceof ApiProblem ? err : undefined);
        throw err;
      }
    });
  };

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Open a wallet in another currency</h2>
      <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-labelledby={headingId} className="inline-form">
        <FormMessage kind="error">{form.formError}</FormMessage>
        <Field label="Currency" name="currency" error={form.errors.currency}>
          {(p) => (
            <select {...p} value={chosen} onChange={(e) => setCurrency(e.target.value)}>
              {choices.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.code} · {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button-secondary" disabled={form.pending}>
          Open wallet
        </button>
      </form>
    </section>
  );
}
