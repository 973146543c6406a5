import { LedgerItem, MatchItem, matchSorted, StagedRow, UnsortedInput } from './matcher';
import { Reconciliation } from './reconcile';
import { SqliteSettlementStaging } from './staging/sqlite-staging';

const row = (line: number, reference: string, amountMinor: bigint, extra: Partial<StagedRow> = {}): StagedRow => ({
  line,
  externalId: `x-${line}`,
  reference,
  type: 'deposit',
  currency: 'CNY',
  amountMinor,
  settledAtMs: Date.parse('2026-01-10T00:00:00Z'),
  ...extra,
});
const event = (entryId: string, reference: string, amountMinor: bigint, extra: Partial<LedgerItem> = {}): LedgerItem => ({
  kind: 'deposit',
  reference,
  entryId,
  currency: 'CNY',
  amountMinor,
  recordedAtMs: Date.parse('2026-01-10T00:00:00Z'),
  inPeriod: true,
  ...extra,
});
const classes = (items: MatchItem[]) => items.map((item) => [item.class, item.reference, item.lines, item.entryIds]);

describe('matchSorted', () => {
  it('classifies one to one: matched, amount mismatch, currency mismatch, missing on either side', () => {
    const items = [
      ...matchSorted(
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
      ...matchSorted(
        // Sorted by (type, reference), as the staging file gives them.
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
    const items = [...matchSorted([row(2, 'r', 100n, { type: 'payout' })], [event('d', 'r', 100n)], { toleranceMs: null })];
    expect(classes(items)).toEqual([
      ['missing_in_settlement', 'r', [], ['d']],
      ['missing_in_ledger', 'r', [2], []],
    ]);
  });

  it('applies the date tolerance, and ignores unmatched ledger events outside the period', () => {
    const day = 24 * 3600 * 1000;
    const items = [
      ...matchSorted(
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
    const [item] = [...matchSorted([row(2, 'rf', 100n, { type: 'refund' })], [], { toleranceMs: null })];
    expect(item).toMatchObject({ class: 'missing_in_ledger', reason: 'the ledger records no processor refunds' });
  });

  it('refuses unsorted input loudly', () => {
    expect(() => [...matchSorted([row(2, 'b', 1n), row(3, 'a', 1n)], [], { toleranceMs: null })]).toThrow(UnsortedInput);
  });
});

describe('Reconciliation with the staging file', () => {
  it('stages, finds duplicates, matches and reports in a stable, hashable order', async () => {
    const staging = new SqliteSettlementStaging();
    try {
      const work = new Reconciliation(staging, { format: 'csv', period: { from: '2026-01-01', to: '2026-01-31' }, toleranceSeconds: null });
      const csv = [
        'external_id,type,amount,currency,settled_at',
        'a,deposit,1.00,CNY,2026-01-02T00:00:00Z',
        'b,deposit,2.00,CNY,2026-01-02T00:00:00Z',
        'a,deposit,1.00,CNY,2026-01-03T00:00:00Z',
        'c,deposit,3.00,CNY,2026-02-01T00:00:00Z',
      ].join('\n');
      const file = await work.stage([csv]);
      expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
      work.addLedger({ kind: 'deposit', reference: 'a', entryId: 'e-a', currency: 'CNY', amountMinor: 100n, recordedAtMs: Date.parse('2026-01-02T00:00:00Z') });
      work.addLedger({ kind: 'deposit', reference: 'b', entryId: 'e-b', currency: 'CNY', amountMinor: 200n, recordedAtMs: Date.parse('2026-01-02T00:00:00Z') });
      work.match();
      expect(work.totals.validRows).toBe(2);
      expect(work.totals.invalidRows).toBe(1);
      expect(work.totals.count('matched')).toBe(2);
      expect(work.totals.count('duplicate')).toBe(1);
      const lines = [...work.reportLines({ kind: 'summary' })].map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => [line['class'] ?? line['kind'], line['line'] ?? line['lines']])).toEqual([
        ['summary', undefined],
        // Invalid rows are reported as read; duplicates when their batch is written (deterministic either way).
        ['invalid', 5],
        ['duplicate', [4]],
      ]);
      expect(lines[1]?.['reason']).toMatch(/outside the period 2026-01-01..2026-01-31/);
    } finally {
      staging.dispose();
    }
  });
});
