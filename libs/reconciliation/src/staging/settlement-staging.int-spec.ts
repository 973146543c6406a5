import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerItem } from '../matcher';
import { partitionOf, SettlementStaging, STAGING_PARTITIONS } from './settlement-staging';

const all = (staging: SettlementStaging) => {
  staging.seal();
  const events: LedgerItem[] = [];
  for (const partition of staging.partitions()) events.push(...partition.events);
  return events.sort((a, b) => (a.entryId < b.entryId ? -1 : 1));
};

describe('SettlementStaging', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'attest-staging-spec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the ledger window from an SQLite file exactly: amounts beyond 2^53, the period flag, known currencies only', () => {
    const path = join(dir, 'read-models.sqlite');
    const source = new Database(path);
    source.exec('CREATE TABLE refs (entry_id TEXT PRIMARY KEY, kind TEXT, reference TEXT, currency TEXT, amount_minor BIGINT, recorded_at_ms BIGINT)');
    const insert = source.prepare('INSERT INTO refs VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('e-1', 'deposit', 'dep-1', 'CNY', 9_007_199_254_740_993n, 1_000); // 2^53 + 1: not a JavaScript number
    insert.run('e-2', 'payout', 'out-2', 'JPY', 5n, 1_999);
    insert.run('e-3', 'deposit', 'dep-3', 'XXX', 5n, 1_500); // a currency the ledger does not know
    insert.run('e-4', 'deposit', 'dep-4', 'USD', 7n, 500); // before the window
    insert.run('e-5', 'deposit', 'dep-5', 'USD', 8n, 2_500); // in the window, after the period
    source.close();
    const staging = new SettlementStaging(dir);
    try {
      const count = staging.copyLedgerFrom(path, 'SELECT kind, reference, entry_id, currency, amount_minor, recorded_at_ms FROM main.refs WHERE recorded_at_ms >= ? AND recorded_at_ms < ?', [1_000, 3_000], { startMs: 1_000, endMs: 2_000 });
      expect(count).toBe(3);
      expect(all(staging)).toEqual([
        { kind: 'deposit', reference: 'dep-1', entryId: 'e-1', currency: 'CNY', amountMinor: 9_007_199_254_740_993n, recordedAtMs: 1_000, inPeriod: true },
        { kind: 'payout', reference: 'out-2', entryId: 'e-2', currency: 'JPY', amountMinor: 5n, recordedAtMs: 1_999, inPeriod: true },
        { kind: 'deposit', reference: 'dep-5', entryId: 'e-5', currency: 'USD', amountMinor: 8n, recordedAtMs: 2_500, inPeriod: false },
      ]);
    } finally {
      staging.dispose();
    }
  });

  it('keeps every event across partitions and spill files (more than a buffer per partition)', () => {
    const staging = new SettlementStaging(dir);
    try {
      const events: LedgerItem[] = Array.from({ length: 60_000 }, (_, i) => ({
        kind: i % 3 === 0 ? 'payout' : 'deposit',
        reference: `ref-${i}`,
        entryId: `e-${String(i).padStart(6, '0')}`,
        currency: 'CNY',
        amountMinor: BigInt(i) * 1_000_000_000_000n, // beyond 2^53 from i = 9,008
        recordedAtMs: 1_700_000_000_000 + i,
        inPeriod: i % 2 === 0,
      }));
      for (const event of events) staging.addLedger(event);
      expect(all(staging)).toEqual(events);
      expect(new Set(events.map((event) => partitionOf(event.reference))).size).toBe(STAGING_PARTITIONS);
    } finally {
      staging.dispose();
    }
  });

  it('refuses a ledger field that would break its line, rather than mangling it', () => {
    const staging = new SettlementStaging(dir);
    try {
      const event: LedgerItem = { kind: 'deposit', reference: 'r', entryId: 'e', currency: 'CNY', amountMinor: 1n, recordedAtMs: 1, inPeriod: true };
      expect(() => staging.addLedger({ ...event, reference: 'a\tb' })).toThrow(/not printable ASCII/);
      expect(() => staging.addLedger({ ...event, entryId: 'é' })).toThrow(/not printable ASCII/);
      staging.addLedger(event);
      expect(all(staging)).toEqual([event]);
    } finally {
      staging.dispose();
    }
  });
});
