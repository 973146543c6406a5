import { z } from 'zod';
import type { StoredEvent } from '@attest/event-store';
import { jcs, jcsNumber, jcsString } from './jcs';

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

/**
 * RFC 8785 canonical text of an envelope. The envelope's own keys are fixed, so they are written
 * in their JCS order (UTF-16 code-unit order) directly; the free-form `data` and `pii` go through
 * `jcs` (./jcs.ts). Byte for byte `canonicalize(envelope)` of the library (specs check it on
 * random envelopes and pin a root) — hashing the log is bound by this function.
 */
export const canonicalEntryText = (e: EntryEnvelope): string => {
  const m = e.metadata;
  return (
    `{"data":${jcs(e.data)},"eventId":${jcsString(e.eventId)},"globalPosition":${jcsString(e.globalPosition)},` +
    `"metadata":{"actor":${jcsString(m.actor)},"causationId":${m.causationId === null ? 'null' : jcsString(m.causationId)},"correlationId":${jcsString(m.correlationId)},"recordedAt":${jcsString(m.recordedAt)}},` +
    `"pii":${e.pii === null ? 'null' : jcs(e.pii)},"schemaVersion":${jcsNumber(e.schemaVersion)},"streamId":${jcsString(e.streamId)},` +
    `"streamRevision":${jcsString(e.streamRevision)},"type":${jcsString(e.type)}}`
  );
};

/** The log entry: UTF-8 bytes of the canonical text. */
export const canonicalEntry = (e: EntryEnvelope): Buffer => Buffer.from(canonicalEntryText(e), 'utf8');

/** The canonical text of a stored event's entry (what the log projection hashes). */
export const entryTextOfStoredEvent = (event: StoredEvent): string => canonicalEntryText(entryEnvelopeOf(event));

export const entryOfStoredEvent = (event: StoredEvent): Buffer => Buffer.from(entryTextOfStoredEvent(event), 'utf8');
