import { createHash, Hash } from 'node:crypto';
import { CsvRecord, CsvRecordReader, SETTLEMENT_LINE_BYTES_MAX } from './csv-records';
import { Column, OPTIONAL_COLUMNS, ParsedLine, parseHeader, REQUIRED_COLUMNS, validateFields, validateRow } from './settlement-row';

export { SETTLEMENT_LINE_BYTES_MAX } from './csv-records';

export type SettlementFormat = 'csv' | 'jsonl';

/** Bounds on one file (TIGER_STYLE: limits on everything). */
export const SETTLEMENT_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024;
export const SETTLEMENT_ROWS_MAX_DEFAULT = 5_000_000;
/** The file as a whole cannot be read as a settlement file (no header, not CSV, too large): nothing is reconciled. */
export class SettlementFileInvalid extends Error {
  constructor(
    readonly reason: string,
    readonly line: number | null,
  ) {
    super(line === null ? reason : `line ${line}: ${reason}`);
    this.name = 'SettlementFileInvalid';
  }
}

export interface SettlementReaderOptions {
  format: SettlementFormat;
  bytesMax?: number;
  rowsMax?: number;
  /** Called with the bytes read so far (progress bars); cheap, called once per chunk. */
  onBytes?: (bytes: number) => void;
}

/** Where each column is in a record (-1: an optional column the file does not have). */
type ColumnPlaces = Record<Column, number>;

interface CsvState {
  columns: Map<Column, number> | null;
  at: ColumnPlaces;
}

const placesOf = (columns: Map<Column, number>): ColumnPlaces => {
  const at = (column: Column) => columns.get(column) ?? -1;
  return { external_id: at('external_id'), type: at('type'), amount: at('amount'), currency: at('currency'), settled_at: at('settled_at'), processor_fee: at('processor_fee'), reference: at('reference') };
};

/**
 * Reads a settlement file as a stream: each line comes out validated (a row or the reason it is
 * invalid) as soon as its chunk arrives, so memory stays bounded whatever the file's size. The
 * SHA-256 and size of the exact bytes read are available once the iteration has finished.
 */
export class SettlementReader {
  private readonly hash: Hash = createHash('sha256');
  private bytesRead = 0;
  private rows = 0;
  private digest: string | null = null;

  constructor(private readonly options: SettlementReaderOptions) {}

  /** Hex SHA-256 of the file; only after `lines()` has been read to the end. */
  get sha256(): string {
    if (this.digest === null) throw new Error('the file has not been read to the end');
    return this.digest;
  }

  get bytes(): number {
    return this.bytesRead;
  }

  /** Data lines seen (rows and invalid lines, not the header). */
  get dataLines(): number {
    return this.rows;
  }

