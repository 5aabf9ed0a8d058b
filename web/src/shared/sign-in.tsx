import { useState, type FormEvent, type ReactNode } from 'react';
import { Field, FormMessage, useSubmission } from './forms.tsx';
import { Page } from './page.tsx';
import { useSession } from './session.tsx';

const FIELDS = ['email', 'password'] as const;

/** The sign-in page of the web app and of the console: email and password, checked before sending, then the session's signIn. */
export function SignInForm({ title, app, children }: { title: string; app: string; children?: ReactNode }) {
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
      <Page title={title} app={app}>
        {notice && <FormMessage kind="error">{notice}</FormMessage>}
        <form ref={form.formRef} onSubmit={onSubmit} noValidate aria-label={title} className="card">
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
        {children}
      </Page>
    </div>
  );
}
