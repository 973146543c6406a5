import { ReportTotals, canonicalLine, invalidToLine, itemToLine, ReportLine } from './report';
import { matchGroups, LedgerItem, MatchItem, rowItem } from './matcher';
import { SettlementFormat, SettlementReader } from './settlement-reader';
import { InvalidRow, SettlementRow } from './settlement-row';
import { ExceptionOrder, SettlementStaging } from './staging/settlement-staging';

/** A run's period: whole UTC days, both included. */
export interface Period {
  from: string;
  to: string;
}

const DAY_MS = 24 * 3600 * 1000;
const INVALID: ExceptionOrder = { kind: 'invalid' };

/** [start, end) in epoch milliseconds. */
export const periodBounds = (period: Period): { startMs: number; endMs: number } => ({
  startMs: Date.parse(`${period.from}T00:00:00.000Z`),
  endMs: Date.parse(`${period.to}T00:00:00.000Z`) + DAY_MS,
});

export interface ReconcileOptions {
  format: SettlementFormat;
  period: Period;
  /** Largest distance between a row's settled time and its ledger event's recorded time; null: none. */
  toleranceSeconds: number | null;
  bytesMax?: number;
  rowsMax?: number;
  onBytes?: (bytes: number) => void;
}

/**
 * One reconciliation, in phases the caller drives (the service records events between them):
 * `stage` reads the file (hash, validation, staging), the caller adds the period's ledger events,
 * `match` finds duplicates and classifies, `reportLines` gives the report. Everything large lives
 * in the staging files; memory holds one partition and the totals.
 */
export class Reconciliation {
  readonly totals = new ReportTotals();
  private reader: SettlementReader;
  rowsTotal = 0;
  /** Computed once: the per-row checks use them a million times. */
  readonly bounds: { startMs: number; endMs: number };

  constructor(
    private readonly staging: SettlementStaging,
    private readonly options: ReconcileOptions,
  ) {
    this.bounds = periodBounds(options.period);
    this.reader = new SettlementReader({
      format: options.format,
      ...(options.bytesMax === undefined ? {} : { bytesMax: options.bytesMax }),
      ...(options.rowsMax === undefined ? {} : { rowsMax: options.rowsMax }),
      ...(options.onBytes === undefined ? {} : { onBytes: options.onBytes }),
    });
  }

  /** The ledger window: the period widened by the tolerance on both sides. */
  get ledgerWindow(): { startMs: number; endMs: number } {
    const tolerance = (this.options.toleranceSeconds ?? 0) * 1000;
    return { startMs: this.bounds.startMs - tolerance, endMs: this.bounds.endMs + tolerance };
  }

  private invalid(invalid: InvalidRow): void {
    this.totals.invalidRows += 1;
    this.staging.addException(canonicalLine(invalidToLine(invalid)), INVALID);
  }

  /** Counts an item; an exception also goes to the report, by default in (type, reference) order. */
  private exception(item: MatchItem, order?: ExceptionOrder): void {
    this.totals.add(item);
    if (item.class !== 'matched') this.staging.addException(canonicalLine(itemToLine(item)), order ?? { kind: 'item', type: item.type, reference: item.reference });
  }

  private inPeriod(row: SettlementRow): boolean {
    const { startMs, endMs } = this.bounds;
    if (row.settledAtMs >= startMs && row.settledAtMs < endMs) return true;
    this.invalid({ line: row.line, reason: `settled_at ${row.settledAt} is outside the period ${this.options.period.from}..${this.options.period.to}` });
    return false;
  }

  /** A repeated external id: reported with the line that has it first, and taken back out of the valid rows. */
  private duplicate(row: SettlementRow, duplicateOfLine: number): void {
    this.totals.validRows -= 1;
    this.totals.addProcessorFee(row.currency, -row.processorFeeMinor);
    const order: ExceptionOrder = { kind: 'duplicate', line: row.line };
    this.exception(rowItem(row, 'duplicate', `external id ${row.externalId} is already on line ${duplicateOfLine}`), order);
  }

  /** Reads the whole file. Throws SettlementFileInvalid when the file as a whole is unusable. */
  async stage(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): Promise<{ sha256: string; bytes: number }> {
    for await (const batch of this.reader.batches(source)) {
      const rows: SettlementRow[] = [];
      for (const parsed of batch) {
        this.rowsTotal += 1;
        if (!parsed.ok) this.invalid(parsed.invalid);
        else if (this.inPeriod(parsed.row)) {
          rows.push(parsed.row);
          // Counted as valid now; a duplicate found when staging ends is taken back out.
          this.totals.validRows += 1;
          this.totals.addProcessorFee(parsed.row.currency, parsed.row.processorFeeMinor);
        }
      }
      this.staging.addRows(rows);
    }
    return { sha256: this.reader.sha256, bytes: this.reader.bytes };
  }

  /** A ledger event of the window (deposits and settled payouts with their references). */
  addLedger(item: Omit<LedgerItem, 'inPeriod'>): void {
    const { startMs, endMs } = this.bounds;
    this.staging.addLedger({ ...item, inPeriod: item.recordedAtMs >= startMs && item.recordedAtMs < endMs });
  }

  /**
   * The ledger window read straight from an SQLite read-model file; `select(schema)` gives the
   * SELECT (see `ledgerWindowSql` in projections/reconciliation) with parameters (window start,
   * window end). Returns the events staged.
   */
  copyLedgerFromSqlite(path: string, select: (schema: string) => string): number {
    const window = this.ledgerWindow;
    return this.staging.copyLedgerFrom(path, select('main'), [window.startMs, window.endMs], this.bounds);
  }

  /** Sets duplicates apart and classifies every group, one staging partition at a time. */
  match(): void {
    this.staging.seal();
    const toleranceMs = this.options.toleranceSeconds === null ? null : this.options.toleranceSeconds * 1000;
    for (const partition of this.staging.partitions()) {
      for (const { row, duplicateOfLine } of partition.duplicates) this.duplicate(row, duplicateOfLine);
      for (const item of matchGroups(partition.rows, partition.events, { toleranceMs })) this.exception(item);
    }
  }

  /** The report: the summary line, then the exceptions — invalid rows as read, duplicates by line, items by (type, reference). */
  *reportLines(summary: ReportLine): Generator<string> {
    yield canonicalLine(summary);
    yield* this.staging.exceptionLines();
  }

  get exceptionCount(): number {
    return this.staging.exceptions;
  }
}
