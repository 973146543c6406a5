import { z } from 'zod';

/**
 * Wire/storage codecs shared by every event schema. Stored JSON is the codec's input side, the
 * domain value its output side (see EventRegistry).
 */

/** A bigint stored as a decimal string of an integer ("-12", "0", "20000"). No exponent, no fraction. */
export const bigintString = z.codec(z.string().regex(/^-?(0|[1-9]\d{0,30})$/, 'must be an integer in decimal digits'), z.bigint(), {
  decode: (value) => BigInt(value),
  encode: (value) => value.toString(),
});

/** An ISO-8601 UTC instant, kept as a string in domain and storage alike. */
export const isoInstant = z.iso.datetime({ offset: false });

/** Opaque identifiers: never a phone number or a name (see docs/adr/0003). */
export const opaqueId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an opaque id: 1-64 of A-Z a-z 0-9 _ -');
