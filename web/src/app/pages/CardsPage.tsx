import { useId, useState, type FormEvent } from 'react';
import { ok } from '../../shared/api/client.ts';
import type { PaymentMethod } from '../../shared/api/types.ts';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { useSession } from '../../shared/session.tsx';
import { usePaymentMethods } from '../data.ts';
import { cardLabel } from '../MoneyMovementForm.tsx';

const FIELDS = ['number', 'exp_month', 'exp_year', 'cvc'] as const;

export function CardsPage() {
  const { methods, error, add } = usePaymentMethods();
  const listId = useId();
  return (
    <Page title="Cards" app="PayMesh">
      {error && <FormMessage kind="error">{error}</FormMessage>}
      <section className="card" aria-labelledby={listId}>
        <h2 id={listId}>Your cards</h2>
        {!methods ? (
          <p aria-busy="true">Loading your cards…</p>
        ) : methods.length === 0 ? (
          <p>No cards yet. Add one below to top up or withdraw.</p>
        ) : (
          <ul className="plain-list">
            {methods.map((m) => (
              <li key={m.id}>
                {cardLabel(m)} {m.status !== 'active' && <span className="tag tag-bad">{m.status}</span>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <AddCardForm onAdded={add} />
    </Page>
  );
}

function AddCardForm({ onAdded }: { onAdded: (method: PaymentMethod) => void }) {
  const { api } = useSession();
  const headingId = useId();
  const nextYear = String(new Date().getFullYear() + 2);
  const [values, setValues] = useState({ number: '', exp_month: '12', exp_year: nextYear, cvc: '' });
  const [done, setDone] = useState<string>();
  const form = useSubmission(FIELDS);
  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: event.target.value }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    const digits = values.number.replace(/[\s-]/g, '');
    const month = Number.parseInt(values.exp_month, 10);
    const year = Number.parseInt(values.exp_year, 10);
    const valid = form.check({
      number: /^\d{12,19}$/.test(digits) ? undefined : 'Enter the 12 to 19 digits of the card number.',
      exp_month: /^\d{1,2}$/.test(values.exp_month) && month >= 1 && month <= 12 ? undefined : 'Enter a month from 1 to 12.',
      exp_year: /^\d{4}$/.test(values.exp_year) ? undefined : 'Enter a four-digit year.',
      cvc: values.cvc === '' || /^\d{3,4}$/.test(values.cvc) ? undefined : 'Enter the 3 or 4 digits on the back of the card.',
    });
    if (!valid) return;
    void form.submit(async () => {
      const added = await ok(api.POST('/v1/payment-methods', { body: { number: digits, exp_month: month, exp_year: year, ...(values.cvc ? { cvc: values.cvc } : {}) } }));
      onAdded(added);
      setValues((v) => ({ ...v, number: '', cvc: '' }));
      setDone(added.status === 'active' ? `Added ${cardLabel(added)}.` : `Added ${cardLabel(added)}, but it was declined: it cannot be used to move money.`);
    });
  };

  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Add a test card</h2>
      <p className="hint">
        Test numbers: <code>4242 4242 4242 4242</code> works; <code>4000 0000 0000 0002</code> is declined. Only the brand, last four digits and expiry are kept.
      </p>
      <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-labelledby={headingId}>
        <FormMessage kind="error">{form.formError}</FormMessage>
        <FormMessage kind="success">{done}</FormMessage>
        <Field label="Card number" name="number" error={form.errors.number}>
          {(p) => <input {...p} inputMode="numeric" autoComplete="cc-number" value={values.number} onChange={set('number')} />}
        </Field>
        <div className="row">
          <Field label="Expiry month" name="exp_month" error={form.errors.exp_month}>
            {(p) => <input {...p} inputMode="numeric" autoComplete="cc-exp-month" maxLength={2} value={values.exp_month} onChange={set('exp_month')} />}
          </Field>
          <Field label="Expiry year" name="exp_year" error={form.errors.exp_year}>
            {(p) => <input {...p} inputMode="numeric" autoComplete="cc-exp-year" maxLength={4} value={values.exp_year} onChange={set('exp_year')} />}
          </Field>
          <Field label="CVC" name="cvc" optional error={form.errors.cvc}>
            {(p) => <input {...p} inputMode="numeric" autoComplete="cc-csc" maxLength={4} value={values.cvc} onChange={set('cvc')} />}
          </Field>
        </div>
        <button type="submit" disabled={form.pending}>
          {form.pending ? 'Adding…' : 'Add card'}
        </button>
      </form>
    </section>
  );
}
