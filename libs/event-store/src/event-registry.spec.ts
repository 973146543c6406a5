import { z } from 'zod';
import { seededRandom } from '../../../test/support/random';
import { bigintString } from './codecs';
import { InvalidEvent } from './errors';
import { defineEvent, EventRegistry, toStoredForm } from './event-registry';

/** An event shaped like the ledger's: nested objects, an array of postings, refinements at two levels, a pii section. */
const posting = z
  .strictObject({ debit: z.string().min(1), credit: z.string().min(1), amountMinor: bigintString })
  .refine((p) => p.debit !== p.credit, { message: 'debit and credit differ', path: ['credit'] });
const Moved = defineEvent({
  type: 'Moved',
  schemaVersion: 1,
  description: 'spec event',
  data: z
    .strictObject({
      subjectId: z.string(),
      amountMinor: bigintString,
      postings: z.array(posting).min(1),
      memo: z.string().max(10).optional(),
      tags: z.array(z.string()).nullable(),
      /** Not strict: zod's encode strips unknown keys here. */
      meta: z.object({ source: z.string() }).optional(),
    })
    .refine((d) => d.postings.reduce((sum, p) => sum + p.amountMinor, 0n) === d.amountMinor, { message: 'postings add up', path: ['postings'] }),
  pii: z.strictObject({ note: z.string() }).nullable(),
});

const registry = new EventRegistry().register(Moved);

/** What the registry did before its fast path: zod's own encode, section by section. */
const reference = (data: unknown, pii: unknown) => {
  const d = z.safeEncode(Moved.data as z.ZodType, data);
  const p = z.safeEncode(Moved.pii as z.ZodType, pii === undefined ? null : pii);
  if (!d.success) return { error: d.error.issues.map((i) => ['data', ...i.path].join('.')) };
  if (!p.success) return { error: p.error.issues.map((i) => ['pii', ...i.path].join('.')) };
  return { ok: { data: d.data, pii: p.data ?? null } };
};

const actual = (data: unknown, pii: unknown) => {
  try {
    const encoded = registry.encode({ type: 'Moved', data, pii });
    return { ok: { data: encoded.data, pii: encoded.pii } };
  } catch (error) {
    if (!(error instanceof InvalidEvent)) throw error;
    return { error: error.issues.map((i) => i.path) };
  }
};

const valid = {
  subjectId: 's1',
  amountMinor: 150n,
  postings: [
    { debit: 'a', credit: 'b', amountMinor: 100n },
    { debit: 'a', credit: 'c', amountMinor: 50n },
  ],
  tags: null,
};

describe('EventRegistry.encode', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['a valid event', valid, { note: 'hi' }],
    ['a valid event with an optional field and no pii', { ...valid, memo: 'short', tags: ['x'] }, undefined],
    ['negative and zero amounts', { ...valid, amountMinor: -1n, postings: [{ debit: 'a', credit: 'b', amountMinor: -1n }] }, null],
    ['a refinement failing at the top', { ...valid, amountMinor: 151n }, null],
    ['a refinement failing inside the array', { ...valid, postings: [{ debit: 'a', credit: 'a', amountMinor: 150n }] }, null],
    ['a bigint where a string belongs', { ...valid, memo: 5n }, null],
    ['a string where a bigint belongs (already stored form)', { ...valid, amountMinor: '150' }, null],
    ['a number where a bigint belongs', { ...valid, amountMinor: 150 }, null],
    ['a bigint too long for the stored form', { ...valid, amountMinor: 10n ** 40n, postings: [{ debit: 'a', credit: 'b', amountMinor: 10n ** 40n }] }, null],
    ['an unknown key', { ...valid, extra: true }, null],
    ['an unknown key where the schema strips it', { ...valid, meta: { source: 'app', extra: 1n } }, null],
    ['a non-strict object without unknown keys', { ...valid, meta: { source: 'app' } }, null],
    ['a missing key', { subjectId: 's1', amountMinor: 1n, tags: null }, null],
    ['a Date where a string belongs', { ...valid, memo: new Date(0) }, null],
    ['an invalid pii section', valid, { note: 1 }],
    ['an array that is not a plain array element', { ...valid, tags: [1] }, null],
  ];

  it.each(cases)('gives exactly what zod encode gives: %s', (_name, data, pii) => {
    expect(actual(data, pii)).toEqual(reference(data, pii));
  });

  it('stores bigints as decimal strings and leaves the domain value untouched', () => {
    const input = structuredClone(valid);
    const encoded = registry.encode({ type: 'Moved', data: input, pii: null });
    expect(encoded.data).toEqual({ subjectId: 's1', amountMinor: '150', postings: [{ debit: 'a', credit: 'b', amountMinor: '100' }, { debit: 'a', credit: 'c', amountMinor: '50' }], tags: null });
    expect(input).toEqual(valid);
    expect(JSON.parse(JSON.stringify(encoded.data))).toEqual(encoded.data);
  });

  it('agrees with zod encode on random events, valid and not', () => {
    const random = seededRandom(7);
    const pick = <T,>(values: T[]): T => values[Math.floor(random() * values.length)] as T;
    for (let n = 0; n < 500; n++) {
      const count = 1 + Math.floor(random() * 3);
      const postings = Array.from({ length: count }, () => ({
        debit: pick(['a', 'b', '']),
        credit: pick(['b', 'c', 'a']),
        amountMinor: pick<unknown>([BigInt(Math.floor(random() * 1000) - 100), '7', 7, 10n ** 35n]),
      }));
      const total = postings.reduce((sum, p) => (typeof p.amountMinor === 'bigint' ? sum + p.amountMinor : sum), 0n);
      const data: Record<string, unknown> = {
        subjectId: pick<unknown>(['s', 5n, undefined]),
        amountMinor: pick<unknown>([total, total + 1n, String(total)]),
        postings,
        tags: pick<unknown>([null, ['t'], [1n], undefined]),
      };
      if (random() < 0.3) data['memo'] = pick<unknown>(['m', 'a memo that is too long', 3n]);
      if (random() < 0.1) data['unknown'] = 1;
      const pii = pick<unknown>([null, undefined, { note: 'n' }, { note: 1n }]);
      expect(actual(data, pii)).toEqual(reference(data, pii));
    }
  });

  it('toStoredForm turns bigints into strings at any depth and copies arrays and plain objects', () => {
    const nested = { a: [1n, { b: -2n }], c: 'x', d: null };
    expect(toStoredForm(nested)).toEqual({ a: ['1', { b: '-2' }], c: 'x', d: null });
    expect(toStoredForm(nested)).not.toBe(nested);
  });
});
