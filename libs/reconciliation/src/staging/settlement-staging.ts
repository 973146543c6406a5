import Database, { Statement } from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CURRENCY_CODES } from '@attest/ledger';
import { LedgerItem, LedgerKind, StagedRow } from '../matcher';
import { SETTLEMENT_TYPES, SettlementRow } from '../settlement-row';

/**
 * The scratch area of one run (ADR 0016): a throwaway directory, deleted after the run, where the
 * file's rows and the period's ledger events wait, split into STAGING_PARTITIONS partitions by a
 * hash of their reference, until matching takes one partition at a time into memory. That is
 * what keeps memory bounded for any file size: a partition is about 1/256 of each side, and
 * rows and ledger events that can match are always in the same partition.
 *
 * - Each side is a spill file: text lines appended per partition (buffered, a few KiB at a
 *   time), read back a partition at a time. No sorting, no index, no per-row database call.
 * - Repeated external ids are found the same way, with a second partitioning by external id
 *   (`seal`), before any partition is matched.
 * - Exceptions (report lines) go to a small SQLite file with their sort key, so the report comes
 *   out in one stable order however the partitions were visited: invalid rows as read,
 *   duplicates by line, then items by (type, reference).
 *
 * Durability is deliberately off (no journal, no fsync): the files live for one run; a crash
 * just means the run is started again. It is an adapter (it does I/O); the parsing and matching
 * it serves are pure.
 */
export const STAGING_PARTITIONS = 256;
/** Bytes buffered per partition (off the JavaScript heap) before they are appended to the spill file. */
const SPILL_BUFFER_BYTES = 16 * 1024;
/** Exception lines read per page when the report is written. */
const PAGE_ROWS = 10_000;
/** Exceptions written per transaction. */
const COMMIT_ROWS = 100_000;

