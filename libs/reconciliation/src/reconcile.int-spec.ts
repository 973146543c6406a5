import { LedgerItem, MatchItem, matchSorted, StagedRow } from './matcher';
import { seededRandom as random } from '../../../test/support/random';
import { event, keyOrder, row, shuffle } from './testing/fixtures';
import { Reconciliation } from './reconcile';
import { canonicalLine, itemToLine } from './report';
import { SettlementStaging, STAGING_PARTITIONS } from './staging/settlement-staging';

/** Reconciliation end to end through the staging files (real files and SQLite): report lines, order and totals. */

describe('Reconciliation with the staging files', () => {
  it('stages, finds duplicates, matches and reports in a stable, hashable order', async () => {
    const staging = new SettlementStaging();
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

describe('Reconciliation with the staging files, at a size that spills every partition to disk', () => {
  it('reports exactly what an in-memory sorted merge finds, in report order', async () => {
    const next = random(8);
    const rowsTotal = 120_000;
    const at = '2026-01-10T00:00:00Z';
    const lines = ['external_id,type,amount,currency,settled_at,reference'];
    const staged: StagedRow[] = [];
    const firstLine = new Map<string, number>();
    const duplicates: Array<{ line: number; externalId: string; reference: string; amountMinor: bigint; first: number }> = [];
    for (let i = 0; i < rowsTotal; i++) {
      const line = i + 2;
      // Now and then an external id again, under another reference (so in another partition).
      const externalId = next() < 0.001 && i > 0 ? `x-${Math.floor(next() * i)}` : `x-${i}`;
      const reference = next() < 0.01 ? `group-${i % 50}` : `r-${i}`;
      const amountMinor = BigInt(1 + (i % 500));
      lines.push(`${externalId},deposit,${(Number(amountMinor) / 100).toFixed(2)},CNY,${at},${reference}`);
      const first = firstLine.get(externalId);
      if (first === undefined) {
        firstLine.set(externalId, line);
        staged.push(row(line, reference, amountMinor, { externalId }));
      } else duplicates.push({ line, externalId, reference, amountMinor, first });
    }
    const ledger: LedgerItem[] = [];
    for (let i = 0; i < rowsTotal; i += 1) {
      if (next() < 0.002) continue; // missing in the ledger
      const off = next() < 0.002 ? 1n : 0n; // amount mismatch
      ledger.push(event(`e-${String(i).padStart(7, '0')}`, i % 97 === 0 ? `group-${i % 50}` : `r-${i}`, BigInt(1 + (i % 500)) + off, { recordedAtMs: Date.parse(at) }));
    }
    const staging = new SettlementStaging();
    try {
      const work = new Reconciliation(staging, { format: 'csv', period: { from: '2026-01-01', to: '2026-01-31' }, toleranceSeconds: null });
      const file = Buffer.from(lines.join('\n') + '\n');
      const chunks = Array.from({ length: Math.ceil(file.length / 65_536) }, (_, i) => file.subarray(i * 65_536, (i + 1) * 65_536));
      await work.stage(chunks);
      for (const item of shuffle([...ledger], next)) work.addLedger(item);
      work.match();

      const sortedRows = [...staged].sort((a, b) => keyOrder(a, b) || a.line - b.line);
      const sortedLedger = [...ledger].sort((a, b) => keyOrder({ type: a.kind, reference: a.reference }, { type: b.kind, reference: b.reference }) || (a.entryId < b.entryId ? -1 : 1));
      const items = [...matchSorted(sortedRows, sortedLedger, { toleranceMs: null })];
      const expected = [
        ...duplicates.map(
          (d): MatchItem => ({
            class: 'duplicate', type: 'deposit', reference: d.reference, currency: 'CNY', lines: [d.line], externalIds: [d.externalId], entryIds: [], rows: 1,
            ledgerEvents: 0, settlementMinor: d.amountMinor, ledgerMinor: 0n, reason: `external id ${d.externalId} is already on line ${d.first}`,
          }),
        ),
        ...items.filter((item) => item.class !== 'matched'),
      ].map((item) => canonicalLine(itemToLine(item)));
      expect(duplicates.length).toBeGreaterThan(50);
      expect(expected.length).toBeGreaterThan(duplicates.length + 300);
      expect([...work.reportLines({ kind: 'summary' })].slice(1)).toEqual(expected);
      expect(work.totals.count('matched')).toBe(items.filter((item) => item.class === 'matched').length);
      expect(work.totals.validRows).toBe(staged.length);
      expect(work.exceptionCount).toBe(expected.length);
      expect(STAGING_PARTITIONS).toBeGreaterThan(1);
    } finally {
      staging.dispose();
    }
  });
});
