/**
 * What must never leave a process in a span, a log line or a message: card
 * numbers, passwords, tokens and full email addresses. Structured fields are
 * dropped by name (pino's redact paths, the span attribute allow-list); free
 * text (error messages, URLs) is scrubbed here, at the seam, because a
 * message such as "no user with email bob@example.com" is built far from it.
 */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g;
// 13 to 19 digits, optionally grouped by single spaces or dashes, standing alone.
const CARD_CANDIDATE = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;
// A JWT: three base64url parts, the first a JSON header ("eyJ").
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
const SECRET_PAIR = /\b(password|passwd|secret|token|access_token|refresh_token|api_key|cvc|cvv)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s"'&,;}]+)/gi;

/** `jane@example.com` → `j***@example.com`: enough to recognise, not enough to mail. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** The Luhn check every card number passes; most other long digit runs (ids, timestamps) do not. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** Free text with emails masked and card numbers, JWTs, bearer tokens and `password=...` pairs removed. */
export function scrubText(text: string): string {
  if (text.length === 0) return text;
  return text
    .replace(JWT, '[redacted-token]')
    .replace(BEARER, '$1 [redacted]')
    .replace(SECRET_PAIR, (_match, key: string, separator: string, value: string) => {
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : '';
      return `${key}${separator}${quote}[redacted]${quote}`;
    })
    .replace(CARD_CANDIDATE, (match) => (passesLuhn(match.replace(/[ -]/g, '')) ? '[redacted-card]' : match))
    .replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
}

/** Field names whose values are never logged, whatever object they sit in (pino redact paths, two levels deep). */
export const SECRET_FIELDS = [
  'password',
  'new_password',
  'current_password',
  'token',
  'access_token',
  'refresh_token',
  'authorization',
  'cookie',
  'number',
  'card_number',
  'cvc',
  'cvv',
  'secret',
];

export function pinoRedactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) paths.push(field, `*.${field}`, `*.*.${field}`);
  paths.push('req.headers.authorization', 'headers.authorization', 'headers.cookie');
  return paths;
}
