import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPayMeshError } from '../../../contracts/errors.ts';
import { DECLINED_TEST_CARDS, isExpired, luhnValid, summariseCard } from '../cards.ts';

const TODAY = new Date('2030-06-15T12:00:00Z');
const card = (number: string, extra: Partial<{ exp_month: number; exp_year: number; cvc: string }> = {}) => ({ number, exp_month: 12, exp_year: 2032, ...extra });

describe('card checks', () => {
  test('the brand comes from the number, and only brand, last four and expiry are kept', () => {
    const cases: Array<[string, string]> = [
      ['4242424242424242', 'visa'],
      ['4242 4242 4242 4242', 'visa'],
      ['5555-5555-5555-4444', 'mastercard'],
      ['2223003122003222', 'mastercard'],
      ['378282246310005', 'amex'],
      ['6011111111111117', 'discover'],
      ['3566002020360505', 'jcb'],
      ['36227206271667', 'diners'],
      ['6200000000000005', 'unionpay'],
    ];
    for (const [number, brand] of cases) {
      const summary = summariseCard(card(number), TODAY);
      assert.deepEqual(summary, { brand, last4: number.replace(/\D/g, '').slice(-4), exp_month: 12, exp_year: 2032, status: 'active' }, number);
    }
  });

  test('the documented decline test numbers are accepted but stored as declined', () => {
    for (const number of DECLINED_TEST_CARDS.keys()) assert.equal(summariseCard(card(number), TODAY).status, 'declined');
    assert.ok(DECLINED_TEST_CARDS.has('4000000000000002'));
  });

  test('a bad card is refused with the field at fault, and the message never repeats the number', () => {
    const cases: Array<[ReturnType<typeof card>, string, string]> = [
      [card('4242424242424241'), 'INVALID_CARD_NUMBER', 'number'],
      [card('4242-abcd'), 'INVALID_CARD_NUMBER', 'number'],
      [card('42424242'), 'INVALID_CARD_NUMBER', 'number'],
      [card('424242424242424'), 'INVALID_CARD_NUMBER', 'number'],
      [card('9000000000000001'), 'UNSUPPORTED_CARD_BRAND', 'number'],
      [card('4242424242424242', { exp_month: 13 }), 'INVALID_EXPIRY', 'exp_month'],
      [card('4242424242424242', { exp_month: 0 }), 'INVALID_EXPIRY', 'exp_month'],
      [card('4242424242424242', { exp_year: 2051 }), 'INVALID_EXPIRY', 'exp_year'],
      [card('4242424242424242', { exp_year: 2029 }), 'CARD_EXPIRED', 'exp_year'],
      [card('4242424242424242', { exp_year: 2030, exp_month: 5 }), 'CARD_EXPIRED', 'exp_month'],
      [card('4242424242424242', { cvc: '12' }), 'INVALID_CVC', 'cvc'],
      [card('378282246310005', { cvc: '123' }), 'INVALID_CVC', 'cvc'],
    ];
    for (const [input, code, field] of cases) {
      assert.throws(
        () => summariseCard(input, TODAY),
        (err) => isPayMeshError(err) && err.code === code && err.field === field && !err.message.includes(input.number),
        `${input.number} ${input.exp_month}/${input.exp_year} ${input.cvc ?? ''}`,
      );
    }
  });

  test('a card is usable through the last day of its expiry month', () => {
    assert.equal(isExpired(6, 2030, new Date('2030-06-30T23:59:59Z')), false);
    assert.equal(isExpired(6, 2030, new Date('2030-07-01T00:00:00Z')), true);
    assert.equal(isExpired(12, 2029, new Date('2030-01-01T00:00:00Z')), true);
  });

  test('the Luhn check accepts valid numbers and catches a single changed digit', () => {
    assert.equal(luhnValid('79927398713'), true);
    for (let i = 0; i < 11; i++) {
      const digits = '79927398713'.split('');
      digits[i] = String((Number(digits[i]) + 1) % 10);
      assert.equal(luhnValid(digits.join('')), false, digits.join(''));
    }
  });
});
