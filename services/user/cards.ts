import { invalidArgument } from '../../contracts/errors.ts';

export type CardStatus = 'active' | 'declined';

/**
 * What PayMesh keeps of a card: brand, last four digits and expiry. The full
 * number and the CVC are checked here and then dropped; they are never stored,
 * logged or published.
 */
export interface CardSummary {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  status: CardStatus;
}

/**
 * Test numbers that pass every check but are stored as `declined`, as card
 * processors' sandboxes do (these are Stripe's decline test cards), so the
 * payment flow can exercise a refused method.
 */
export const DECLINED_TEST_CARDS: ReadonlyMap<string, string> = new Map([
  ['4000000000000002', 'generic decline'],
  ['4000000000009995', 'insufficient funds'],
]);

interface BrandRule {
  brand: string;
  prefix: (digits: string) => boolean;
  lengths: number[];
}

const between = (digits: string, width: number, low: number, high: number) => {
  const head = Number(digits.slice(0, width));
  return head >= low && head <= high;
};

// Hand-written: no card-number library is installed, and the IIN ranges of the major brands are short and stable.
const BRANDS: BrandRule[] = [
  { brand: 'amex', prefix: (d) => /^3[47]/.test(d), lengths: [15] },
  { brand: 'diners', prefix: (d) => /^3(0[0-5]|[689])/.test(d), lengths: [14, 16, 19] },
  { brand: 'jcb', prefix: (d) => between(d, 4, 3528, 3589), lengths: [16, 17, 18, 19] },
  { brand: 'mastercard', prefix: (d) => between(d, 2, 51, 55) || between(d, 4, 2221, 2720), lengths: [16] },
  { brand: 'discover', prefix: (d) => /^(6011|65|64[4-9])/.test(d), lengths: [16, 19] },
  { brand: 'unionpay', prefix: (d) => /^62/.test(d), lengths: [16, 17, 18, 19] },
  { brand: 'visa', prefix: (d) => /^4/.test(d), lengths: [13, 16, 19] },
];

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let n = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

/** A card is usable through the last day of its expiry month (UTC). */
export function isExpired(expMonth: number, expYear: number, now: Date): boolean {
  const year = now.getUTCFullYear();
  return expYear < year || (expYear === year && expMonth < now.getUTCMonth() + 1);
}

const MAX_YEARS_AHEAD = 20;

/** Checks a card and reduces it to what may be kept. Error messages never echo the number. */
export function summariseCard(card: { number: string; exp_month: number; exp_year: number; cvc?: string }, now: Date): CardSummary {
  const digits = card.number.replace(/[ -]/g, '');
  if (!/^\d{12,19}$/.test(digits)) {
    throw invalidArgument('INVALID_CARD_NUMBER', 'number must be 12 to 19 digits (spaces and dashes allowed)', 'number');
  }
  if (!luhnValid(digits)) throw invalidArgument('INVALID_CARD_NUMBER', 'number is not a valid card number (check digit mismatch)', 'number');
  const rule = BRANDS.find((b) => b.prefix(digits));
  if (!rule) throw invalidArgument('UNSUPPORTED_CARD_BRAND', 'number is not from a supported card brand', 'number');
  if (!rule.lengths.includes(digits.length)) {
    throw invalidArgument('INVALID_CARD_NUMBER', `number has the wrong length for a ${rule.brand} card`, 'number');
  }
  if (!Number.isInteger(card.exp_month) || card.exp_month < 1 || card.exp_month > 12) {
    throw invalidArgument('INVALID_EXPIRY', 'exp_month must be a month from 1 to 12', 'exp_month');
  }
  if (!Number.isInteger(card.exp_year) || card.exp_year > now.getUTCFullYear() + MAX_YEARS_AHEAD) {
    throw invalidArgument('INVALID_EXPIRY', `exp_year must be a four-digit year at most ${MAX_YEARS_AHEAD} years ahead`, 'exp_year');
  }
  if (isExpired(card.exp_month, card.exp_year, now)) {
    const field = card.exp_year < now.getUTCFullYear() ? 'exp_year' : 'exp_month';
    throw invalidArgument('CARD_EXPIRED', 'the card has expired', field);
  }
  const cvcLength = rule.brand === 'amex' ? 4 : 3;
  if (card.cvc !== undefined && !new RegExp(`^\\d{${cvcLength}}$`).test(card.cvc)) {
    throw invalidArgument('INVALID_CVC', `cvc must be ${cvcLength} digits for a ${rule.brand} card`, 'cvc');
  }
  return {
    brand: rule.brand,
    last4: digits.slice(-4),
    exp_month: card.exp_month,
    exp_year: card.exp_year,
    status: DECLINED_TEST_CARDS.has(digits) ? 'declined' : 'active',
  };
}
