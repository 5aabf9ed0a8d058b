import { useState, type FormEvent } from 'react';
import { ok } from '../../shared/api/client.ts';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { Link } from '../../shared/router.tsx';
import { useSession } from '../../shared/session.tsx';
import { CURRENCY_CHOICES } from '../currencies.ts';

const FIELDS = ['email', 'password', 'first_name', 'last_name', 'default_currency'] as const;
const MIN_PASSWORD = 10;

export function SignUpPage() {
  const { api, signIn } = useSession();
  const [values, setValues] = useState({ email: '', password: '', first_name: '', last_name: '', default_currency: 'USD' });
  const form = useSubmission(FIELDS);
  const set = (name: keyof typeof values) => (event: { target: { value: string } }) => setValues((v) => ({ ...v, [name]: event.target.value }));

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const body = { ...values, email: values.email.trim(), first_name: values.first_name.trim(), last_name: values.last_name.trim() };
    const valid = form.check({
      email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(body.email) ? undefined : 'Enter an email address such as jane@example.com.',
      password: body.password.length >= MIN_PASSWORD ? undefined : `Use at least ${MIN_PASSWORD} characters.`,
      first_name: body.first_name ? undefined : 'Enter your first name.',
      last_name: body.last_name ? undefined : 'Enter your last name.',
    });
    if (!valid) return;
    void form.submit(async () => {
      await ok(api.POST('/v1/users', { body }));
      await signIn(body.email, body.password);
    });
  };

  return (
    <div className="narrow">
      <Page title="Create your account" app="PayMesh">
        <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-label="Create your account" className="card">
          <FormMessage kind="error">{form.formError}</FormMessage>
          <Field label="Email" name="email" error={form.errors.email}>
            {(p) => <input {...p} type="email" autoComplete="email" value={values.email} onChange={set('email')} />}
          </Field>
          <Field label="Password" name="password" error={form.errors.password} hint={`At least ${MIN_PASSWORD} characters.`}>
            {(p) => <input {...p} type="password" autoComplete="new-password" value={values.password} onChange={set('password')} />}
          </Field>
          <div className="row">
            <Field label="First name" name="first_name" error={form.errors.first_name}>
              {(p) => <input {...p} autoComplete="given-name" value={values.first_name} onChange={set('first_name')} />}
            </Field>
            <Field label="Last name" name="last_name" error={form.errors.last_name}>
              {(p) => <input {...p} autoComplete="family-name" value={values.last_name} onChange={set('last_name')} />}
            </Field>
          </div>
          <Field label="Main currency" name="default_currency" error={form.errors.default_currency} hint="Your first wallet holds this currency.">
            {(p) => (
              <select {...p} value={values.default_currency} onChange={set('default_currency')}>
                {CURRENCY_CHOICES.map((c) => (
                  <option key={c.code} value={c.code}>
                    {c.code} · {c.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="submit" disabled={form.pending}>
            {form.pending ? 'Creating your account…' : 'Create account'}
          </button>
        </form>
        <p>
          Already have an account? <Link to="/signin">Sign in</Link>
        </p>
      </Page>
    </div>
  );
}