  /** Validated lines in batches (one per chunk read): per-row promises would cost more than the parsing. */
  async *batches(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<ParsedLine[]> {
    const tapped = this.tap(source);
    if (this.options.format === 'csv') yield* this.csv(tapped);
    else yield* this.jsonLines(tapped);
    this.digest = this.hash.digest('hex');
  }

  private async *tap(source: AsyncIterable<Buffer | string> | Iterable<Buffer | string>): AsyncGenerator<Buffer> {
    const bytesMax = this.options.bytesMax ?? SETTLEMENT_BYTES_MAX_DEFAULT;
    for await (const piece of source) {
      const chunk = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
      this.bytesRead += chunk.length;
      if (this.bytesRead > bytesMax) throw new SettlementFileInvalid(`the file is larger than ${bytesMax} bytes`, null);
      this.hash.update(chunk);
      this.options.onBytes?.(this.bytesRead);
      yield chunk;
    }
  }

  private countRow(line: number): void {
    this.rows += 1;
    const rowsMax = this.options.rowsMax ?? SETTLEMENT_ROWS_MAX_DEFAULT;
    if (this.rows > rowsMax) throw new SettlementFileInvalid(`the file has more than ${rowsMax} rows`, line);
  }

  private async *csv(source: AsyncIterable<Buffer>): AsyncGenerator<ParsedLine[]> {
    const reader = new CsvRecordReader();
    const state: CsvState = { columns: null, at: placesOf(new Map()) };
    for await (const chunk of source) {
      const batch = this.csvRecords(reader.feed(chunk), state);
      if (batch.length > 0) yield batch;
    }
    const last = this.csvRecords(reader.finish(), state);
    if (last.length > 0) yield last;
    if (state.columns === null) throw new SettlementFileInvalid('the file is empty (a header line is required)', null);
  }

  private csvRecords(records: CsvRecord[], state: CsvState): ParsedLine[] {
    const out: ParsedLine[] = [];
    for (const item of records) {
      if (state.columns === null) {
        if (!item.fields) throw new SettlementFileInvalid(`the header is not valid CSV: ${item.error ?? 'malformed'}`, item.line);
        const header = parseHeader(item.fields);
        if (!header.ok) throw new SettlementFileInvalid(`bad header: ${header.reason}`, item.line);
        state.columns = header.columns;
        state.at = placesOf(header.columns);
        continue;
      }
      const columns = state.columns;
      this.countRow(item.line);
      const fields = item.fields;
      if (!fields) {
        out.push({ ok: false, invalid: { line: item.line, reason: item.error ?? 'malformed line' } });
        continue;
      }
      if (fields.length !== columns.size) {
        const reason = fields.length === 1 && fields[0] === '' ? 'empty line' : `malformed line: ${fields.length} field(s), the header has ${columns.size}`;
        out.push({ ok: false, invalid: { line: item.line, reason } });
        continue;
      }
      const { at } = state;
      out.push(validateFields(item.line, fields[at.external_id], fields[at.type], fields[at.amount], fields[at.currency], fields[at.settled_at], fields[at.processor_fee], fields[at.reference]));
    }
    return out;
  }

  private async *jsonLines(source: AsyncIterable<Buffer>): AsyncGenerator<ParsedLine[]> {
    let line = 0;
    let rest = '';
    let skippingLongLine = false;
    const parseOne = (text: string): ParsedLine => this.jsonLine(line, text.endsWith('\r') ? text.slice(0, -1) : text);
    for await (const chunk of source) {
      const batch: ParsedLine[] = [];
      const text = rest + chunk.toString('utf8');
      let start = 0;
      for (let newline = text.indexOf('\n', start); newline !== -1; newline = text.indexOf('\n', start)) {
        line += 1;
        const content = text.slice(start, newline);
        start = newline + 1;
        this.countRow(line);
        if (skippingLongLine || content.length > SETTLEMENT_LINE_BYTES_MAX) {
          skippingLongLine = false;
          batch.push({ ok: false, invalid: { line, reason: `malformed line: longer than ${SETTLEMENT_LINE_BYTES_MAX} bytes` } });
        } else batch.push(parseOne(content));
      }
      if (batch.length > 0) yield batch;
      rest = text.slice(start);
      // A line without an end in sight is cut off here, so one bad line cannot hold the whole file.
      if (rest.length > SETTLEMENT_LINE_BYTES_MAX) {
        skippingLongLine = true;
        rest = '';
      }
    }
    if (rest.length > 0 || skippingLongLine) {
      line += 1;
      this.countRow(line);
      yield [skippingLongLine ? { ok: false, invalid: { line, reason: `malformed line: longer than ${SETTLEMENT_LINE_BYTES_MAX} bytes` } } : parseOne(rest)];
    }
    if (line === 0) throw new SettlementFileInvalid('the file is empty', null);
  }

  private jsonLine(line: number, text: string): ParsedLine {
    const bad = (reason: string): ParsedLine => ({ ok: false, invalid: { line, reason } });
    if (text.trim() === '') return bad('empty line');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return bad('malformed line: not a JSON object');
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad('malformed line: not a JSON object');
    const record = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(record)) {
      if (!(REQUIRED_COLUMNS as readonly string[]).includes(key) && !(OPTIONAL_COLUMNS as readonly string[]).includes(key)) return bad(`unknown field "${key.slice(0, 40)}"`);
      // Money and times are strings on the wire (ADR 0007): a JSON number is refused, not converted.
      if (typeof field !== 'string') return bad(`field "${key}" must be a string${typeof field === 'number' ? ' (JSON numbers are not accepted for amounts or ids)' : ''}`);
    }
    for (const key of REQUIRED_COLUMNS) if (!(key in record)) return bad(`missing field "${key}"`);
    return validateRow(line, (column) => record[column] as string | undefined);
  }
}
