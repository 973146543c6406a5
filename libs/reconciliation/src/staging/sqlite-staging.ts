import Database, { Statement } from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Currency } from '@attest/ledger';
import { LedgerItem, LedgerKind, StagedRow } from '../matcher';
import { SettlementRow, SettlementType } from '../settlement-row';

/**
 * The scratch area of one run: a throwaway SQLite file (never the event store, never the read
 * models) where the file's rows and the period's ledger events are staged, then read back sorted
 * by (type, reference) for the merge. This is what keeps memory bounded for any file size:
 * SQLite sorts and detects duplicate external ids on disk with a bounded page cache. It is an
 * adapter (it does I/O); the parsing and matching it serves are pure.
 *
 * Durability is deliberately off (no journal, no fsync): the file lives for one run and is
 * deleted after it; a crash just means the run is started again.
 *
 * Speed: each call from JavaScript into SQLite costs about a microsecond, more than the work
 * itself, so rows go in by multi-row INSERTs and come back in pages of `PAGE_ROWS` (keyset
 * pagination on the sort key), not one call per row.
 */
export const STAGING_CACHE_KIB = 64 * 1024;
/** Rows per multi-row INSERT (8 parameters each, well under SQLite's 32,766 limit). */
const INSERT_ROWS = 256;
/** Rows per page read back: bounds memory of the sorted reads. */
const PAGE_ROWS = 10_000;
/** Rows written per transaction: big enough to amortise the commit, small enough to bound the journal. */
const COMMIT_ROWS = 100_000;

/** Rows as raw arrays, in SELECT order. */
type RowRecord = [type: string, reference: string, line: number, externalId: string, currency: string, amountMinor: string, settledAtMs: number];
type LedgerRecord = [kind: string, reference: string, entryId: string, currency: string, amountMinor: string, recordedAtMs: number, inPeriod: number];
type Params = Array<string | number | bigint>;

const placeholders = (rows: number, columns: number): string => Array.from({ length: rows }, () => `(${Array.from({ length: columns }, () => '?').join(', ')})`).join(', ');

export class SqliteSettlementStaging {
  private readonly dir: string;
  private readonly db: Database.Database;
  private readonly insertRowsBatch: Statement;
  private readonly insertLedgerBatch: Statement;
  private readonly insertException: Statement;
  private pendingRows: Params = [];
  private pendingRowCount = 0;
  private pendingLedger: Params = [];
  private pendingLedgerCount = 0;
  private uncommitted = 0;
  private exceptionCount = 0;

  constructor(parentDir: string = tmpdir()) {
    this.dir = mkdtempSync(join(parentDir, 'attest-reconcile-'));
    this.db = new Database(join(this.dir, 'staging.sqlite'));
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('temp_store = FILE');
    this.db.pragma(`cache_size = -${STAGING_CACHE_KIB}`);
    // Keyed by line (unique, increasing): rows are appended, never inserted into the middle of a
    // B-tree. Duplicate external ids are found once, after staging, by one sort (see `seal`) —
    // a unique index maintained row by row costs several times more on a shuffled file.
    this.db.exec(`CREATE TABLE rows (line INTEGER PRIMARY KEY, external_id TEXT NOT NULL, reference TEXT NOT NULL, type TEXT NOT NULL,
      currency TEXT NOT NULL, amount_minor INTEGER NOT NULL, fee_minor INTEGER NOT NULL, settled_at_ms INTEGER NOT NULL)`);
    this.db.exec(`CREATE TABLE ledger (kind TEXT NOT NULL, reference TEXT NOT NULL, entry_id TEXT NOT NULL, currency TEXT NOT NULL,
      amount_minor INTEGER NOT NULL, recorded_at_ms INTEGER NOT NULL, in_period INTEGER NOT NULL)`);
    this.db.exec('CREATE TABLE exceptions (seq INTEGER PRIMARY KEY, line TEXT NOT NULL)');
    this.insertRowsBatch = this.db.prepare(`INSERT INTO rows VALUES ${placeholders(INSERT_ROWS, 8)}`);
    this.insertLedgerBatch = this.db.prepare(`INSERT INTO ledger VALUES ${placeholders(INSERT_ROWS, 7)}`);
    this.insertException = this.db.prepare('INSERT INTO exceptions (seq, line) VALUES (?, ?)');
    this.db.exec('BEGIN');
  }

