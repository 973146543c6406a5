import { parseInstant, validateFields, validateRow } from './settlement-row';
import { seededRandom as random } from '../../../test/support/random';

/** The grammar as a regular expression, and the calendar by Date.parse's round trip: what parseInstant must agree with. */
const byRegex = (value: string): number | null => {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction] = match;
  if (Number(year) < 1970) return null;
  const iso = `${year}-${month}-${day}T${hour}:${minute}:${second}.${(fraction ?? '').padEnd(3, '0')}Z`;
  const ms = Date.parse(iso);
  // Date.parse rolls 2026-02-30 over to March: a real calendar time prints back the same.
  return Number.isNaN(ms) || new Date(ms).toISOString() !== iso ? null : ms;
};

describe('parseInstant', () => {
  it('agrees with the regular expression and the calendar on edge cases and on random strings', () => {
    const values = [
      '2026-01-31T23:59:59Z', '2026-01-31T23:59:59.5Z', '2026-01-31T23:59:59.05Z', '2026-01-31T23:59:59.123Z', '2026-01-31T23:59:59.1234Z', '2026-01-31T23:59:59.Z',
      '2026-01-31T23:59:60Z', '2026-01-31T24:00:00Z', '2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2000-02-29T00:00:00Z',
      '2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '2026-00-10T00:00:00Z', '2026-13-10T00:00:00Z', '2026-01-00T00:00:00Z', '1969-12-31T23:59:59Z',
      '1970-01-01T00:00:00Z', '2026-01-31 23:59:59Z', '2026-01-31T23:59:59+08:00', '2026-01-31T23:59:59z', '2026-1-31T23:59:59Z', '2026-01-31T23:59:59',
      '', 'Z', '+2026-01-31T23:59:59Z', '2026-01-31T23:59:5aZ', '٢026-01-31T23:59:59Z', '2026-01-31T23:59:59.12aZ',
    ];
    const next = random(5);
    // Valid instants (1960 to 2160) with one character changed, dropped or added.
    const characters = '0123456789-:.TZ z+';
    for (let i = 0; i < 30_000; i++) {
      const base = new Date(Date.UTC(1960 + Math.floor(next() * 200), 0, 1) + Math.floor(next() * 366 * 86_400_000)).toISOString();
      let value = `${base.slice(0, 19)}${['', '.5', '.05', '.123'][Math.floor(next() * 4)] ?? ''}Z`;
      const at = Math.floor(next() * value.length);
      const change = Math.floor(next() * 4);
      const character = characters[Math.floor(next() * characters.length)] ?? '';
      if (change === 1) value = value.slice(0, at) + character + value.slice(at + 1);
      if (change === 2) value = value.slice(0, at) + value.slice(at + 1);
      if (change === 3) value = value.slice(0, at) + character + value.slice(at);
      values.push(value);
    }
    expect(values.filter((value) => parseInstant(value) !== byRegex(value))).toEqual([]);
    expect(values.filter((value) => parseInstant(value) !== null).length).toBeGreaterThan(5_000);
    expect(values.filter((value) => parseInstant(value) === null).length).toBeGreaterThan(5_000);
  });
});

describe('validateFields', () => {
  it('is validateRow with the fields by position', () => {
    const row = { external_id: 'x-1', type: 'deposit', amount: '12.50', currency: 'CNY', settled_at: '2026-01-31T23:59:59Z', processor_fee: '0.00', reference: '' };
    expect(validateFields(7, 'x-1', 'deposit', '12.50', 'CNY', '2026-01-31T23:59:59Z', '0.00', '')).toEqual(validateRow(7, (column) => row[column]));
    expect(validateFields(7, 'x-1', 'deposit', '12.50', 'CNY', '2026-01-31T23:59:59Z', '0.00', '')).toMatchObject({ ok: true, row: { reference: 'x-1', amountMinor: 1250n, processorFeeMinor: 0n } });
    expect(validateFields(8, 'x 1', 'deposit', '12.50', 'CNY', '2026-01-31T23:59:59Z', undefined, undefined)).toEqual({ ok: false, invalid: { line: 8, reason: expect.stringMatching(/^external_id "x 1"/) } });
    expect(validateFields(9, 'x-1', 'deposit', '12.50', 'CNY', '2026-01-31T23:59:59Z', '0.10', 'bad ref')).toEqual({ ok: false, invalid: { line: 9, reason: expect.stringMatching(/^reference "bad ref"/) } });
  });
});
