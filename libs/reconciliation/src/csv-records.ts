import { StringDecoder } from 'node:string_decoder';

/** A line longer than this is malformed (real rows are under 300 bytes); it also bounds one unclosed quote. */
export const SETTLEMENT_LINE_BYTES_MAX = 4_096;

/** One record of the file: its fields, or why it is not a record ("malformed line: …"). `line` is the 1-based line it ends on. */
export type CsvRecord = { line: number; fields: string[]; error?: undefined } | { line: number; fields?: undefined; error: string };

const QUOTE = 34; // "
const COMMA = 44; // ,
const NEWLINE = 10; // \n
const RETURN = 13; // \r

const tooLong = (text: string): boolean =>
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short texts need no byte count.
  text.length > SETTLEMENT_LINE_BYTES_MAX || (text.length * 3 > SETTLEMENT_LINE_BYTES_MAX && Buffer.byteLength(text, 'utf8') > SETTLEMENT_LINE_BYTES_MAX);

const LONG = `malformed line: longer than ${SETTLEMENT_LINE_BYTES_MAX} bytes`;

/** Newlines in text[from, to). */
const newlines = (text: string, from: number, to: number): number => {
  let count = 0;
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count += 1;
  return count;
};

/** What parsing one record that contains a quote gave: the record and where the next starts, or null (it goes on past the text read so far). */
type Quoted = { fields: string[]; error?: undefined; end: number; next: number; lines: number } | { fields?: undefined; error: string; end: number; next: number; lines: number } | null;

/**
 * A strict, streaming RFC 4180 reader: records come out of each chunk as it arrives, with the
 * line each ends on, and memory holds at most one unfinished record (bounded by
 * SETTLEMENT_LINE_BYTES_MAX). Fields are separated by commas, records by `\n` or `\r\n`; a field
 * is either unquoted (no `"` in it) or quoted (`"…"`, `""` for a quote, commas and line breaks
 * allowed inside). UTF-8, with or without a BOM.
 *
 * A record that breaks those rules — a quote inside an unquoted field, anything but a comma or
 * the end of the line after a closing quote, a quote never closed, more than
 * SETTLEMENT_LINE_BYTES_MAX bytes — comes out as an error with its line, and reading resumes at
 * the next line: one bad line never hides or swallows the lines after it. Nothing is trimmed or
 * converted; an empty line is one empty field (the caller reports it).
 *
 * Hand-written rather than csv-parse (ADR 0016): csv-parse reads about 20 MB/s here, a fifth of a
 * million-row run's time budget, and with a record-size bound it drops the rest of the chunk
 * after an over-long record. Lines without a quote — nearly all of them — cost one `split`.
 */
export class CsvRecordReader {
  private readonly decoder = new StringDecoder('utf8');
  /** Decoded text not parsed yet; it starts at the beginning of a record (or of a line being skipped). */
  private text = '';
  /** Line number of the start of `text`. */
  private line = 1;
  private started = false;
  /** The rest of the current line is discarded (its record was reported too long). */
  private skipping = false;

  /** The records completed by this chunk. */
  feed(chunk: Buffer): CsvRecord[] {
    return this.parse(this.decoder.write(chunk), false);
  }

  /** The last records, once the input has ended. */
  finish(): CsvRecord[] {
    return this.parse(this.decoder.end(), true);
  }