  private wrote(count: number): void {
    this.uncommitted += count;
    if (this.uncommitted >= COMMIT_ROWS) {
      this.db.exec('COMMIT; BEGIN');
      this.uncommitted = 0;
    }
  }

  /** Stages rows (buffered, written `INSERT_ROWS` at a time). Duplicates are sorted out by `seal`. */
  addRows(rows: readonly SettlementRow[]): void {
    for (const row of rows) {
      this.pendingRows.push(row.line, row.externalId, row.reference, row.type, row.currency, row.amountMinor, row.processorFeeMinor, row.settledAtMs);
      this.pendingRowCount += 1;
      if (this.pendingRowCount === INSERT_ROWS) {
        this.insertRowsBatch.run(...this.pendingRows);
        this.wrote(INSERT_ROWS);
        this.pendingRows = [];
        this.pendingRowCount = 0;
      }
    }
  }

  private flushRows(): void {
    if (this.pendingRowCount === 0) return;
    this.db.prepare(`INSERT INTO rows VALUES ${placeholders(this.pendingRowCount, 8)}`).run(...this.pendingRows);
    this.pendingRows = [];
    this.pendingRowCount = 0;
  }

  addLedger(item: LedgerItem): void {
    this.pendingLedger.push(item.kind, item.reference, item.entryId, item.currency, item.amountMinor, item.recordedAtMs, item.inPeriod ? 1 : 0);
    this.pendingLedgerCount += 1;
    if (this.pendingLedgerCount === INSERT_ROWS) {
      this.insertLedgerBatch.run(...this.pendingLedger);
      this.wrote(INSERT_ROWS);
      this.pendingLedger = [];
      this.pendingLedgerCount = 0;
    }
  }

  private flushLedger(): void {
    if (this.pendingLedgerCount === 0) return;
    this.db.prepare(`INSERT INTO ledger VALUES ${placeholders(this.pendingLedgerCount, 7)}`).run(...this.pendingLedger);
    this.pendingLedger = [];
    this.pendingLedgerCount = 0;
  }

  /**
   * Copies ledger events straight from another SQLite file (the read models, when they are
   * SQLite): `select` reads from schema `source` and yields the ledger table's seven columns
   * (kind, reference, entry_id, currency, amount_minor, recorded_at_ms, in_period). No row crosses
   * into JavaScript, which is most of the cost of paging a million events through the driver.
   */
  copyLedgerFrom(path: string, select: string, params: Array<string | number>): void {
    this.flushLedger();
    // ATTACH and DETACH are refused inside a transaction.
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.prepare("ATTACH DATABASE ? AS source").run(path);
    try {
      this.db.prepare(`INSERT INTO ledger ${select}`).run(...params);
    } finally {
      this.db.exec('DETACH DATABASE source');
      this.db.exec('BEGIN');
    }
  }

  /** Keeps a report line (an exception) in the order it was found, on disk rather than in memory. */
  addException(line: string): void {
    this.exceptionCount += 1;
    this.insertException.run(this.exceptionCount, line);
    this.wrote(1);
  }

  get exceptions(): number {
    return this.exceptionCount;
  }

