import { AMOUNT_MINOR_MAX, commissionFee, Currency, CURRENCIES, CURRENCY_CODES, formatAmount, parseAmount, ParseAmountResult, parseLimits } from './money';
import { seededRandom } from '../../../test/support/random';

/** The grammar as a regular expression: what parseAmount, read character by character, must agree with. */
const byRegex = (value: string, currency: Currency): ParseAmountResult => {
  const { exponent } = CURRENCIES[currency];
  const example = exponent === 0 ? '"1200"' : `"12.${'5'.padEnd(exponent, '0')}"`;
  const match = /^(0|[1-9][0-9]{0,17})(?:\.([0-9]+))?$/.exec(value);
  if (!match) return { ok: false, message: `must be a decimal string like ${example} (no sign, exponent or spaces)` };
  const fraction = match[2] ?? '';
  if (fraction.length !== exponent) return { ok: false, message: `${currency} amounts have exactly ${exponent} decimal place(s), like ${example}; minor-unit strings are not accepted` };
  const amountMinor = BigInt((match[1] ?? '0') + fraction);
  if (amountMinor <= 0n) return { ok: false, message: 'must be greater than zero' };
  if (amountMinor > AMOUNT_MINOR_MAX) return { ok: false, message: `must be at most ${formatAmount(AMOUNT_MINOR_MAX, currency)}` };
  return { ok: true, amountMinor };
};
const text = (result: ParseAmountResult) => (result.ok ? `ok ${result.amountMinor}` : result.message);

describe('money', () => {
  it.each([
    ['12.50', 'CNY', 1250n],
    ['0.01', 'CNY', 1n],
    ['200.00', 'CNY', 20000n],
    ['1200', 'JPY', 1200n],
    ['1.234', 'KWD', 1234n],
  ] as const)('parses %s %s', (value, currency, minor) => {
    expect(parseAmount(value, currency)).toEqual({ ok: true, amountMinor: minor });
  });
  it.each(['1250', '12.5', '12.500', '-1.00', '+1.00', '0.00', '1e3', ' 1.00', '1,00', '', '01.00', '1.', '.50', '99999999999999999.00'])(
    'refuses %j for CNY',
    (value) => {
      expect(parseAmount(value, 'CNY').ok).toBe(false);
    },
  );
  it('agrees with the grammar as a regular expression on every kind of string (random and edge cases)', () => {
    const next = seededRandom(11);
    const alphabet = ['0', '0', '1', '5', '9', '9', '.', '.', '-', '+', 'e', ' ', '٣', 'x'];
    const values = ['0', '0.0', '0.00', '0.000', '00', '0.', '.0', '1', '1.0', '1.00', '1.000', '10000000000000.00', '10000000000000.01', '9999999999999.99'];
    values.push('999999999999999999', '9999999999999999999', '999999999999999999.00', '1000000000000000', '1000000000000001', '123456789012345678.9', '0.000000000000000001');
    for (let i = 0; i < 20_000; i++) {
      // Half of them digits and points only: mostly well-formed, of every length.
      const from = i % 2 === 0 ? alphabet.length : 7;
      let value = '';
      for (let c = 0, length = Math.floor(next() * 22); c < length; c++) value += alphabet[Math.floor(next() * from)];
      values.push(value);
    }
    const differ = values.flatMap((value) => CURRENCY_CODES.filter((currency) => text(parseAmount(value, currency)) !== text(byRegex(value, currency))).map((currency) => [value, currency]));
    expect(differ).toEqual([]);
    // The strings reached every outcome: accepted, malformed, wrong decimals, zero, too large.
    expect(new Set(values.map((value) => text(byRegex(value, 'CNY')).slice(0, 12).replace(/^ok.*/, 'ok'))).size).toBe(5);
  });
  it('says why a minor-unit string is refused', () => {
    expect(parseAmount('1250', 'CNY')).toEqual({ ok: false, message: expect.stringMatching(/exactly 2 decimal place.*minor-unit strings are not accepted/) });
  });
  it('formats canonically', () => {
    expect([formatAmount(1250n, 'CNY'), formatAmount(5n, 'CNY'), formatAmount(-5n, 'CNY'), formatAmount(0n, 'CNY'), formatAmount(7n, 'JPY'), formatAmount(7n, 'KWD')]).toEqual([
      '12.50',
      '0.05',
      '-0.05',
      '0.00',
      '7',
      '0.007',
    ]);
  });
  it('rounds the commission down, so payee + fee = amount', () => {
    expect(commissionFee(1999n, 500)).toBe(99n);
    expect(commissionFee(19n, 500)).toBe(0n);
    expect(commissionFee(20000n, 500)).toBe(1000n);
    expect(commissionFee(20000n, 0)).toBe(0n);
    expect(commissionFee(20000n, 10_000)).toBe(20000n);
    expect(() => commissionFee(1n, 1.5)).toThrow(RangeError);
  });
  it('parses configured limits', () => {
    expect(parseLimits('CNY:0.01..200.00,JPY:1..30000')).toEqual({ CNY: { minMinor: 1n, maxMinor: 20000n }, JPY: { minMinor: 1n, maxMinor: 30000n } });
    expect(() => parseLimits('CNY:1..2')).toThrow(/decimal place/);
    expect(() => parseLimits('XXX:1.00..2.00')).toThrow(/unknown currency/);
    expect(() => parseLimits('CNY:3.00..2.00')).toThrow(/above max/);
  });
});
