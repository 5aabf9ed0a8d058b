import { useId, useState, type FormEvent } from 'react';
import { ok } from '../shared/api/client.ts';
import { ApiProblem } from '../shared/api/problem.ts';
import type { PaymentMethod, Wallet } from '../shared/api/types.ts';
import { Field, FormMessage, useSubmission } from '../shared/forms.tsx';
import { useIntentKey } from '../shared/intent.ts';
import { checkAmount, formatMoney } from '../shared/money.ts';
import { Link } from '../shared/router.tsx';
import { useSession } from '../shared/session.tsx';

const FIELDS = ['wallet', 'amount', 'currency', 'payment_method_id'] as const;

const KINDS = {
  'top-up': { title: 'Top up', verb: 'Top up', pending: 'Topping up…', path: '/v1/wallets/{id}/top-ups', done: (m: string, c: string) => `Added ${m} to your ${c} wallet.` },
  withdrawal: { title: 'Withdraw', verb: 'Withdraw', pending: 'Withdrawing…', path: '/v1/wallets/{id}/withdrawals', done: (m: string, c: string) => `Withdrew ${m} from your ${c} wallet.` },
} as const;

/** Top up a wallet from a card, or withdraw to one: a money-moving request with its own Idempotency-Key per intent. */
export function MoneyMovementForm({ kind, wallets, methods, onMoved }: { kind: keyof typeof KINDS; wallets: Wallet[]; methods: PaymentMethod[]; onMoved: (wallet: Wallet) => void }) {
  const { api } = useSession();
  const text = KINDS[kind];
  const headingId = useId();
  const usable = methods.filter((m) => m.status === 'active');
  const [walletId, setWalletId] = useState(wallets[0]?.id ?? '');
  const [amount, setAmount] = useState('');
  const [methodId, setMethodId] = useState('');
  const [done, setDone] = useState<string>();
  const form = useSubmission(FIELDS);
  const intent = useIntentKey();
  const wallet = wallets.find((w) => w.id === walletId) ?? wallets[0];
  const chosenMethod = usable.some((m) => m.id === methodId) ? methodId : (usable[0]?.id ?? '');

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    if (!wallet?.id || !wallet.currency) return;
    const checked = checkAmount(amount, wallet.currency);
    if (!form.check({ amount: checked.ok ? undefined : checked.message, payment_method_id: chosenMethod ? undefined : 'Choose a card.' }) || !checked.ok) return;
    const body = { amount: checked.amount, currency: wallet.currency, payment_method_id: chosenMethod };
    const key = intent.keyFor({ kind, wallet: wallet.id, ...body });
    void form.submit(async () => {
      try {
        const moved = await ok(api.POST(text.path, { params: { path: { id: wallet.id! }, header: { 'idempotency-key': key } }, body }));
        intent.settle();
        if (moved.wallet) onMoved(moved.wallet);
        setAmount('');
        setDone(text.done(formatMoney(body.amount, body.currency), body.currency));
      } catch (err) {
        intent.settle(err instanceof ApiProblem ? err : undefined);
        throw err;
      }
    });
  };

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>{text.title}</h2>
      {usable.length === 0 ? (
        <p>
          {kind === 'top-up' ? 'To top up, ' : 'To withdraw, '}
          <Link to="/cards">add a card</Link> first.
        </p>
      ) : (
        <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
          <FormMessage kind="error">{form.formError}</FormMessage>
          <FormMessage kind="success">{done}</FormMessage>
          {wallets.length > 1 && (
            <Field label="Wallet" name="wallet" error={form.errors.wallet ?? form.errors.currency}>
              {(p) => (
                <select {...p} value={wallet?.id} onChange={(e) => setWalletId(e.target.value)}>
                  {wallets.map((w) => (
                    <option key={w.id} value={w.id}>
                      {w.currency}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field label={`Amount (${wallet?.currency ?? ''})`} name="amount" error={form.errors.amount}>
            {(p) => <input {...p} inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} />}
          </Field>
          <Field label="Card" name="payment_method_id" error={form.errors.payment_method_id}>
            {(p) => (
              <select {...p} value={chosenMethod} onChange={(e) => setMethodId(e.target.value)}>
                {usable.map((m) => (
                  <option key={m.id} value={m.id}>
                    {cardLabel(m)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={form.pending}>
            {form.pending ? text.pending : text.verb}
          </button>
        </form>
      )}
    </section>
  );
}

export const cardLabel = (m: PaymentMethod) =>
  `${(m.brand ?? 'card').replace(/^./, (c) => c.toUpperCase())} ending ${m.last4} (expires ${String(m.exp_month).padStart(2, '0')}/${m.exp_year})`;