/** FNV-1a of a string's UTF-16 code units (of text[from, to)), to a partition. Both sides use it on the reference. */
export const partitionOf = (text: string, from = 0, to = text.length): number => {
  let hash = 0x811c9dc5;
  for (let i = from; i < to; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % STAGING_PARTITIONS;
};

/** Where an exception goes in the report. */
export type ExceptionOrder = { kind: 'invalid' } | { kind: 'duplicate'; line: number } | { kind: 'item'; type: string; reference: string };

/** One partition's share of both sides: what matching holds in memory at once. */
export interface StagedPartition {
  /** Rows in file (line) order, without the duplicates. */
  rows: StagedRow[];
  /** Rows whose external id is on an earlier line, in line order, with that line. */
  duplicates: Array<{ row: SettlementRow; duplicateOfLine: number }>;
  events: LedgerItem[];
}

const TAB = 9;
const NEWLINE = 10;
const MINUS = 45;
const DIGIT_0 = 48;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Text lines appended by partition to one file; a partition is read back whole. Lines are
 * written byte by byte straight into a buffer per partition (allocated on first use, appended to
 * the file when full): no string is built per line, and nothing waits on the JavaScript heap
 * (strings kept for thousands of rows would survive into the old generation and cost full
 * collections). Fields are ASCII without control characters — ids, references, codes and
 * numbers — so one character is one byte; anything else is refused loudly, never mangled.
 */
class Spill {
  private readonly buffers: Array<Buffer | null>;
  private readonly used: Int32Array;
  private readonly chunks: Array<Array<[offset: number, bytes: number]>>;
  private fd: number | null = null;
  private size = 0;
  /** The line being written: its partition, buffer and position. */
  private partition = 0;
  private line: Buffer = Buffer.alloc(0);
  private at = 0;

  constructor(
    private readonly path: string,
    partitions: number,
  ) {
    this.buffers = Array.from({ length: partitions }, () => null);
    this.used = new Int32Array(partitions);
    this.chunks = Array.from({ length: partitions }, () => []);
  }

  /** Starts a line in `partition` with room for `bytes` (every field and separator: one byte a character or digit). */
  begin(partition: number, bytes: number): this {
    if (bytes > SPILL_BUFFER_BYTES) throw new RangeError(`a staging line of ${bytes} bytes is longer than ${SPILL_BUFFER_BYTES}`);
    let buffer = this.buffers[partition] ?? null;
    if (buffer === null) {
      buffer = Buffer.allocUnsafe(SPILL_BUFFER_BYTES);
      this.buffers[partition] = buffer;
    }
    if ((this.used[partition] ?? 0) + bytes > SPILL_BUFFER_BYTES) this.flush(partition);
    this.partition = partition;
    this.line = buffer;
    this.at = this.used[partition] ?? 0;
    return this;
  }

  /** A text field (printable ASCII), then a tab. */
  text(value: string): this {
    const { line } = this;
    let at = this.at;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 32 || c > 126) throw new Error(`staging field ${JSON.stringify(value)} is not printable ASCII`);
      line[at++] = c;
    }
    line[at] = TAB;
    this.at = at + 1;
    return this;
  }

  /** A safe integer field in decimal, then a tab. */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`staging number ${value} is not a safe integer`);
    const { line } = this;
    let at = this.at;
    if (value < 0) {
      line[at++] = MINUS;
      value = -value;
    }
    let digits = 1;
    for (let power = 10; power <= value; power *= 10) digits += 1;
    for (let i = at + digits - 1; i >= at; i--) {
      line[i] = DIGIT_0 + (value % 10);
      value = Math.floor(value / 10);
    }
    line[at + digits] = TAB;
    this.at = at + digits + 1;
    return this;
  }

  /** An integer field of any size. */
  bigint(value: bigint): this {
    return value <= SAFE_MAX && value >= -SAFE_MAX ? this.int(Number(value)) : this.text(value.toString());
  }

  /** A whole line made elsewhere: printable ASCII fields separated by tabs, ending with a line break. */
  whole(value: string): this {
    const { line } = this;
    let at = this.at;
    const last = value.length - 1;
    for (let i = 0; i < last; i++) {
      const c = value.charCodeAt(i);
      if ((c < 32 && c !== TAB) || c > 126) throw new Error(`staging line ${JSON.stringify(value)} is not printable ASCII`);
      line[at++] = c;
    }
    if (value.charCodeAt(last) !== NEWLINE) throw new Error(`staging line ${JSON.stringify(value)} does not end with a line break`);
    line[at] = TAB;
    this.at = at + 1;
    return this;
  }

  /** Ends the line (its last tab becomes the line break). */
  end(): void {
    this.line[this.at - 1] = NEWLINE;
    this.used[this.partition] = this.at;
  }

  private flush(partition: number): void {
    const buffer = this.buffers[partition];
    const used = this.used[partition] ?? 0;
    if (!buffer || used === 0) return;
    this.append(partition, buffer.subarray(0, used));
    this.used[partition] = 0;
  }

  private append(partition: number, bytes: Buffer): void {
    this.fd ??= openSync(this.path, 'w+');
    for (let written = 0; written < bytes.length; ) written += writeSync(this.fd, bytes, written, bytes.length - written, this.size + written);
    this.chunks[partition]?.push([this.size, bytes.length]);
    this.size += bytes.length;
  }

  /** The partition's text, then forgets it (each partition is read once). */
  take(partition: number): string {
    const chunks = this.chunks[partition] ?? [];
    const buffer = this.buffers[partition] ?? null;
    const used = this.used[partition] ?? 0;
    this.buffers[partition] = null;
    this.used[partition] = 0;
    this.chunks[partition] = [];
    if (chunks.length === 0 || this.fd === null) return buffer === null ? '' : buffer.toString('utf8', 0, used);
    const whole = Buffer.allocUnsafe(chunks.reduce((total, [, bytes]) => total + bytes, used));
    let at = 0;
    for (const [offset, bytes] of chunks) {
      for (let read = 0; read < bytes; ) {
        const got = readSync(this.fd, whole, at + read, bytes - read, offset + read);
        if (got === 0) throw new Error(`the spill file ${this.path} ended early`);
        read += got;
      }
      at += bytes;
    }
    if (buffer !== null) buffer.copy(whole, at, 0, used);
    return whole.toString('utf8');
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

const LEDGER_KINDS: readonly LedgerKind[] = ['deposit', 'payout'];

/** Reads the tab-separated fields of spilled lines in order, without splitting them into arrays. */
class Fields {
  private at = 0;

  constructor(
    private readonly text: string,
    private readonly name: string,
  ) {}

  get more(): boolean {
    return this.at < this.text.length;
  }

  /** The next field (it ends at a tab or a line break). */
  string(): string {
    const { text } = this;
    const start = this.at;
    let end = start;
    for (let c = text.charCodeAt(end); end < text.length && c !== TAB && c !== NEWLINE; c = text.charCodeAt(++end));
    this.at = end + 1;
    return text.slice(start, end);
  }

  /** The next field as a whole number (written by this staging: digits, at most a leading minus). */
  int(): number {
    const { text } = this;
    let end = this.at;
    const negative = text.charCodeAt(end) === MINUS;
    if (negative) end += 1;
    let value = 0;
    for (let c = text.charCodeAt(end); end < text.length && c !== TAB && c !== NEWLINE; c = text.charCodeAt(++end)) {
      if (c < DIGIT_0 || c > DIGIT_0 + 9) this.corrupt();
      value = value * 10 + (c - DIGIT_0);
    }
    this.at = end + 1;
    return negative ? -value : value;
  }

  /**
   * The next field, which must be one of `values` (types, kinds, currencies): the value itself is
   * returned, so a million rows share a handful of strings rather than holding a copy each.
   */
  oneOf<T extends string>(values: readonly T[]): T {
    const { text, at } = this;
    for (const value of values) {
      const end = at + value.length;
      const c = text.charCodeAt(end);
      if ((c === TAB || c === NEWLINE) && text.startsWith(value, at)) {
        this.at = end + 1;
        return value;
      }
    }
    return this.corrupt();
  }

  /** The next field as a bigint (written by this staging: an integer in decimal). */
  bigint(): bigint {
    const { text, at } = this;
    let end = at;
    for (let c = text.charCodeAt(end); end < text.length && c !== TAB && c !== NEWLINE; c = text.charCodeAt(++end));
    // Up to 15 digits a number is exact, and a bigint from a number is cheaper than from text.
    if (end - at <= 15) return BigInt(this.int());
    this.at = end + 1;
    return BigInt(text.slice(at, end));
  }

  /** Checks that the field just read was the last of its line. */
  endOfLine(): void {
    if (this.text.charCodeAt(this.at - 1) !== NEWLINE) this.corrupt();
  }

  private corrupt(): never {
    throw new Error(`the ${this.name} spill is corrupt near offset ${this.at}`);
  }
}

/** Room for a staging line's numbers, codes and separators, beside its ids (which count one byte a character). */
const ROW_LINE_BYTES = 100;
const ID_LINE_BYTES = 40;
const LEDGER_LINE_BYTES = 40;
const DUPLICATE_LINE_BYTES = 40;

export class SettlementStaging {
  private readonly dir: string;
  private readonly rows: Spill;
  private readonly ids: Spill;
  private readonly ledger: Spill;
  private readonly duplicates: Spill;
  private readonly db: Database.Database;
  private readonly insertException: Statement;
  private uncommitted = 0;
  private exceptionCount = 0;
  private sealed = false;

  constructor(parentDir: string = tmpdir()) {
    this.dir = mkdtempSync(join(parentDir, 'attest-reconcile-'));
    this.rows = new Spill(join(this.dir, 'rows'), STAGING_PARTITIONS);
    this.ids = new Spill(join(this.dir, 'ids'), STAGING_PARTITIONS);
    this.ledger = new Spill(join(this.dir, 'ledger'), STAGING_PARTITIONS);
    this.duplicates = new Spill(join(this.dir, 'duplicates'), STAGING_PARTITIONS);
    this.db = new Database(join(this.dir, 'exceptions.sqlite'));
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('temp_store = FILE');
    // The report order is the key: (group, type, reference, sequence) — see ExceptionOrder.
    this.db.exec(`CREATE TABLE exceptions (grp INTEGER NOT NULL, type TEXT NOT NULL, reference TEXT NOT NULL, seq INTEGER NOT NULL, line TEXT NOT NULL,
      PRIMARY KEY (grp, type, reference, seq)) WITHOUT ROWID`);
    this.insertException = this.db.prepare('INSERT INTO exceptions (grp, type, reference, seq, line) VALUES (?, ?, ?, ?, ?)');
    this.db.exec('BEGIN');
  }

  /** Stages rows as they are read (file order). Duplicates are sorted out by `seal`. */
  addRows(rows: readonly SettlementRow[]): void {
    if (this.sealed) throw new Error('staging is sealed');
    for (const row of rows) {
      const partition = partitionOf(row.reference);
      const { externalId, reference } = row;
      this.rows
        .begin(partition, externalId.length + reference.length + ROW_LINE_BYTES)
        .int(row.line)
        .text(externalId)
        .text(reference)
        .text(row.type)
        .text(row.currency)
        .bigint(row.amountMinor)
        .bigint(row.processorFeeMinor)
        .int(row.settledAtMs)
        .end();
      this.ids.begin(partitionOf(externalId), externalId.length + ID_LINE_BYTES).text(externalId).int(row.line).int(partition).end();
    }
  }

  /** Stages one ledger event of the window. */
  addLedger(item: LedgerItem): void {
    this.addLedgerFields(item.kind, item.reference, item.entryId, item.currency, item.amountMinor.toString(), item.recordedAtMs, item.inPeriod);
  }

  private addLedgerFields(kind: string, reference: string, entryId: string, currency: string, amountMinor: string, recordedAtMs: number, inPeriod: boolean): void {
    if (this.sealed) throw new Error('staging is sealed');
    this.ledger
      .begin(partitionOf(reference), kind.length + reference.length + entryId.length + currency.length + amountMinor.length + LEDGER_LINE_BYTES)
      .text(kind)
      .text(reference)
      .text(entryId)
      .text(currency)
      .text(amountMinor)
      .int(recordedAtMs)
      .int(inPeriod ? 1 : 0)
      .end();
  }

  /**
   * Stages ledger events read straight from an SQLite file (the read models, when they are
   * SQLite) through a read-only connection. `select` yields columns named kind, reference,
   * entry_id, currency, amount_minor and recorded_at_ms; SQLite writes each event as its spill
   * line (one value per event crossing into JavaScript, not six; amounts as integer text, never
   * a JavaScript number). Events of a currency the ledger does not know are skipped, as the paged
   * reader does. Returns the events staged.
   */
  copyLedgerFrom(path: string, select: string, params: Array<string | number>, period: { startMs: number; endMs: number }): number {
    if (this.sealed) throw new Error('staging is sealed');
    const source = new Database(path, { readonly: true, fileMustExist: true });
    let count = 0;
    try {
      const statement = source
        .prepare(
          `SELECT kind || char(9) || reference || char(9) || entry_id || char(9) || currency || char(9) || amount_minor || char(9) || recorded_at_ms
             || char(9) || (recorded_at_ms >= ? AND recorded_at_ms < ?) || char(10)
           FROM (${select}) WHERE currency IN (${CURRENCY_CODES.map((code) => `'${code}'`).join(', ')})`,
        )
        .pluck(true);
      for (const line of statement.iterate(period.startMs, period.endMs, ...params) as IterableIterator<string>) {
        const referenceStart = line.indexOf('\t') + 1;
        this.ledger.begin(partitionOf(line, referenceStart, line.indexOf('\t', referenceStart)), line.length).whole(line).end();
        count += 1;
      }
    } finally {
      source.close();
    }
    return count;
  }

  /** Keeps a report line (an exception) on disk with its place in the report. */
  addException(line: string, order: ExceptionOrder): void {
    this.exceptionCount += 1;
    if (order.kind === 'invalid') this.insertException.run(0, '', '', this.exceptionCount, line);
    else if (order.kind === 'duplicate') this.insertException.run(1, '', '', order.line, line);
    else this.insertException.run(2, order.type, order.reference, this.exceptionCount, line);
    if (++this.uncommitted >= COMMIT_ROWS) {
      this.db.exec('COMMIT; BEGIN');
      this.uncommitted = 0;
    }
  }

  get exceptions(): number {
    return this.exceptionCount;
  }

  /** The exceptions in report order, paged (keyset on the key). */
  *exceptionLines(): Generator<string> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    const first = this.db.prepare('SELECT grp, type, reference, seq, line FROM exceptions ORDER BY grp, type, reference, seq LIMIT ?').raw(true);
    const next = this.db
      .prepare('SELECT grp, type, reference, seq, line FROM exceptions WHERE (grp, type, reference, seq) > (?, ?, ?, ?) ORDER BY grp, type, reference, seq LIMIT ?')
      .raw(true);
    let page = first.all(PAGE_ROWS) as Array<[number, string, string, number, string]>;
    for (;;) {
      for (const row of page) yield row[4];
      const last = page[page.length - 1];
      if (page.length < PAGE_ROWS || !last) return;
      page = next.all(last[0], last[1], last[2], last[3], PAGE_ROWS) as Array<[number, string, string, number, string]>;
    }
  }

  /**
   * Ends staging: finds every row whose external id appeared on an earlier line, one partition
   * of external ids at a time, and notes it (with that first line) in its reference partition,
   * so `partitions()` can set it apart.
   */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    for (let partition = 0; partition < STAGING_PARTITIONS; partition++) {
      const first = new Map<string, number>();
      // In file order within a partition: the first line seen is the earliest.
      for (const fields = new Fields(this.ids.take(partition), 'external id'); fields.more; ) {
        const externalId = fields.string();
        const line = fields.int();
        const rowPartition = fields.int();
        fields.endOfLine();
        const earlier = first.get(externalId);
        if (earlier === undefined) first.set(externalId, line);
        else this.duplicates.begin(rowPartition, DUPLICATE_LINE_BYTES).int(line).int(earlier).end();
      }
    }
    this.ids.close();
  }

  /** Each partition in turn: its rows, its duplicates and its ledger events (after `seal`). */
  *partitions(): Generator<StagedPartition> {
    if (!this.sealed) throw new Error('seal the staging first');
    for (let partition = 0; partition < STAGING_PARTITIONS; partition++) {
      const duplicateOf = new Map<number, number>();
      for (const fields = new Fields(this.duplicates.take(partition), 'duplicates'); fields.more; fields.endOfLine()) duplicateOf.set(fields.int(), fields.int());
      const rows: StagedRow[] = [];
      const duplicates: StagedPartition['duplicates'] = [];
      for (const fields = new Fields(this.rows.take(partition), 'rows'); fields.more; fields.endOfLine()) {
        const line = fields.int();
        const externalId = fields.string();
        const reference = fields.string();
        const type = fields.oneOf(SETTLEMENT_TYPES);
        const currency = fields.oneOf(CURRENCY_CODES);
        const amountMinor = fields.bigint();
        const fee = fields.bigint();
        const settledAtMs = fields.int();
        const earlier = duplicateOf.size === 0 ? undefined : duplicateOf.get(line);
        if (earlier === undefined) rows.push({ line, externalId, reference, type, currency, amountMinor, settledAtMs });
        else {
          const row = { line, externalId, reference, type, currency, amountMinor, processorFeeMinor: fee, settledAt: new Date(settledAtMs).toISOString(), settledAtMs };
          duplicates.push({ row, duplicateOfLine: earlier });
        }
      }
      const events: LedgerItem[] = [];
      for (const fields = new Fields(this.ledger.take(partition), 'ledger'); fields.more; fields.endOfLine()) {
        const kind = fields.oneOf(LEDGER_KINDS);
        const reference = fields.string();
        const entryId = fields.string();
        const currency = fields.oneOf(CURRENCY_CODES);
        const amountMinor = fields.bigint();
        const recordedAtMs = fields.int();
        const inPeriod = fields.int() === 1;
        events.push({ kind, reference, entryId, currency, amountMinor, recordedAtMs, inPeriod });
      }
      yield { rows, duplicates, events };
    }
  }

  /** Closes and deletes the scratch files. Safe to call twice. */
  dispose(): void {
    for (const spill of [this.rows, this.ids, this.ledger, this.duplicates]) spill.close();
    if (this.db.open) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      this.db.close();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
