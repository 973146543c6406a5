import { LedgerItem, matchGroups, MatchItem, MatchOptions, matchSorted, StagedRow, UnsortedInput } from './matcher';
import { seededRandom as random } from '../../../test/support/random';
import { event, keyOrder, row, shuffle } from './testing/fixtures';

const classes = (items: MatchItem[]) => items.map((item) => [item.class, item.reference, item.lines, item.entryIds]);

/** Both matchers on the same cases: matchGroups' groups come in any order, so its items are sorted by key (stably) to compare, and it is given its input reversed. */
const matchers: Array<[string, (rows: StagedRow[], events: LedgerItem[], options: MatchOptions) => MatchItem[]]> = [
  ['matchSorted', (rows, events, options) => [...matchSorted(rows, events, options)]],
  ['matchGroups', (rows, events, options) => [...matchGroups([...rows].reverse(), [...events].reverse(), options)].sort(keyOrder)],
];

describe.each(matchers)('%s', (_, match) => {
  it('classifies one to one: matched, amount mismatch, currency mismatch, missing on either side', () => {
    const items = [
      ...match(
        [row(2, 'a', 100n), row(3, 'b', 101n), row(4, 'c', 100n, { currency: 'USD' }), row(5, 'd', 100n)],
        [event('e-a', 'a', 100n), event('e-b', 'b', 100n), event('e-c', 'c', 100n), event('e-z', 'z', 100n)],
        { toleranceMs: null },
      ),
    ];
    expect(classes(items)).toEqual([
      ['matched', 'a', [2], ['e-a']],
      ['amount_mismatch', 'b', [3], ['e-b']],
      ['currency_mismatch', 'c', [4], ['e-c']],
      ['missing_in_ledger', 'd', [5], []],
      ['missing_in_settlement', 'z', [], ['e-z']],
    ]);
    expect(items[1]?.reason).toBe('settlement 1.01, ledger 1.00 (difference 0.01)');
  });

  it('matches groups: one row against a batch of events, several rows against one event', () => {
    const items = [
      ...match(
        // Sorted by (type, reference), as matchSorted needs them.
        [row(3, 'tranche', 40n), row(4, 'tranche', 60n), row(2, 'batch', 300n, { type: 'payout' })],
        [event('d1', 'tranche', 100n), event('p1', 'batch', 100n, { kind: 'payout' }), event('p2', 'batch', 200n, { kind: 'payout' })],
        { toleranceMs: null },
      ),
    ];
    expect(classes(items)).toEqual([
      ['matched', 'tranche', [3, 4], ['d1']],
      ['matched', 'batch', [2], ['p1', 'p2']],
    ]);
    expect(items[1]).toMatchObject({ rows: 1, ledgerEvents: 2, settlementMinor: 300n, ledgerMinor: 300n });
  });

  it('keeps deposits and payouts with the same reference apart', () => {
    const items = [...match([row(2, 'r', 100n, { type: 'payout' })], [event('d', 'r', 100n)], { toleranceMs: null })];
    expect(classes(items)).toEqual([
      ['missing_in_settlement', 'r', [], ['d']],
      ['missing_in_ledger', 'r', [2], []],
    ]);
  });

  it('applies the date tolerance, and ignores unmatched ledger events outside the period', () => {
    const day = 24 * 3600 * 1000;
    const items = [
      ...match(
        [row(2, 'late', 100n), row(3, 'near', 100n)],
        [event('e-late', 'late', 100n, { recordedAtMs: Date.parse('2026-01-13T00:00:00Z') }), event('e-near', 'near', 100n, { recordedAtMs: Date.parse('2026-01-10T05:00:00Z') }), event('e-edge', 'other', 5n, { inPeriod: false })],
        { toleranceMs: day },
      ),
    ];
    expect(classes(items)).toEqual([
      ['missing_in_settlement', 'late', [], ['e-late']],
      ['missing_in_ledger', 'late', [2], []],
      ['matched', 'near', [3], ['e-near']],
    ]);
  });

  it('names refunds, fees and chargebacks the ledger has no events for', () => {
    const [item] = [...match([row(2, 'rf', 100n, { type: 'refund' })], [], { toleranceMs: null })];
    expect(item).toMatchObject({ class: 'missing_in_ledger', reason: 'the ledger records no processor refunds' });
  });

});

describe('matchSorted', () => {
  it('refuses unsorted input loudly', () => {
    expect(() => [...matchSorted([row(2, 'b', 1n), row(3, 'a', 1n)], [], { toleranceMs: null })]).toThrow(UnsortedInput);
  });
});

describe('matchGroups', () => {
  it('gives the items matchSorted gives, group by group, whatever the order of its input (random inputs)', () => {
    const next = random(2026);
    const day = 24 * 3600 * 1000;
    const base = Date.parse('2026-01-10T00:00:00Z');
    for (let round = 0; round < 300; round++) {
      const references = Array.from({ length: 1 + Math.floor(next() * 8) }, (_, i) => `ref-${i}`);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
      const rows = Array.from({ length: Math.floor(next() * 12) }, (_, i) =>
        row(i + 2, pick(references), BigInt(1 + Math.floor(next() * 3)) * 100n, {
          type: pick(['deposit', 'deposit', 'payout', 'refund'] as const),
          currency: pick(['CNY', 'CNY', 'USD'] as const),
          settledAtMs: base + Math.floor(next() * 4) * day,
        }),
      );
      const events = Array.from({ length: Math.floor(next() * 12) }, (_, i) =>
        event(`e-${String(i).padStart(2, '0')}`, pick(references), BigInt(1 + Math.floor(next() * 3)) * 100n, {
          kind: pick(['deposit', 'payout'] as const),
          currency: pick(['CNY', 'CNY', 'USD'] as const),
          recordedAtMs: base + Math.floor(next() * 4) * day,
          inPeriod: next() < 0.8,
        }),
      );
      const options = { toleranceMs: next() < 0.5 ? null : day };
      const sortedRows = [...rows].sort((a, b) => keyOrder(a, b) || a.line - b.line);
      const sortedEvents = [...events].sort((a, b) => keyOrder({ type: a.kind, reference: a.reference }, { type: b.kind, reference: b.reference }) || (a.entryId < b.entryId ? -1 : 1));
      const expected = [...matchSorted(sortedRows, sortedEvents, options)];
      // Groups come in any order, items of a group in order: a stable sort by key gives the merge's order.
      const actual = [...matchGroups(shuffle([...rows], next), shuffle([...events], next), options)].sort(keyOrder);
      expect(actual).toEqual(expected);
    }
  });

  it('refuses a group larger than the bound loudly', () => {
    const rows = Array.from({ length: 100_001 }, (_, i) => row(i + 2, 'same', 1n));
    expect(() => [...matchGroups(rows, [], { toleranceMs: null })]).toThrow(/more than 100000 settlement rows share reference same/);
  });
});
