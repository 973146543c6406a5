import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ParsedLine } from './settlement-row';
import { SettlementFileInvalid, SettlementReader, SettlementFormat } from './settlement-reader';

const read = async (text: string | string[], format: SettlementFormat = 'csv') => {
  const reader = new SettlementReader({ format });
  const out: ParsedLine[] = [];
  const chunks = Array.isArray(text) ? text : [text];
  for await (const batch of reader.batches((async function* () {
    yield* chunks;
  })()))
    out.push(...batch);
  return { reader, out, invalid: out.flatMap((line) => (line.ok ? [] : [line.invalid])), rows: out.flatMap((line) => (line.ok ? [line.row] : [])) };
};
const refused = (text: string, format: SettlementFormat = 'csv') => read(text, format).then(() => null, (error: unknown) => error);

const HEADER = 'external_id,type,amount,currency,settled_at,processor_fee';

describe('settlement reader', () => {
  it('reads valid rows to bigint minor units with their line numbers, whatever the chunking', async () => {
    const text = `${HEADER}\r\nd-1,deposit,12.50,CNY,2026-01-31T23:59:59Z,0.10\r\n"d-2",payout,"1200",JPY,2026-01-01T00:00:00.5Z,\r\n`;
    const { rows, invalid } = await read(text.match(/.{1,7}/gs) ?? []);
    expect(invalid).toEqual([]);
    expect(rows).toEqual([
      expect.objectContaining({ line: 2, externalId: 'd-1', reference: 'd-1', type: 'deposit', amountMinor: 1250n, currency: 'CNY', processorFeeMinor: 10n }),
      expect.objectContaining({ line: 3, externalId: 'd-2', type: 'payout', amountMinor: 1200n, currency: 'JPY', processorFeeMinor: 0n, settledAtMs: Date.parse('2026-01-01T00:00:00.500Z') }),
    ]);
  });

  it('reports every bad row with its line and reason and coerces nothing', async () => {
    const lines = [
      HEADER,
      'a,deposit,,CNY,2026-01-01T00:00:00Z,', // 2 empty amount: never 0
      'b,deposit,12.5,CNY,2026-01-01T00:00:00Z,', // 3
      'c,deposit,-1.00,CNY,2026-01-01T00:00:00Z,', // 4
      'd,deposit,1e3,CNY,2026-01-01T00:00:00Z,', // 5
      'e,deposit,0.00,CNY,2026-01-01T00:00:00Z,', // 6
      'f,deposit,1.00,XYZ,2026-01-01T00:00:00Z,', // 7
      'g,transfer,1.00,CNY,2026-01-01T00:00:00Z,', // 8
      'h,deposit,1.00,CNY,2026-02-30T00:00:00Z,', // 9
      'i,deposit,1.00,CNY,2026-01-01 00:00:00,', // 10
      'j,deposit,1.00,CNY,2026-01-01T00:00:00+08:00,', // 11
      'k k,deposit,1.00,CNY,2026-01-01T00:00:00Z,', // 12
      'l,deposit,1.00,CNY', // 13
      '', // 14
      'm,deposit,1.00,CNY,2026-01-01T00:00:00Z,1.0', // 15
      'n,deposit,1.00,CNY,2026-01-01T00:00:00Z,0.00', // 16 fine
    ];
    const { invalid, rows } = await read(lines.join('\n') + '\n');
    expect(invalid.map((row) => row.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(invalid[0]?.reason).toMatch(/amount "" must be a decimal string/);
    expect(invalid[5]?.reason).toBe('unknown currency "XYZ"');
    expect(invalid[6]?.reason).toMatch(/unknown type "transfer"/);
    expect(invalid[7]?.reason).toMatch(/settled_at "2026-02-30T00:00:00Z"/);
    expect(invalid[11]?.reason).toMatch(/malformed line: 4 field/);
    expect(invalid[12]?.reason).toBe('empty line');
    expect(rows.map((row) => row.line)).toEqual([16]);
  });

  it('keeps going after a line with broken quoting, and counts lines correctly after it', async () => {
    const { invalid, rows } = await read(`${HEADER}\na,deposit,1.00,CNY,2026-01-01T00:00:00Z,x"y\nb,deposit,2.00,CNY,2026-01-01T00:00:00Z,\n`);
    expect(invalid).toEqual([{ line: 2, reason: expect.stringMatching(/malformed line/) }]);
    expect(rows.map((row) => [row.line, row.externalId])).toEqual([[3, 'b']]);
  });

  it('reports a line over 4,096 bytes and still reads every line after it, in the same chunk or not', async () => {
    const ok = (id: string) => `${id},deposit,1.00,CNY,2026-01-01T00:00:00Z,`;
    const text = [HEADER, ok('a'), `${'x'.repeat(5_000)},deposit,1.00,CNY,2026-01-01T00:00:00Z,`, ok('b'), ok('c'), ok('d'), ''].join('\n');
    for (const chunks of [[text], text.match(/.{1,1000}/gs) ?? []]) {
      const { invalid, rows } = await read(chunks);
      expect(invalid).toEqual([{ line: 3, reason: 'malformed line: longer than 4096 bytes' }]);
      expect(rows.map((row) => [row.line, row.externalId])).toEqual([[2, 'a'], [4, 'b'], [5, 'c'], [6, 'd']]);
    }
  });

  it('refuses a file without a header, a bad header and an empty file as a whole', async () => {
    expect(await refused('')).toBeInstanceOf(SettlementFileInvalid);
    expect(((await refused('external_id,type,amount\n')) as Error).message).toMatch(/line 1: bad header: missing column\(s\) currency, settled_at/);
    expect(((await refused(`${HEADER},colour\n`)) as Error).message).toMatch(/unknown column "colour"/);
    expect(((await refused('external_id,external_id,type,amount,currency,settled_at\n')) as Error).message).toMatch(/appears twice/);
    expect(await refused('', 'jsonl')).toBeInstanceOf(SettlementFileInvalid);
  });

  it('accepts a header alone (a day without movements) and columns in any order', async () => {
    expect((await read(`${HEADER}\n`)).out).toEqual([]);
    const { rows } = await read('settled_at,currency,amount,type,external_id,reference\n2026-01-01T00:00:00Z,CNY,3.00,refund,r-1,d-1\n');
    expect(rows[0]).toMatchObject({ externalId: 'r-1', reference: 'd-1', type: 'refund', amountMinor: 300n });
  });

  it('reads JSON lines strictly: strings only, known fields only', async () => {
    const lines = [
      JSON.stringify({ external_id: 'a', type: 'deposit', amount: '1.00', currency: 'CNY', settled_at: '2026-01-01T00:00:00Z' }),
      JSON.stringify({ external_id: 'b', type: 'deposit', amount: 1, currency: 'CNY', settled_at: '2026-01-01T00:00:00Z' }),
      JSON.stringify({ external_id: 'c', type: 'deposit', amount: '1.00', currency: 'CNY', settled_at: '2026-01-01T00:00:00Z', colour: 'red' }),
      '{"external_id":',
      JSON.stringify({ external_id: 'e', type: 'deposit', currency: 'CNY', settled_at: '2026-01-01T00:00:00Z' }),
      '[1,2]',
    ];
    const { rows, invalid } = await read(lines.join('\n'), 'jsonl');
    expect(rows.map((row) => row.line)).toEqual([1]);
    expect(invalid).toEqual([
      { line: 2, reason: expect.stringMatching(/JSON numbers are not accepted/) },
      { line: 3, reason: 'unknown field "colour"' },
      { line: 4, reason: 'malformed line: not a JSON object' },
      { line: 5, reason: 'missing field "amount"' },
      { line: 6, reason: 'malformed line: not a JSON object' },
    ]);
  });

  it('hashes the exact bytes read and refuses a file above its byte bound', async () => {
    const { reader } = await read(`${HEADER}\n`);
    const { createHash } = await import('node:crypto');
    expect(reader.sha256).toBe(createHash('sha256').update(`${HEADER}\n`).digest('hex'));
    const small = new SettlementReader({ format: 'csv', bytesMax: 10 });
    const consume = async () => {
      for await (const batch of small.batches((async function* () {
        yield `${HEADER}\n`;
      })()))
        void batch;
    };
    await expect(consume()).rejects.toThrow(/larger than 10 bytes/);
  });

  it('reads the documented samples without a single invalid row', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const docs = join(__dirname, '..', '..', '..', 'docs');
    const csv = await read(readFileSync(join(docs, 'settlement-sample.csv'), 'utf8'));
    expect(csv.invalid).toEqual([]);
    expect(csv.rows.map((row) => [row.type, row.reference])).toContainEqual(['deposit', 'dep-7781']);
    const jsonl = await read(readFileSync(join(docs, 'settlement-sample.jsonl'), 'utf8'), 'jsonl');
    expect(jsonl.invalid).toEqual([]);
    expect(jsonl.rows).toHaveLength(2);
  });

  it('reads a large file in bounded memory', async () => {
    const rows = 200_000;
    const reader = new SettlementReader({ format: 'csv' });
    async function* file() {
      yield `${HEADER}\n`;
      for (let start = 0; start < rows; start += 1_000) {
        let chunk = '';
        for (let i = start; i < start + 1_000; i++) chunk += `id-${i},deposit,${(i % 9000) + 1}.25,CNY,2026-01-15T10:00:00Z,0.10\n`;
        yield chunk;
      }
    }
    // A collector on demand (jest runs without --expose-gc): heap *retained* is what bounded means,
    // garbage waiting for the next collection is not.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    let retainedMax = 0;
    let count = 0;
    let batches = 0;
    for await (const batch of reader.batches(file())) {
      count += batch.length;
      if (++batches % 20 === 0) {
        gc();
        retainedMax = Math.max(retainedMax, process.memoryUsage().heapUsed - before);
      }
    }
    expect(count).toBe(rows);
    // The whole file is ~12 MB of text and ~60 MB as row objects; a streaming reader holds one chunk.
    expect(retainedMax).toBeLessThan(8 * 1024 * 1024);
  });
});
