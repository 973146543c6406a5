import { LedgerItem, StagedRow } from '../matcher';

/** Test inputs shared by the matcher and reconciliation specs. */
export const row = (line: number, reference: string, amountMinor: bigint, extra: Partial<StagedRow> = {}): StagedRow => ({
  line,
  externalId: `x-${line}`,
  reference,
  type: 'deposit',
  currency: 'CNY',
  amountMinor,
  settledAtMs: Date.parse('2026-01-10T00:00:00Z'),
  ...extra,
});

export const event = (entryId: string, reference: string, amountMinor: bigint, extra: Partial<LedgerItem> = {}): LedgerItem => ({
  kind: 'deposit',
  reference,
  entryId,
  currency: 'CNY',
  amountMinor,
  recordedAtMs: Date.parse('2026-01-10T00:00:00Z'),
  inPeriod: true,
  ...extra,
});

export const shuffle = <T>(values: T[], next: () => number): T[] => {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j] as T, values[i] as T];
  }
  return values;
};

/** The matcher's group order: type, then reference. */
export const keyOrder = (a: { type: string; reference: string }, b: { type: string; reference: string }) =>
  a.type < b.type ? -1 : a.type > b.type ? 1 : a.reference < b.reference ? -1 : a.reference > b.reference ? 1 : 0;
