import { randomUUID } from 'node:crypto';
import fc from 'fast-check';

/*
 * Values a hostile client sends where a well-behaved one sends a string, a
 * number or an id: shared by every surface's inputs.
 */

/** Text that breaks naive handling: empty, blank, control characters, lone surrogates, other scripts, injection-shaped. */
export const NASTY_TEXT = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '😀',
  '👩‍👩‍👧‍👦',
  '\u202eoverride',
  'Ω≈ç√∫',
  '１２３',
  '٣',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  "'; DROP TABLE wallets; --",
  '" OR 1=1 --',
  '${jndi:ldap://127.0.0.1/x}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '\\u0000',
  'A'.repeat(257),
] as const;

/** Amounts as a hostile client writes them: exponents, signs, too many digits or decimals, locale formats, words. */
export const NASTY_AMOUNTS = [
  '1e3',
  '1E3',
  '-0',
  '-1',
  '-0.00',
  '+1',
  '0',
  '0.00',
  '0.001',
  '0.0001',
  '0.00001',
  '.5',
  '5.',
  '1.',
  '1,000.00',
  '1 000',
  '1_000',
  '10,25',
  '0x10',
  '0b1',
  'NaN',
  'Infinity',
  '-Infinity',
  ' 10.25',
  '10.25 ',
  '\t1',
  '1\n',
  '１０',
  '١٠',
  '9'.repeat(17),
  '9'.repeat(40),
  '1'.repeat(400),
  `0.${'1'.repeat(40)}`,
  '99999999999999999999999999999999999999.99',
  '10000000000000.01',
  '9999999999999999.9999',
  '1e-7',
  '',
] as const;

/** Amounts that are well formed but at or past the edges (zero, tiny, leading zeros, the per-movement maximum and past it). */
export const EDGE_AMOUNTS = ['0.01', '1', '01', '00.10', '10.25', '999999.99', '10000000000000.00', '10000000000000.01', '9999999999999999', '0.0099', '0.001', '0.0001'] as const;

/**
 * Of NASTY_AMOUNTS, those no currency accepts (a sign, an exponent, a word, a separator, more digits or decimals than
 * any currency has): a request carrying one must be refused. ('0.001' is not among them: KWD has three decimals.)
 */
export const NEVER_VALID_AMOUNTS: readonly string[] = NASTY_AMOUNTS.filter((a) => !['', '0.001', '0.0001'].includes(a));

/** Currency codes: the supported, the unsupported, the malformed. */
export const CURRENCIES = ['USD', 'EUR', 'JPY', 'KWD', 'GBP', 'usd', 'Usd', 'US', 'USDD', 'XAU', 'XTS', 'XXX', 'ZZZ', 'ABC', '', ' USD', 'USD ', 'U$D', '€', '123', 'ÜSD'] as const;

/** JSON values of every type, for a field that expects one of them. */
export const wrongTypes: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, -1, 1e3, 1.5, 0.001, 2 ** 53 + 1, -(2 ** 63), 1e308, [], {}, [null], { $ne: null }, JSON.parse('{"__proto__":{"polluted":true}}') as unknown),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

/** A string that is long, very long, or full of characters from elsewhere. */
export const hugeText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(100, 1000, 10_000, 70_000).chain((n) => fc.constantFrom('a', 'é', '😀', '\u0000', '9', '%').map((c) => c.repeat(n))),
  fc.string({ unit: 'grapheme', minLength: 50, maxLength: 400 }),
  fc.string({ unit: 'binary', minLength: 20, maxLength: 200 }),
);

/** Any string at all, biased to the nasty ones. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_TEXT) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: hugeText },
);

/** Ids that are not ids: malformed UUIDs, path tricks, numbers, other encodings. */
export const NASTY_IDS = [
  '',
  '0',
  '-1',
  '1e3',
  'null',
  'undefined',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '00000000-0000-0000-0000-00000000000',
  '00000000-0000-0000-0000-0000000000000',
  '{00000000-0000-0000-0000-000000000000}',
  'g0000000-0000-0000-0000-000000000000',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%00',
  '%',
  '%zz',
  '..%2f..%2fadmin',
  '__proto__',
  'constructor',
  '*',
  "1' OR '1'='1",
  'a'.repeat(1000),
  '😀',
] as const;

/** Idempotency-Key values: fresh, reused from a small pool (so inputs collide), malformed. */
export type IdempotencyChoice =
  | { kind: 'fresh' }
  | { kind: 'pooled'; n: number }
  | { kind: 'missing' }
  | { kind: 'duplicated' }
  | { kind: 'literal'; value: string };

export const idempotencyChoice: fc.Arbitrary<IdempotencyChoice> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'fresh' as const }) },
  { weight: 3, arbitrary: fc.nat(7).map((n) => ({ kind: 'pooled' as const, n })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'missing' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'duplicated' as const }) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.constantFrom('', 'short', 'a'.repeat(7), 'a'.repeat(8), 'a'.repeat(200), 'a'.repeat(201), 'a'.repeat(5000), 'a'.repeat(20_000), 'has space inside', 'ключ-идемпотентности', '😀😀😀😀😀', 'tab\there!', '__proto__', 'constructor'),
      fc.string({ minLength: 8, maxLength: 60 }),
    ).map((value) => ({ kind: 'literal' as const, value })),
  },
);

/** Resolves an idempotency choice: the header value(s) to send, or undefined for none. A pooled key is shared by every input of the seed that draws it. */
export function idempotencyKey(choice: IdempotencyChoice, seed: number): string | string[] | undefined {
  switch (choice.kind) {
    case 'fresh':
      return `fuzz-${randomUUID()}`;
    case 'pooled':
      return `fuzz-${seed}-pooled-${choice.n}`;
    case 'missing':
      return undefined;
    case 'duplicated':
      return [`fuzz-${randomUUID()}`, `fuzz-${randomUUID()}`];
    case 'literal':
      return choice.value;
  }
}
