import { commissionFee, formatAmount, parseAmount, parseLimits } from './money';

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
