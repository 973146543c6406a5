import { Parser } from 'csv-parse';
import { CsvRecord, CsvRecordReader, SETTLEMENT_LINE_BYTES_MAX } from './csv-records';
import { seededRandom as random } from '../../../test/support/random';

/** Every record of `bytes` read in the given chunks. */
const records = (bytes: Buffer, cuts: number[] = []): CsvRecord[] => {
  const reader = new CsvRecordReader();
  const out: CsvRecord[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...reader.feed(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(...reader.feed(bytes.subarray(from)));
  out.push(...reader.finish());
  return out;
};
const read = (text: string, cuts: number[] = []) => records(Buffer.from(text, 'utf8'), cuts);

/** csv-parse as the reference for well-formed files: records with the line csv-parse is on when it emits them. */
const reference = (bytes: Buffer): CsvRecord[] => {
  const out: CsvRecord[] = [];
  const parser = new Parser({ relax_column_count: true, bom: true });
  parser.on('data', (fields: string[]) => out.push({ line: parser.info.lines, fields }));
  parser.write(bytes);
  parser.end();
  return out;
};

describe('CsvRecordReader', () => {
  it('reads well-formed files exactly as csv-parse does, whatever the chunking (random files)', () => {
    const next = random(42);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
    const plain = ['a', 'Z', '0', '9', '-', '.', ':', '_', ' ', 'é', '中', '😀', '\r'];
    const quotedOnly = [',', '"', '\n'];
    for (let file = 0; file < 300; file++) {
      const newline = pick(['\n', '\r\n']);
      const lines: string[] = [];
      for (let r = 0, records = Math.floor(next() * 12); r < records; r++) {
        const fields: string[] = [];
        for (let f = 0, count = 1 + Math.floor(next() * 6); f < count; f++) {
          let value = '';
          const quoted = next() < 0.3;
          for (let c = 0, length = Math.floor(next() * 8); c < length; c++) value += quoted && next() < 0.3 ? pick(quotedOnly) : pick(plain);
          // csv-parse counts a lone \r as a line break for its line numbers: kept out of the comparison.
          value = value.replace(/\r/g, quoted ? '' : 'r');
          fields.push(quoted ? `"${value.replace(/"/g, '""')}"` : value);
        }
        lines.push(fields.join(','));
      }
      const text = (next() < 0.2 ? '\ufeff' : '') + lines.join(newline) + (next() < 0.5 ? newline : '');
      const bytes = Buffer.from(text, 'utf8');
      const expected = reference(bytes);
      expect(records(bytes)).toEqual(expected);
      // Chunks cut anywhere, in the middle of a multi-byte character or of a \r\n too.
      const cuts = Array.from({ length: Math.floor(next() * 6) }, () => Math.floor(next() * (bytes.length + 1)));
      expect(records(bytes, cuts)).toEqual(expected);
    }
  });

  it('numbers lines from 1 and counts \\r\\n and \\n line breaks, inside quoted fields too', () => {
    expect(read('h1,h2\r\na,b\r\n"x\r\ny",z\r\nlast,1')).toEqual([
      { line: 1, fields: ['h1', 'h2'] },
      { line: 2, fields: ['a', 'b'] },
      { line: 4, fields: ['x\r\ny', 'z'] },
      { line: 5, fields: ['last', '1'] },
    ]);
  });

  it('gives an empty line as one empty field and nothing for the end of the file', () => {
    expect(read('a\n\nb\n')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 2, fields: [''] },
      { line: 3, fields: ['b'] },
    ]);
    expect(read('')).toEqual([]);
  });

  it('reports broken quoting with its line and resumes at the next line', () => {
    const text = ['h,i', 'a,x"y', 'b,"q"r', 'c,"ok"', '"never closed,1', 'd,2'].join('\n');
    const expected = [
      { line: 1, fields: ['h', 'i'] },
      { line: 2, error: 'malformed line: a quote inside unquoted field 2' },
      { line: 3, error: 'malformed line: field 2 has characters after its closing quote' },
      { line: 4, fields: ['c', 'ok'] },
      { line: 5, error: 'malformed line: the quote opening field 1 is never closed' },
      { line: 6, fields: ['d', '2'] },
    ];
    expect(read(text)).toEqual(expected);
    for (let cut = 0; cut <= text.length; cut++) expect(read(text, [cut])).toEqual(expected);
  });

  it('reports a line over the bound and loses none of the lines after it, whatever the chunking', () => {
    const long = `x${'y'.repeat(SETTLEMENT_LINE_BYTES_MAX)},1`;
    const text = ['h,i', 'a,1', long, 'b,2', 'c,3', `"${'q'.repeat(SETTLEMENT_LINE_BYTES_MAX)}`, 'd,4', ''].join('\n');
    const expected = [
      { line: 1, fields: ['h', 'i'] },
      { line: 2, fields: ['a', '1'] },
      { line: 3, error: `malformed line: longer than ${SETTLEMENT_LINE_BYTES_MAX} bytes` },
      { line: 4, fields: ['b', '2'] },
      { line: 5, fields: ['c', '3'] },
      { line: 6, error: expect.stringMatching(/^malformed line: (longer than|the quote opening field 1 is never closed)/) as unknown as string },
      { line: 7, fields: ['d', '4'] },
    ];
    expect(read(text)).toEqual(expected);
    for (const size of [1, 7, 100, 4_000, 5_000]) {
      const cuts = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => i * size);
      expect(read(text, cuts)).toEqual(expected);
    }
    // Bytes, not characters: 1,366 three-byte characters are over 4,096 bytes.
    expect(read(`${'中'.repeat(1_366)}\nok`)).toEqual([
      { line: 1, error: `malformed line: longer than ${SETTLEMENT_LINE_BYTES_MAX} bytes` },
      { line: 2, fields: ['ok'] },
    ]);
  });

  it('gives the same records for any chunking of malformed files too (random files)', () => {
    const next = random(7);
    const alphabet = ['a', ',', '"', '\n', '\r', 'é', '"', ',', 'b'];
    for (let file = 0; file < 500; file++) {
      let text = '';
      for (let c = 0, length = Math.floor(next() * 60); c < length; c++) text += alphabet[Math.floor(next() * alphabet.length)];
      const bytes = Buffer.from(text, 'utf8');
      const whole = records(bytes);
      const cuts = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * (bytes.length + 1)));
      expect(records(bytes, cuts)).toEqual(whole);
      // Every line of the file is accounted for, in order: no record is lost or numbered twice.
      const lines = whole.map((record) => record.line);
      expect([...lines].sort((a, b) => a - b)).toEqual(lines);
      expect(new Set(lines).size).toBe(lines.length);
    }
  });
});
