import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkAmount, formatMinorMoney, formatMoney } from '../../web/src/shared/money.ts';

/* The web app's money rules, run on Node: the same module the browser bundle uses. */

test('amounts typed by a person become the exact decimal the API expects, or a message saying what to fix', () => {
  const cases: Array<[string, string, string | RegExp]> = [
    ['10', 'USD', '10.00'],
    ['10.5', 'USD', '10.50'],
    [' 0.01 ', 'USD', '0.01'],
    ['1000', 'JPY', '1000'],
    ['1.234', 'KWD', '1.234'],
    ['9999999999999.99', 'USD', '9999999999999.99'],
    ['', 'USD', /Enter an amount/],
    ['0', 'USD', /greater than zero/],
    ['0.00', 'USD', /greater than zero/],
    ['10.001', 'USD', /at most 2 decimal places/],
    ['1.5', 'JPY', /no decimal places/],
    ['-5', 'USD', /without a sign/],
    ['1e3', 'USD', /Enter a number/],
    ['$10', 'USD', /currency symbol/],
    ['1,000.00', 'USD', /no thousands separators/],
    ['10,50', 'EUR', /Use a dot for decimals/],
    ['.5', 'USD', /Enter a number/],
    ['10000000000000.01', 'USD', /The most one movement can be is/],
    ['1', 'XYZ', /not a currency PayMesh supports/],
  ];
  for (const [text, currency, want] of cases) {
    const got = checkAmount(text, currency);
    if (typeof want === 'string') assert.deepEqual(got.ok && got.amount, want, `${text} ${currency}`);
    else assert.match(got.ok ? `accepted as ${got.amount}` : got.message, want, `${text} ${currency}`);
  }
});

test("money is shown with the currency's own minor units, exactly, even beyond a double's precision", () => {
  assert.equal(formatMoney('25.5', 'USD', 'en-US'), '$25.50');
  assert.equal(formatMoney('1000', 'JPY', 'en-US'), '¥1,000');
  assert.equal(formatMoney('1.5', 'KWD', 'en-US'), 'KWD\u00a01.500');
  assert.equal(formatMoney('1234.5', 'EUR', 'de-DE'), '1.234,50\u00a0€');
  assert.equal(formatMinorMoney('9007199254740993', 'USD', 'en-US'), '$90,071,992,547,409.93');
  assert.equal(formatMinorMoney(2550n, 'USD', 'en-US'), '$25.50');
});