  private parse(more: string, end: boolean): CsvRecord[] {
    let text = this.text + more;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const out: CsvRecord[] = [];
    let pos = 0;
    let line = this.line;
    if (this.skipping) {
      const newline = text.indexOf('\n');
      if (newline === -1) {
        this.text = '';
        return out;
      }
      this.skipping = false;
      pos = newline + 1;
      line += 1;
    }
    let quoteAt = -1;
    while (pos < text.length) {
      const newline = text.indexOf('\n', pos);
      if (quoteAt < pos) quoteAt = text.indexOf('"', pos);
      if (quoteAt === -1) quoteAt = text.length;
      let record: Quoted;
      if (quoteAt > newline && newline !== -1) {
        // The common case: a whole line without a quote.
        const content = text.slice(pos, newline > pos && text.charCodeAt(newline - 1) === RETURN ? newline - 1 : newline);
        out.push(tooLong(content) ? { line, error: LONG } : { line, fields: content.split(',') });
        pos = newline + 1;
        line += 1;
        continue;
      }
      if (quoteAt >= text.length) {
        // A last line without a quote, and no line break after it (yet).
        if (!end) record = null;
        else {
          const content = text.slice(pos, text.charCodeAt(text.length - 1) === RETURN ? text.length - 1 : text.length);
          out.push(tooLong(content) ? { line, error: LONG } : { line, fields: content.split(',') });
          pos = text.length;
          break;
        }
      } else record = quotedRecord(text, pos, end);
      if (record === null) {
        // Unfinished: wait for more, unless it is already too long — then it is reported and
        // reading resumes at the next line.
        if (!tooLong(text.slice(pos))) break;
        out.push({ line, error: LONG });
        const next = text.indexOf('\n', pos);
        if (next === -1) {
          this.skipping = true;
          pos = text.length;
          break;
        }
        pos = next + 1;
        line += 1;
        continue;
      }
      const recordLine = line + record.lines;
      if (record.error !== undefined) out.push({ line: recordLine, error: record.error });
      else out.push(tooLong(text.slice(pos, record.end)) ? { line: recordLine, error: LONG } : { line: recordLine, fields: record.fields });
      // `next` is past the record's line break, or at the end of the text.
      line = recordLine + (text.charCodeAt(record.next - 1) === NEWLINE ? 1 : 0);
      pos = record.next;
    }
    this.text = pos === 0 ? text : text.slice(pos);
    this.line = line;
    return out;
  }
}

/**
 * One record starting at `start` that has a quote in it, parsed character by character: its
 * fields, where its content ends (`end`, before the line break) and the next record starts
 * (`next`), and how many line breaks it spans before its end (`lines`). An error resumes at the
 * line after the one it was found on; a quote never closed is found where it opens. Null when
 * the record goes on past the text and more may come.
 */
const quotedRecord = (text: string, start: number, final: boolean): Quoted => {
  const fields: string[] = [];
  let at = start;
  const fail = (reason: string, from: number): Quoted => {
    const newline = text.indexOf('\n', from);
    if (newline === -1 && !final) return null;
    const stop = newline === -1 ? text.length : newline;
    return { error: `malformed line: ${reason}`, end: stop, next: newline === -1 ? text.length : newline + 1, lines: newlines(text, start, stop) };
  };
  const done = (end: number, next: number): Quoted => ({ fields, end, next, lines: newlines(text, start, end) });
  for (;;) {
    const field = fields.length + 1;
    if (text.charCodeAt(at) === QUOTE) {
      const opening = at;
      let value = '';
      let from = at + 1;
      for (;;) {
        const quote = text.indexOf('"', from);
        if (quote === -1) return final ? fail(`the quote opening field ${field} is never closed`, opening) : null;
        value += text.slice(from, quote);
        if (quote + 1 >= text.length && !final) return null;
        if (text.charCodeAt(quote + 1) === QUOTE) {
          value += '"';
          from = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      fields.push(value);
      const next = text.charCodeAt(at);
      if (next === COMMA) {
        at += 1;
        continue;
      }
      if (at >= text.length) return final ? done(at, at) : null;
      if (next === NEWLINE) return done(at, at + 1);
      if (next === RETURN) {
        if (text.charCodeAt(at + 1) === NEWLINE) return done(at, at + 2);
        if (at + 1 >= text.length) return final ? done(at, at + 1) : null;
      }
      return fail(`field ${field} has characters after its closing quote`, at);
    }
    // An unquoted field: up to the next comma or line break; a quote in it is an error.
    let stop = at;
    for (; stop < text.length; stop++) {
      const c = text.charCodeAt(stop);
      if (c === COMMA || c === NEWLINE || c === QUOTE) break;
    }
    const c = text.charCodeAt(stop);
    if (c === QUOTE) return fail(`a quote inside unquoted field ${field}`, stop);
    if (c === COMMA) {
      fields.push(text.slice(at, stop));
      at = stop + 1;
      continue;
    }
    if (stop >= text.length && !final) return null;
    // A line break (`\r\n` counts as one) or the end of the file ends the record.
    const contentEnd = stop > at && text.charCodeAt(stop - 1) === RETURN ? stop - 1 : stop;
    fields.push(text.slice(at, contentEnd));
    return done(contentEnd, stop >= text.length ? stop : stop + 1);
  }
};
