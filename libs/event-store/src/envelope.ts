/**
 * The event envelope: what every stored fact looks like, whatever the store.
 *
 * Positions and revisions are `bigint` in code and decimal strings in JSON (see
 * `toJsonEnvelope`). `data` holds the event's non-personal fields and is stored (and later
 * hashed) as clear JSON; `pii` holds the personal-data section that the crypto-shredding issue
 * encrypts per subject, so no personal value ever sits in a field that is hashed in clear.
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface EventMetadata {
  /** ISO-8601 instant at which the fact was recorded (supplied by the command, never by the decider's clock). */
  recordedAt: string;
  correlationId: string;
  causationId: string | null;
  /** Who caused it: `subject:<id>`, `operator:<id>`, `system:<component>` … */
  actor: string;
}

/** An event as handed to an adapter: already validated and encoded to JSON. */
export interface NewEvent {
  eventId: string;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  pii: JsonObject | null;
  metadata: EventMetadata;
}

/** An event as stored, in its encoded (JSON) form. */
export interface StoredEvent extends NewEvent {
  streamId: string;
  streamRevision: bigint;
  globalPosition: bigint;
}

/** A decoded event: `data`/`pii` are the domain types (bigint money, etc.). */
export interface RecordedEvent<T extends string = string, D = unknown, P = unknown> {
  eventId: string;
  streamId: string;
  streamRevision: bigint;
  globalPosition: bigint;
  type: T;
  schemaVersion: number;
  data: D;
  pii: P | null;
  metadata: EventMetadata;
}

/** The JSON rendering of an envelope: bigints as decimal strings. */
export const toJsonEnvelope = (event: StoredEvent) => ({
  eventId: event.eventId,
  streamId: event.streamId,
  streamRevision: event.streamRevision.toString(),
  globalPosition: event.globalPosition.toString(),
  type: event.type,
  schemaVersion: event.schemaVersion,
  data: event.data,
  pii: event.pii,
  metadata: event.metadata,
});
