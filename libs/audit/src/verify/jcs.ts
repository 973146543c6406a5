/**
 * RFC 8785 (JCS) serialization of JSON values, written for the log's hot path: hashing every
 * event as its canonical entry. It gives exactly the text of the `canonicalize` library (by an
 * RFC 8785 author) for every JSON value — `jcs.spec.ts` compares the two on thousands of seeded
 * random values and on the edge cases — at several times its speed (no `reduce`, no string
 * re-quoting of plain keys, loops instead of callbacks).
 *
 * The rules, as in the library and RFC 8785 §3.2:
 * - strings: ECMAScript JSON.stringify (escapes `"`, `\`, control characters and lone surrogates;
 *   everything else verbatim). A string with none of those is quoted as it is.
 * - numbers: ECMAScript Number::toString (JSON.stringify of a finite number; -0 is `0`);
 *   NaN and ±Infinity are refused.
 * - object members sorted by key in UTF-16 code-unit order (the default Array sort), members
 *   whose value is undefined or a symbol left out; in arrays those are `null`.
 * - `toJSON` is honoured (Date, Buffer), as JSON.stringify and the library do.
 * Values JSON cannot hold (functions, bigint) are refused with a TypeError; the library would
 * emit invalid JSON or throw for them. Array holes are `null` (JSON.stringify's reading).
 */

/** What JSON.stringify would escape in a string; without any, the string is quoted verbatim. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

export const jcsString = (value: string): string => {
  if (typeof value !== 'string') throw new TypeError(`expected a string, got ${typeof value}`);
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
};

export const jcsNumber = (value: number): string => {
  if (Number.isNaN(value)) throw new Error('NaN is not allowed');
  if (!Number.isFinite(value)) throw new Error('Infinity is not allowed');
  return `${value}`;
};

const absent = (value: unknown): boolean => value === undefined || typeof value === 'symbol';

/**
 * How to write an object with a given key list: its keys in JCS order and each as `"key":`.
 * Events of one type have the same keys in the same order, so sorting and quoting happen once per
 * shape, not once per object. Looked up by the first key, then the whole list compared (property
 * names are interned strings: `===` is a pointer comparison). Bounded: at most `BUCKET_MAX`
 * shapes per first key (the oldest gives way) and `SHAPES_MAX` in all (cleared when full), so
 * data without repeating shapes costs a short scan, not a growing one.
 */
interface Shape {
  keys: readonly string[];
  sorted: string[];
  prefixes: string[];
}
const SHAPES_MAX = 4_096;
const BUCKET_MAX = 8;
const shapes = new Map<string, Shape[]>();
let shapeCount = 0;

const sameKeys = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const shapeOf = (keys: string[]): Shape => {
  const first = keys.length === 0 ? '' : (keys[0] as string);
  let bucket = shapes.get(first);
  if (bucket) for (const shape of bucket) if (sameKeys(shape.keys, keys)) return shape;
  const sorted = [...keys].sort();
  const shape: Shape = { keys, sorted, prefixes: sorted.map((key) => `${jcsString(key)}:`) };
  if (shapeCount >= SHAPES_MAX) {
    shapes.clear();
    shapeCount = 0;
    bucket = undefined;
  }
  if (!bucket) shapes.set(first, [shape]);
  else if (bucket.length < BUCKET_MAX) bucket.push(shape);
  else {
    bucket.shift();
    bucket.push(shape);
    return shape;
  }
  shapeCount++;
  return shape;
};

/** The RFC 8785 text of a JSON value. */
export const jcs = (value: unknown): string => {
  switch (typeof value) {
    case 'string':
      return jcsString(value);
    case 'number':
      return jcsNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return jcs((toJSON as () => unknown).call(value));
      if (Array.isArray(value)) {
        const items = value as unknown[];
        let text = '[';
        for (let i = 0; i < items.length; i++) {
          const item = items[i];
          text += (i === 0 ? '' : ',') + (absent(item) ? 'null' : jcs(item));
        }
        return `${text}]`;
      }
      const object = value as Record<string, unknown>;
      const { sorted, prefixes } = shapeOf(Object.keys(object));
      let text = '{';
      for (let i = 0; i < sorted.length; i++) {
        const member = object[sorted[i] as string];
        if (absent(member)) continue;
        text += (text.length === 1 ? '' : ',') + (prefixes[i] as string) + jcs(member);
      }
      return `${text}}`;
    }
    default:
      throw new TypeError(`${typeof value} has no JSON form`);
  }
};