  *exceptionLines(): Generator<string> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    const page = this.db.prepare('SELECT seq, line FROM exceptions WHERE seq > ? ORDER BY seq LIMIT ?').raw(true);
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE_ROWS) as Array<[number, string]>;
      for (const [seq, line] of rows) {
        after = seq;
        yield line;
      }
      if (rows.length < PAGE_ROWS) return;
    }
  }

  /**
   * Ends staging: writes what is buffered, moves every row whose external id appeared on an
   * earlier line out of `rows` (into `duplicates`, with that first line), and indexes both sides
   * for the sorted reads. Call `duplicateRows()` after it to report them.
   */
  seal(): void {
    this.flushRows();
    this.flushLedger();
    // One sort, in SQLite, however many rows: the first line of each external id, then the others.
    this.db.exec(`CREATE TABLE duplicates AS
      SELECT line, first_line FROM (SELECT line, min(line) OVER (PARTITION BY external_id) AS first_line FROM rows) WHERE line <> first_line`);
    this.db.exec('CREATE TABLE duplicate_rows AS SELECT r.*, d.first_line FROM rows r JOIN duplicates d ON d.line = r.line');
    this.db.exec('CREATE INDEX duplicate_rows_line ON duplicate_rows (line)');
    this.db.exec('DELETE FROM rows WHERE line IN (SELECT line FROM duplicates)');
    if (this.db.inTransaction) this.db.exec('COMMIT');
    // Covering indexes: the sorted reads never go back to the tables.
    this.db.exec('CREATE INDEX ledger_key ON ledger (kind, reference, entry_id, currency, amount_minor, recorded_at_ms, in_period)');
    this.db.exec('CREATE INDEX rows_key ON rows (type, reference, line, external_id, currency, amount_minor, settled_at_ms)');
    this.db.exec('BEGIN');
  }

  /** Rows moved out by `seal` because their external id was on an earlier line, in line order, paged. */
  *duplicateRows(): Generator<{ row: SettlementRow; duplicateOfLine: number }> {
    const page = this.db
      .prepare(
        'SELECT line, external_id, reference, type, currency, CAST(amount_minor AS TEXT), CAST(fee_minor AS TEXT), settled_at_ms, first_line FROM duplicate_rows WHERE line > ? ORDER BY line LIMIT ?',
      )
      .raw(true);
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE_ROWS) as Array<[number, string, string, string, string, string, string, number, number]>;
      for (const [line, externalId, reference, type, currency, amount, fee, settledAtMs, firstLine] of rows) {
        after = line;
        const row: SettlementRow = {
          line,
          externalId,
          reference,
          type: type as SettlementType,
          currency: currency as Currency,
          amountMinor: BigInt(amount),
          processorFeeMinor: BigInt(fee),
          settledAt: new Date(settledAtMs).toISOString(),
          settledAtMs,
        };
        yield { row, duplicateOfLine: firstLine };
      }
      if (rows.length < PAGE_ROWS) return;
    }
  }

  /** Rows sorted by (type, reference, line): BINARY collation, the byte order the matcher expects. */
  *sortedRows(): Generator<StagedRow> {
    // Raw arrays, and the amount as text turned into a bigint: money never becomes a Number.
    const columns = 'type, reference, line, external_id, currency, CAST(amount_minor AS TEXT), settled_at_ms';
    const first = this.db.prepare(`SELECT ${columns} FROM rows ORDER BY type, reference, line LIMIT ?`).raw(true);
    const next = this.db.prepare(`SELECT ${columns} FROM rows WHERE (type, reference, line) > (?, ?, ?) ORDER BY type, reference, line LIMIT ?`).raw(true);
    let page = first.all(PAGE_ROWS) as RowRecord[];
    for (;;) {
      for (const raw of page) {
        yield { type: raw[0] as SettlementType, reference: raw[1], line: raw[2], externalId: raw[3], currency: raw[4] as Currency, amountMinor: BigInt(raw[5]), settledAtMs: raw[6] };
      }
      const last = page[page.length - 1];
      if (page.length < PAGE_ROWS || !last) return;
      page = next.all(last[0], last[1], last[2], PAGE_ROWS) as RowRecord[];
    }
  }

  *sortedLedger(): Generator<LedgerItem> {
    const columns = 'kind, reference, entry_id, currency, CAST(amount_minor AS TEXT), recorded_at_ms, in_period';
    const first = this.db.prepare(`SELECT ${columns} FROM ledger ORDER BY kind, reference, entry_id LIMIT ?`).raw(true);
    const next = this.db.prepare(`SELECT ${columns} FROM ledger WHERE (kind, reference, entry_id) > (?, ?, ?) ORDER BY kind, reference, entry_id LIMIT ?`).raw(true);
    let page = first.all(PAGE_ROWS) as LedgerRecord[];
    for (;;) {
      for (const raw of page) {
        yield { kind: raw[0] as LedgerKind, reference: raw[1], entryId: raw[2], currency: raw[3] as Currency, amountMinor: BigInt(raw[4]), recordedAtMs: raw[5], inPeriod: raw[6] === 1 };
      }
      const last = page[page.length - 1];
      if (page.length < PAGE_ROWS || !last) return;
      page = next.all(last[0], last[1], last[2], PAGE_ROWS) as LedgerRecord[];
    }
  }

  /** Closes and deletes the scratch file. Safe to call twice. */
  dispose(): void {
    if (this.db.open) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.db.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
