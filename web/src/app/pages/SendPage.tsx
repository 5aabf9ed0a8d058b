import { useState, type FormEvent } from 'react';
import { ok } from '../../shared/api/client.ts';
import { ApiProblem } from '../../shared/api/problem.ts';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { useIntentKey } from '../../shared/intent.ts';
import { checkAmount, formatMinorMoney } from '../../shared/money.ts';
import { Page } from '../../shared/page.tsx';
import { useRouter } from '../../shared/router.tsx';
import { useSession } from '../../shared/session.tsx';
import { useWallets } from '../data.ts';

const FIELDS = ['receiver_email', 'amount', 'currency', 'note'] as const;
const MAX_NOTE = 280;

export function SendPage() {
  const { api, user } = useSession();
  const { navigate } = useRouter();
  const { wallets } = useWallets();
  const [receiver, setReceiver] = useState('');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('');
  const [note, setNote] = useState('');
  const form = useSubmission(FIELDS);
  const intent = useIntentKey();
  const currencies = (wallets ?? []).map((w) => w.currency ?? '').filter(Boolean);
  const chosen = currencies.includes(currency) ? currency : currencies.includes(user?.default_currency ?? '') ? user!.default_currency! : (currencies[0] ?? '');
  const wallet = wallets?.find((w) => w.currency === chosen);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const email = receiver.trim();
    const checked = checkAmount(amount, chosen);
    const valid = form.check({
      receiver_email: !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)
        ? 'Enter the email address of the person you are paying.'
        : email.toLowerCase() === user?.email?.toLowerCase()
          ? 'You cannot send money to yourself.'
          : undefined,
      amount: checked.ok ? undefined : checked.message,
      note: note.length > MAX_NOTE ? `Keep the note to ${MAX_NOTE} characters.` : undefined,
    });
    if (!valid || !checked.ok) return;
    const body = { receiver_email: email, amount: checked.amount, currency: chosen, ...(note.trim() ? { note: note.trim() } : {}) };
    const key = intent.keyFor(body);
    void form.submit(async () => {
      try {
        const payment = await ok(api.POST('/v1/payments', { params: { header: { 'idempotency-key': key } }, body }));
        intent.settle();
        navigate(`/payments/${payment.id}`);
      } catch (err) {
        intent.settle(err instanceof ApiProblem ? err : undefined);
        throw err;
      }
    });
  };

  return (
    <Page title="Send money" app="PayMesh">
      <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-label="Send money" className="card narrow-form">
        <FormMessage kind="error">{form.formError}</FormMessage>
        <Field label="Recipient's email" name="receiver_email" error={form.errors.receiver_email}>
          {(p) => <input {...p} type="email" autoComplete="off" value={receiver} onChange={(e) => setReceiver(e.target.value)} />}
        </Field>
        <div className="row">
          <Field
            label="Amount"
            name="amount"
            error={form.errors.amount}
            hint={wallet ? `Available: ${formatMinorMoney(wallet.available_minor ?? '0', chosen)}` : undefined}
          >
            {(p) => <input {...p} inputMode="decimal" autoComplete="off" value={amount} onChange={(e) => setAmount(e.target.value)} />}
          </Field>
          <Field label="Currency" name="currency" error={form.errors.currency}>
            {(p) => (
              <select {...p} value={chosen} onChange={(e) => setCurrency(e.target.value)} disabled={currencies.length < 2}>
                {currencies.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            )}
          </Field>
        </div>
        <Field label="Note" name="note" optional error={form.errors.note} hint={`${note.length} of ${MAX_NOTE} characters`}>
          {(p) => <textarea {...p} rows={2} value={note} onChange={(e) => setNote(e.target.value)} />}
        </Field>
        <button type="submit" disabled={form.pending || !chosen}>
          {form.pending ? 'Sending…' : 'Send'}
        </button>
      </form>
    </Page>
  );
}
