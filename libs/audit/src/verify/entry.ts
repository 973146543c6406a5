import canonicalize from 'canonicalize';
import { z } from 'zod';
import type { StoredEvent } from '@attest/event-store';

/**
 * The log entry of an event: the UTF-8 bytes of the RFC 8785 (JCS) canonical JSON of the event
 * *as stored* — the same envelope fields the API shows, positions and revisions as decimal
 * strings, `pii` as stored (ciphertext once the crypto-shredding issue lands), so erasing a
 * subject's key never changes a leaf. The field list is written out here on purpose: it is a
 * published format (docs/audit-bundle-format.md), and must not follow edits to other envelopes.
 */
// `data` and `pii` come from JSON.parse (a bundle file) or the store: any value in them is JSON
// already, so they are checked as objects only — a recursive schema cost most of the time of
// verifying a 10,000-event bundle.
const jsonObject = z.record(z.string(), z.unknown());
const decimal = z.string().regex(/^(0|[1-9]\d{0,19})$/, 'must be a non-negative integer in decimal digits');

export const entryEnvelopeSchema = z.strictObject({
  eventId: z.string().min(1).max(200),
  streamId: z.string().min(1).max(200),
  streamRevision: decimal,
  globalPosition: decimal,
  type: z.string().min(1).max(200),
  schemaVersion: z.number().int().min(1),
  data: jsonObject,
  pii: jsonObject.nullable(),
  metadata: z.strictObject({
    recordedAt: z.string(),
    correlationId: z.string(),
    causationId: z.string().nullable(),
    actor: z.string(),
  }),
});

export type EntryEnvelope = z.output<typeof entryEnvelopeSchema>;

export const entryEnvelopeOf = (event: StoredEvent): EntryEnvelope => ({
  eventId: event.eventId,
  streamId: event.streamId,
  streamRevision: event.streamRevision.toString(),
  globalPosition: event.globalPosition.toString(),
  type: event.type,
  schemaVersion: event.schemaVersion,
  data: event.data,
  pii: event.pii,
  metadata: {
    recordedAt: event.metadata.recordedAt,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    actor: event.metadata.actor,
  },
});

const jcs = (value: unknown): string => {
  const text = canonicalize(value);
  // canonicalize answers undefined only for undefined input; data and pii are objects or null.
  if (text === undefined) throw new Error('an event envelope field has no canonical form');
  return text;
};
const str = (value: string | number | null): string => JSON.stringify(value);

/**
 * RFC 8785 canonical bytes of an envelope. The envelope's own keys are fixed, so they are written
 * in their JCS order (UTF-16 code-unit order) directly, and only the free-form `data` and `pii`
 * go through the `canonicalize` library: the same bytes as `canonicalize(envelope)` (a spec
 * checks it) at close to twice the speed — hashing the log is bound by this function.
 * For strings and integers JSON.stringify is exactly JCS.
 */
export const canonicalEntry = (e: EntryEnvelope): Buffer => {
  const m = e.metadata;
  const text =
    `{"data":${jcs(e.data)},"eventId":${str(e.eventId)},"globalPosition":${str(e.globalPosition)},` +
    `"metadata":{"actor":${str(m.actor)},"causationId":${str(m.causationId)},"correlationId":${str(m.correlationId)},"recordedAt":${str(m.recordedAt)}},` +
    `"pii":${e.pii === null ? 'null' : jcs(e.pii)},"schemaVersion":${str(e.schemaVersion)},"streamId":${str(e.streamId)},` +
    `"streamRevision":${str(e.streamRevision)},"type":${str(e.type)}}`;
  return Buffer.from(text, 'utf8');
};

export const entryOfStoredEvent = (event: StoredEvent): Buffer => canonicalEntry(entryEnvelopeOf(event));
