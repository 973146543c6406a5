import { createHash, Hash } from 'node:crypto';
import { CsvError, Parser } from 'csv-parse';
import { Column, OPTIONAL_COLUMNS, ParsedLine, parseHeader, REQUIRED_COLUMNS, validateRow } from './settlement-row';

export type SettlementFormat = 'csv' | 'jsonl';

/** Bounds on one file (TIGER_STYLE: limits on everything). */
export const SETTLEMENT_BYTES_MAX_DEFAULT = 1024 * 1024 * 1024;
export const SETTLEMENT_ROWS_MAX_DEFAULT = 5_000_000;
/** A line longer than this is malformed (real rows are under 300 bytes); it also bounds one unclosed quote. */
export const SETTLEMENT_LINE_BYTES_MAX = 4_096;

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

interface NumberedRecord {
  line: number;
  fields?: string[];
  error?: string;
}

/**
 * csv-parse with the line number of every record, driven chunk by chunk. `info: true` would copy
 * the parser's whole info object per record (it doubles the parse time of a million rows);
 * instead the parser's running line counter is read at the moment a record is pushed, which is
 * synchronous with parsing. Records are collected into a batch per chunk rather than pushed
 * through the stream one by one (a promise per row costs more than parsing it). Records
 * csv-parse refuses (bad quoting, a record above the size bound) come out in order as errors
 * with their line, and parsing goes on: one malformed line never hides the rest.
 */
class NumberedCsvParser extends Parser {
  batch: NumberedRecord[] = [];
  failure: Error | null = null;

  constructor() {
    super({ relax_column_count: true, skip_records_with_error: true, max_record_size: SETTLEMENT_LINE_BYTES_MAX, bom: true });
    this.on('skip', (error: CsvError | undefined) => {
      this.batch.push({ line: this.info.lines, error: error ? error.message : 'malformed line' });
    });
    this.on('error', (error: Error) => {
      this.failure = error;
    });
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (Array.isArray(chunk)) {
      this.batch.push({ line: this.info.lines, fields: chunk as string[] });
      return true;
    }
    return super.push(chunk, encoding);
  }

  /** Parses one chunk synchronously (Transform runs `_transform` inside `write` when idle) and hands back its records. */
  feed(chunk: Buffer): NumberedRecord[] {
    this.write(chunk);
    return this.drain();
  }

  async finish(): Promise<NumberedRecord[]> {
    await new Promise<void>((resolve) => this.end(resolve));
    return this.drain();
  }

  private drain(): NumberedRecord[] {
    if (this.failure) throw new SettlementFileInvalid(`not CSV: ${this.failure.message}`, this.info.lines);
    const batch = this.batch;
    this.batch = [];
    return batch;
  }
}

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
    const parser = new NumberedCsvParser();
    const state: { columns: Map<Column, number> | null } = { columns: null };
    for await (const chunk of source) {
      const batch = this.csvRecords(parser.feed(chunk), state);
      if (batch.length > 0) yield batch;
    }
    const last = this.csvRecords(await parser.finish(), state);
    if (last.length > 0) yield last;
    if (state.columns === null) throw new SettlementFileInvalid('the file is empty (a header line is required)', null);
  }

  private csvRecords(records: NumberedRecord[], state: { columns: Map<Column, number> | null }): ParsedLine[] {
    const out: ParsedLine[] = [];
    for (const item of records) {
      if (state.columns === null) {
        if (!item.fields) throw new SettlementFileInvalid(`the header is not valid CSV: ${item.error ?? 'malformed'}`, item.line);
        const header = parseHeader(item.fields);
        if (!header.ok) throw new SettlementFileInvalid(`bad header: ${header.reason}`, item.line);
        state.columns = header.columns;
        continue;
      }
      const columns = state.columns;
      this.countRow(item.line);
      const fields = item.fields;
      if (!fields) {
        out.push({ ok: false, invalid: { line: item.line, reason: `malformed line: ${item.error ?? 'not valid CSV'}` } });
        continue;
      }
      if (fields.length !== columns.size) {
        const reason = fields.length === 1 && fields[0] === '' ? 'empty line' : `malformed line: ${fields.length} field(s), the header has ${columns.size}`;
        out.push({ ok: false, invalid: { line: item.line, reason } });
        continue;
      }
      out.push(
        validateRow(item.line, (column) => {
          const index = columns.get(column);
          return index === undefined ? undefined : fields[index];
        }),
      );
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
