import type { JsonObject, JsonValue, StoredEvent } from '@attest/event-store';
import { seededRandom } from '../../../../test/support/random';

/**
 * Seeded, deterministic JSON for the canonical-entry specs: the hand-written RFC 8785 serializer
 * is compared with the `canonicalize` library on these, and a frozen root pins the entry bytes.
 * Strings and keys draw from the characters JCS treats specially: quotes, backslashes, every
 * control character, DEL, U+2028/9, non-ASCII, surrogate pairs (which sort differently by UTF-16
 * code unit than by code point) and lone surrogates; numbers from the ECMAScript edge cases.
 */

const CHARS = [
  ...'abcxyzABZ019 _-:/.',
  '"',
  '\\',
  ...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)),
  '\u007f',
  '\u0080',
  '\u00e9',
  '\u00ff',
  '\u2028',
  '\u2029',
  '\u20ac',
  '\ufb33',
  '\ufeff',
  '\uffff',
  '\ud83d\ude00',
  '\ud800\udc00',
  '\udbff\udfff',
  '\ud800',
  '\udfff',
  '\u0130',
];

const NUMBERS = [
  0, -0, 1, -1, 2, 10, 100, 0.1, 0.2, 0.1 + 0.2, 1 / 3, -1 / 3, 1.5, -2.5, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 5e-324, -5e-324,
  Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53 + 2, 4.35, 0.000001, 1e300, 333333333.3333333, 9.999999999999999e22,
];

export interface RandomJsonOptions {
  maxDepth?: number;
  maxWidth?: number;
}

export const randomJson = (random: () => number, options: RandomJsonOptions = {}) => {
  const maxDepth = options.maxDepth ?? 4;
  const maxWidth = options.maxWidth ?? 6;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const string = (maxLength = 12): string => {
    const length = Math.floor(random() * (maxLength + 1));
    let s = '';
    // Mostly plain text (the common case and the fast path), sometimes anything.
    const plain = random() < 0.5;
    for (let i = 0; i < length; i++) s += plain ? pick(CHARS.slice(0, 18)) : pick(CHARS);
    return s;
  };
  const number = (): number => {
    const r = random();
    if (r < 0.4) return pick(NUMBERS);
    if (r < 0.7) return Math.floor(random() * 2 ** 31) - 2 ** 30;
    if (r < 0.85) return (random() - 0.5) * 10 ** Math.floor(random() * 40 - 20);
    // Any finite double, from random bits.
    const bytes = new DataView(new ArrayBuffer(8));
    bytes.setUint32(0, Math.floor(random() * 2 ** 32));
    bytes.setUint32(4, Math.floor(random() * 2 ** 32));
    const value = bytes.getFloat64(0);
    return Number.isFinite(value) ? value : 0;
  };
  const object = (depth: number): JsonObject => {
    const result: JsonObject = {};
    const width = Math.floor(random() * (maxWidth + 1));
    for (let i = 0; i < width; i++) {
      const r = random();
      // Keys: text, integer-like (which objects enumerate first), near-duplicates by prefix.
      const key = r < 0.15 ? String(Math.floor(random() * 20)) : r < 0.25 ? `k${'k'.repeat(Math.floor(random() * 3))}` : string(6);
      result[key] = value(depth + 1);
    }
    return result;
  };
  const value = (depth: number): JsonValue => {
    const r = random();
    if (depth < maxDepth && r < 0.15) return object(depth);
    if (depth < maxDepth && r < 0.25) return Array.from({ length: Math.floor(random() * maxWidth) }, () => value(depth + 1));
    if (r < 0.55) return string();
    if (r < 0.8) return number();
    if (r < 0.9) return random() < 0.5;
    return null;
  };
  return { object: () => object(0), value: () => value(0), string };
};

/** Stored events with random data, pii (sometimes null) and envelope strings. */
export const randomStoredEvents = (seed: number, count: number): StoredEvent[] => {
  const random = seededRandom(seed);
  const json = randomJson(random);
  return Array.from({ length: count }, (_, i) => ({
    eventId: json.string(40) || `e-${i}`,
    streamId: json.string(20) || 's',
    streamRevision: BigInt(Math.floor(random() * 2 ** 40)) * (random() < 0.1 ? 1_000_000n : 1n),
    globalPosition: BigInt(i + 1),
    type: json.string(16) || 'T',
    schemaVersion: 1 + Math.floor(random() * 3),
    data: json.object(),
    pii: random() < 0.3 ? null : json.object(),
    metadata: {
      recordedAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 1e10)).toISOString(),
      correlationId: json.string(36),
      causationId: random() < 0.5 ? null : json.string(36),
      actor: json.string(20),
    },
  }));
};
