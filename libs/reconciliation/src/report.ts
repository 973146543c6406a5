import { createHash, Hash } from 'node:crypto';
import { Currency, formatAmount } from '@attest/ledger';
import { MATCH_CLASSES, MatchClass, MatchItem } from './matcher';
import { InvalidRow } from './settlement-row';

/**
 * The report of a run: a summary line, then one line per exception (invalid rows and every item
 * that is not `matched`), as canonical JSON lines. Matched items are counted in the totals, not
 * listed, so a clean million-row file has a small report. The report's SHA-256 is over exactly
 * the lines as stored and served (each followed by "\n"), so an auditor can recompute it from a
 * download (docs/settlement-file-format.md §Report).
 */
export interface ClassTotals {
  class: MatchClass;
  currency: Currency;
  items: number;
  rows: number;
  ledgerEvents: number;
  settlementMinor: bigint;
  ledgerMinor: bigint;
}

/** Totals per class and currency; bounded by classes × currencies. */
export class ReportTotals {
  /** By class, then currency: no key to build for each of a million items. */
  private readonly byClass = new Map<MatchClass, Map<Currency, ClassTotals>>();
  private readonly fees = new Map<Currency, bigint>();
  invalidRows = 0;
  validRows = 0;

  add(item: MatchItem): void {
    let byCurrency = this.byClass.get(item.class);
    if (byCurrency === undefined) {
      byCurrency = new Map();
      this.byClass.set(item.class, byCurrency);
    }
    let totals = byCurrency.get(item.currency);
    if (totals === undefined) {
      totals = { class: item.class, currency: item.currency, items: 0, rows: 0, ledgerEvents: 0, settlementMinor: 0n, ledgerMinor: 0n };
      byCurrency.set(item.currency, totals);
    }
    totals.items += 1;
    totals.rows += item.rows;
    totals.ledgerEvents += item.ledgerEvents;
    totals.settlementMinor += item.settlementMinor;
    totals.ledgerMinor += item.ledgerMinor;
  }

  addProcessorFee(currency: Currency, amountMinor: bigint): void {
    if (amountMinor !== 0n) this.fees.set(currency, (this.fees.get(currency) ?? 0n) + amountMinor);
  }

  /** Sorted by class (in MATCH_CLASSES order) then currency: the same totals always print the same. */
  list(): ClassTotals[] {
    return [...this.byClass.values()].flatMap((byCurrency) => [...byCurrency.values()]).sort((a, b) => MATCH_CLASSES.indexOf(a.class) - MATCH_CLASSES.indexOf(b.class) || (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
  }

  processorFees(): Array<{ currency: Currency; amountMinor: bigint }> {
    return [...this.fees.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, amountMinor]) => ({ currency, amountMinor }));
  }

  /** Items in a class other than matched, plus invalid rows: what makes a run "not clean". */
  unmatched(): number {
    return this.list().reduce((total, line) => total + (line.class === 'matched' ? 0 : line.items), 0) + this.invalidRows;
  }

  count(cls: MatchClass): number {
    return this.list().reduce((total, line) => total + (line.class === cls ? line.items : 0), 0);
  }
}

export const money = (amountMinor: bigint, currency: Currency) => ({ value: formatAmount(amountMinor, currency), currency });

/** The wire form of totals (money as decimal strings, ADR 0007). */
export const totalsToWire = (totals: readonly ClassTotals[]) =>
  totals.map((line) => ({
    class: line.class,
    currency: line.currency,
    items: line.items,
    rows: line.rows,
    ledgerEvents: line.ledgerEvents,
    settlement: formatAmount(line.settlementMinor, line.currency),
    ledger: formatAmount(line.ledgerMinor, line.currency),
  }));

export type ReportLine = Record<string, unknown>;

export const itemToLine = (item: MatchItem): ReportLine => ({
  kind: 'item',
  class: item.class,
  type: item.type,
  reference: item.reference,
  currency: item.currency,
  settlement: formatAmount(item.settlementMinor, item.currency),
  ledger: formatAmount(item.ledgerMinor, item.currency),
  rows: item.rows,
  ledgerEvents: item.ledgerEvents,
  lines: item.lines,
  externalIds: item.externalIds,
  entryIds: item.entryIds,
  reason: item.reason,
});

export const invalidToLine = (invalid: InvalidRow): ReportLine => ({ kind: 'invalid', class: 'invalid', line: invalid.line, reason: invalid.reason });

/**
 * JSON with keys sorted, no spaces: one value, one text. Values here are strings, numbers
 * (counts and line numbers only — never money), booleans, null, arrays and objects.
 */
export const canonicalLine = (value: unknown): string => {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalLine).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, field]) => field !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalLine(field)}`).join(',')}}`;
};

/** Hashes report lines as they are written: `SHA-256(line1 "\n" line2 "\n" …)`. */
export class ReportHasher {
  private readonly hash: Hash = createHash('sha256');
  add(line: string): void {
    this.hash.update(line);
    this.hash.update('\n');
  }
  hex(): string {
    return this.hash.digest('hex');
  }
}

/** CSV of a report's items (the summary stays in the JSON form). */
export const REPORT_CSV_HEADER = 'class,type,reference,currency,settlement,ledger,rows,ledger_events,lines,external_ids,entry_ids,reason';

const csvField = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

export const lineToCsv = (line: ReportLine): string | null => {
  const text = (value: unknown) => (value === null || value === undefined ? '' : Array.isArray(value) ? value.join(' ') : String(value));
  if (line['kind'] === 'invalid') return ['invalid', '', '', '', '', '', '1', '0', text(line['line']), '', '', text(line['reason'])].map(csvField).join(',');
  if (line['kind'] !== 'item') return null;
  return [
    line['class'],
    line['type'],
    line['reference'],
    line['currency'],
    line['settlement'],
    line['ledger'],
    line['rows'],
    line['ledgerEvents'],
    line['lines'],
    line['externalIds'],
    line['entryIds'],
    line['reason'],
  ]
    .map((value) => csvField(text(value)))
    .join(',');
};
