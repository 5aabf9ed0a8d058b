import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatMinor, fromDouble, minorUnits, parseDecimal, toDouble } from './money.ts';

test('a seed double is accepted only when it converts exactly to minor units', () => {
  const cases: Array<[number, string, bigint | null]> = [
    [10.25, 'USD', 1025n],
    [10.255, 'USD', null],
    [100, 'JPY', 100n],
    [100.5, 'JPY', null],
    [0.1, 'USD', 10n],
    [0.3, 'USD', 30n],
    [1.005, 'KWD', 1005n],
    [1.0005, 'KWD', null],
    [Number.NaN, 'USD', null],
    [Number.POSITIVE_INFINITY, 'USD', null],
    [1e300, 'USD', null],
    [5e-324, 'USD', null],
  ];
  for (const [value, currency, expected] of cases) {
    if (expected === null) assert.throws(() => fromDouble(value, currency), { code: /INVALID_AMOUNT|AMOUNT_TOO_LARGE/ }, `${value} ${currency}`);
    else assert.equal(fromDouble(value, currency), expected, `${value} ${currency}`);
  }
});

test('decimal strings parse exactly and reject extra precision, signs and junk', () => {
  assert.equal(parseDecimal('10.25', 'USD'), 1025n);
  assert.equal(parseDecimal('10', 'USD'), 1000n);
  assert.equal(parseDecimal('0.5', 'USD'), 50n);
  assert.equal(parseDecimal('-3.5', 'USD', 'amount', { allowNegative: true }), -350n);
  for (const bad of ['10.255', '-1', '1e3', '', ' ', 'abc', '1.2.3', '.5', '0x10', 'Infinity']) {
    assert.throws(() => parseDecimal(bad, 'USD'), { code: 'INVALID_AMOUNT' }, bad);
  }
  assert.throws(() => parseDecimal('1.5', 'JPY'), { code: 'INVALID_AMOUNT' });
});

test('currencies come from ISO 4217 with their own minor units', () => {
  assert.equal(minorUnits('USD'), 2);
  assert.equal(minorUnits('JPY'), 0);
  assert.equal(minorUnits('BHD'), 3);
  for (const bad of ['usd', 'US', 'ABC', 'XAU', 'XTS', '']) assert.throws(() => minorUnits(bad), { code: 'INVALID_CURRENCY' }, bad);
});

test('minor units format back to plain decimals and seed doubles', () => {
  assert.equal(formatMinor(1025n, 'USD'), '10.25');
  assert.equal(formatMinor(5n, 'USD'), '0.05');
  assert.equal(formatMinor(-350n, 'USD'), '-3.50');
  assert.equal(formatMinor(100n, 'JPY'), '100');
  assert.equal(formatMinor(1005n, 'KWD'), '1.005');
  assert.equal(toDouble(1025n, 'USD'), 10.25);
});
