import { invalidArgument } from '../../contracts/errors.ts';

// Deliberately loose (one @, a dot in the domain, no spaces): the real check is that mail arrives.
const EMAIL = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;

/** Trimmed and lower-cased: the form emails are stored, looked up and made unique in. */
export function normaliseEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw invalidArgument('INVALID_EMAIL', `${field} must be an email address such as jane@example.com`, field);
  }
  return email;
}

/** `jane@example.com` → `j***@example.com`: enough to recognise, not enough to mail. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
