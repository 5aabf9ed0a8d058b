import { useState, type FormEvent } from 'react';
import { Field, FormMessage, useSubmission } from '../../shared/forms.tsx';
import { Page } from '../../shared/page.tsx';
import { useSession } from '../../shared/session.tsx';

const FIELDS = ['email', 'password'] as const;

/** Operators sign in with their PayMesh account; the console then checks that it is an operator's. */
export function SignInPage() {
  const { signIn, notice } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const form = useSubmission(FIELDS);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!form.check({ email: email.trim() ? undefined : 'Enter your email address.', password: password ? undefined : 'Enter your password.' })) return;
    void form.submit(() => signIn(email.trim(), password));
  };

  return (
    <div className="narrow">
      <Page title="Operator sign-in" app="PayMesh console">
        {notice && <FormMessage kind="error">{notice}</FormMessage>}
        <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-label="Operator sign-in" className="card">
          <FormMessage kind="error">{form.formError}</FormMessage>
          <Field label="Email" name="email" error={form.errors.email}>
            {(p) => <input {...p} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Password" name="password" error={form.errors.password}>
            {(p) => <input {...p} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
          </Field>
          <button type="submit" disabled={form.pending}>
            {form.pending ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        <p className="hint">The console is for PayMesh operators. The first one is printed by <code>npm start</code>; <code>paymesh operator create</code> adds more.</p>
      </Page>
    </div>
  );
}
