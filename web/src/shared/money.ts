/**
 * Money in the browser follows the server's rules exactly, because it is the
 * server's code: contracts/money.ts parses decimal text into integer minor units
 * (bigint) with the currency's ISO 4217 exponent. No amount ever passes through
 * a JavaScript number: text in, canonical decimal text out, and display through
 * Intl.NumberFormat, which formats a decimal string exactly.
 */
import { formatMinor, isSupportedCurrency, MAX_AMOUNT_MINOR, minorUnits, parseDecimal } from '../../../contracts/money.ts';

export { isSupportedCurrency, minorUnits };

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string, locale: string | undefined): Intl.NumberFormat {
  const cacheKey = `${locale ?? ''}:${currency}`;
  let formatter = formatters.get(cacheKey);
  if (!formatter) {
    const digits = minorUnits(currency);
    // The ISO exponent, not the locale data's default: both sides must show the same precision the ledger keeps.
    formatter = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: digits, maximumFractionDigits: digits });
    formatters.set(cacheKey, formatter);
  }
  return formatter;
}

/** "1234.5" USD → "$1,234.50" (in the reader's locale); a decimal string, never a float. */
export function formatMoney(decimal: string, currency: string, locale?: string): string {
  try {
    return formatterFor(currency, locale).format(decimal as `${number}`);
  } catch {
    return `${decimal} ${currency}`;
  }
}

/** Minor units as the API sends them ("2550") → "$25.50". */
export function formatMinorMoney(minor: string | bigint, currency: string, locale?: string): string {
  try {
    return formatMoney(formatMinor(BigInt(minor), currency), currency, locale);
  } catch {
    return `${String(minor)} (minor units) ${currency}`;
  }
}

export type AmountCheck = { ok: true; amount: string; minor: bigint } | { ok: false; message: string };

/**
 * Checks an amount typed by the user before anything is sent: digits with at
 * most one decimal point and no more decimals than the currency has, above
 * zero and within PayMesh's limit. `amount` is the canonical decimal the API
 * expects ("10.5" USD → "10.50").
 */
export function checkAmount(text: string, currency: string): AmountCheck {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, message: 'Enter an amount.' };
  let digits: number;
  try {
    digits = minorUnits(currency);
  } catch {
    return { ok: false, message: `${currency} is not a currency PayMesh supports.` };
  }
  const example = digits === 0 ? '1000' : `10.${'5'.padEnd(digits, '0')}`;
  if (!/^\d+(\.\d+)?$/.test(trimmed)) {
    return {
      ok: false,
      message: /,/.test(trimmed)
        ? `Use a dot for decimals and no thousands separators, e.g. ${example}.`
        : `Enter a number such as ${example}, without a sign or currency symbol.`,
    };
  }
  let minor: bigint;
  try {
    minor = parseDecimal(trimmed, currency);
  } catch {
    return {
      ok: false,
      message: digits === 0 ? `${currency} has no decimal places: enter a whole number.` : `${currency} allows at most ${digits} decimal places.`,
    };
  }
  if (minor <= 0n) return { ok: false, message: 'Enter an amount greater than zero.' };
  if (minor > MAX_AMOUNT_MINOR) return { ok: false, message: `The most one movement can be is ${formatMinorMoney(MAX_AMOUNT_MINOR, currency)}.` };
  return { ok: true, amount: formatMinor(minor, currency), minor };
}
