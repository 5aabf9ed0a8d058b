import currencyCodes from 'currency-codes';
import { invalidArgument } from './errors.ts';

/**
 * Money inside PayMesh is an integer count of the currency's minor units
 * (bigint) plus an ISO 4217 code. Doubles exist only at the seed-compatible
 * edges, and are accepted only when they convert exactly.
 */
export interface Money {
  readonly minor: bigint;
  readonly currency: string;
}

/** No single movement may exceed this many minor units (10^15: ten trillion dollars). */
export const MAX_AMOUNT_MINOR = 10n ** 15n;
/** No balance may exceed this, far below int64's limit so sums can never overflow. */
export const MAX_BALANCE_MINOR = 10n ** 17n;

const digitsCache = new Map<string, number>();

/** Minor-unit exponent of an ISO 4217 currency (USD 2, JPY 0, KWD 3); throws on unknown codes. */
export function minorUnits(currency: string): number {
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw invalidArgument('INVALID_CURRENCY', `currency must be an ISO 4217 code such as USD, got '${currency}'`, 'currency');
  }
  const entry = currencyCodes.code(currency);
  // Funds, precious metals and testing codes (XAU, XTS, ...) carry no minor-unit exponent: refuse them.
  if (!entry || typeof entry.digits !== 'number' || currency.startsWith('X')) {
    throw invalidArgument('INVALID_CURRENCY', `currency '${currency}' is not a supported ISO 4217 currency`, 'currency');
  }
  digitsCache.set(currency, entry.digits);
  return entry.digits;
}

export function isSupportedCurrency(currency: string): boolean {
  try {
    minorUnits(currency);
    return true;
  } catch {
    return false;
  }
}

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/**
 * Parses a decimal string ("10.25") into minor units, exactly.
 * Rejects more fractional digits than the currency has, signs unless allowed, and exponents.
 */
export function parseDecimal(text: string, currency: string, field = 'amount', opts: { allowNegative?: boolean } = {}): bigint {
  const digits = minorUnits(currency);
  const match = DECIMAL.exec(text.trim());
  if (!match) {
    throw invalidArgument('INVALID_AMOUNT', `${field} must be a decimal number such as "10.25", got '${text}'`, field);
  }
  const [, sign, whole = '0', fraction = ''] = match;
  if (fraction.length > digits) {
    throw invalidArgument(
      'INVALID_AMOUNT',
      `${field} ${text} has more decimal places than ${currency} allows (${digits})`,
      field,
    );
  }
  const minor = BigInt(whole + fraction.padEnd(digits, '0'));
  const signed = sign ? -minor : minor;
  if (signed < 0n && !opts.allowNegative) {
    throw invalidArgument('INVALID_AMOUNT', `${field} must not be negative`, field);
  }
  return signed;
}

/**
 * Converts a seed-style double into minor units. JavaScript's shortest
 * round-trip rendering of the double is the decimal the client meant
 * (0.1 prints as "0.1"), so the check is done on that text, never by
 * multiplying floats.
 */
export function fromDouble(value: number, currency: string, field = 'amount', opts: { allowNegative?: boolean } = {}): bigint {
  if (!Number.isFinite(value)) {
    throw invalidArgument('INVALID_AMOUNT', `${field} must be a finite number`, field);
  }
  if (Math.abs(value) > Number(MAX_AMOUNT_MINOR)) {
    throw invalidArgument('AMOUNT_TOO_LARGE', `${field} exceeds the maximum of ${formatMinor(MAX_AMOUNT_MINOR, currency)} ${currency}`, field);
  }
  // Only magnitudes below 1e-6 or from 1e21 print with an exponent: the bound above
  // excludes the large ones, and the small ones have more decimals than any currency.
  const text = String(value);
  if (text.includes('e')) {
    throw invalidArgument('INVALID_AMOUNT', `${field} ${text} has more decimal places than ${currency} allows`, field);
  }
  return parseDecimal(text, currency, field, opts);
}

/** Formats minor units as a plain decimal string ("10.25", "-3.50", "100"). */
export function formatMinor(minor: bigint, currency: string): string {
  const digits = minorUnits(currency);
  const negative = minor < 0n;
  const abs = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const text = digits === 0 ? abs : `${abs.slice(0, -digits)}.${abs.slice(-digits)}`;
  return negative ? `-${text}` : text;
}

/** The seed's double view of an amount: only a compatible extra, never used for arithmetic. */
export function toDouble(minor: bigint, currency: string): number {
  return Number(formatMinor(minor, currency));
}

/** Validates a positive amount within PayMesh's limits. */
export function requirePositiveAmount(minor: bigint, field = 'amount'): bigint {
  if (minor <= 0n) throw invalidArgument('INVALID_AMOUNT', `${field} must be greater than zero`, field);
  if (minor > MAX_AMOUNT_MINOR) {
    throw invalidArgument('AMOUNT_TOO_LARGE', `${field} exceeds the maximum of ${MAX_AMOUNT_MINOR} minor units`, field);
  }
  return minor;
}
