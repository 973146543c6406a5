import { v7 as uuidv7 } from 'uuid';
import { AppendResult, BatchHandler, EventStoreAdapter, ReadAllOptions, ReadStreamOptions, SubscribeOptions, Subscription } from './adapter.port';
import { EventMetadata, JsonObject, NewEvent, RecordedEvent, StoredEvent } from './envelope';
import { InvalidAppend } from './errors';
import { EventRegistry, PendingEvent } from './event-registry';
import { CurrentRevision, ExpectedRevision } from './expected-revision';
import { evictOldestHalf } from './bounded-cache';


/** Who and why: the metadata of every event written by one command. */
export interface AppendContext {
  actor: string;
  /** The command's instant (ISO-8601 or Date). Default: now. */
  recordedAt?: string | Date;
  correlationId?: string;
  causationId?: string | null;
}

export interface StreamEvents {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: readonly PendingEvent[];
}

/** What a withheld personal-data section reads as (readers that asked not to decrypt it). */
export const WITHHELD = Object.freeze({ erased: false, withheld: true }) as unknown as JsonObject;

/** Recently decoded events shared between projections. */
const DECODE_CACHE_ENTRIES_MAX = 20_000;

/** Bounds on one append (TIGER_STYLE: limits on everything). */
export const APPEND_EVENTS_MAX = 10_000;
export const STREAM_ID_LENGTH_MAX = 200;
const STREAM_ID_PATTERN = /^[\x21-\x7e]+$/; // printable ASCII, no spaces

/**
 * The event store as the application sees it: typed events in, typed events out, whatever the
 * adapter. Every event is validated against its one schema *before* anything reaches the
 * adapter, so an invalid event never writes anything (and neither do its siblings).
 */
/** What `PiiProtector.seal` is given: the clear personal-data section and where it will live. */
export interface SealRequest {
  eventId: string;
  streamId: string;
  type: string;
  /** Whose data key encrypts it (the data subject). */
  owner: string;
  pii: JsonObject;
}

/**
 * Encrypts personal-data sections before they are stored and decrypts them on read
 * (crypto-shredding, libs/crypto-shredding). Without one, `pii` is stored as given.
 */
export interface PiiProtector {
  seal(request: SealRequest): Promise<JsonObject>;
  /** The clear section, `{ erased: true }` after erasure, or what was stored if not sealed. */
  reveal(event: { eventId: string; streamId: string; type: string; pii: JsonObject | null }): Promise<JsonObject | null>;
}

export interface AppendObservation {
  durationMs: number;
  events: number;
  outcome: 'ok' | 'conflict' | 'error';
}

export class EventStore {
  private readonly observers = new Set<(observation: AppendObservation) => void>();
  private readonly decoded = new Map<bigint, RecordedEvent>();

  constructor(
    readonly adapter: EventStoreAdapter,
    readonly registry: EventRegistry,
    readonly pii: PiiProtector | null = null,
  ) {}

  get kind(): string {
    return this.adapter.kind;
  }

  append(streamId: string, events: readonly PendingEvent[], options: { expectedRevision: ExpectedRevision } & AppendContext): Promise<AppendResult> {
    return this.appendMulti([{ streamId, expectedRevision: options.expectedRevision, events }], options);
  }

  /** Atomic append to several streams, each with its own expected revision: all or nothing. */
  async appendMulti(streams: readonly StreamEvents[], context: AppendContext): Promise<AppendResult> {
    if (streams.length === 0) throw new InvalidAppend('an append needs at least one stream');
    const seen = new Set<string>();
    let total = 0;
    const metadata: EventMetadata = {
      recordedAt: context.recordedAt === undefined ? new Date().toISOString() : new Date(context.recordedAt).toISOString(),
      correlationId: context.correlationId ?? uuidv7(),
      causationId: context.causationId ?? null,
      actor: context.actor,
    };
    const encoded = await Promise.all(streams.map(async (stream) => {
      if (!STREAM_ID_PATTERN.test(stream.streamId) || stream.streamId.length > STREAM_ID_LENGTH_MAX)
        throw new InvalidAppend(`stream id must be 1..${STREAM_ID_LENGTH_MAX} printable characters without spaces`);
      if (seen.has(stream.streamId)) throw new InvalidAppend(`stream ${stream.streamId} appears twice in one append`);
      seen.add(stream.streamId);
      if (stream.events.length === 0) throw new InvalidAppend(`stream ${stream.streamId}: an append needs at least one event`);
      total += stream.events.length;
      if (total > APPEND_EVENTS_MAX) throw new InvalidAppend(`an append holds at most ${APPEND_EVENTS_MAX} events`);
      return {
        streamId: stream.streamId,
        expectedRevision: stream.expectedRevision,
        events: await Promise.all(stream.events.map((event) => this.encodeEvent(stream.streamId, event, metadata))),
      };
    }));
    if (this.observers.size === 0) return this.adapter.append(encoded);
    const started = performance.now();
    const observe = (outcome: AppendObservation['outcome']) => {
      const observation = { durationMs: performance.now() - started, events: total, outcome };
      for (const observer of this.observers) observer(observation);
    };
    try {
      const result = await this.adapter.append(encoded);
      observe('ok');
      return result;
    } catch (error) {
      observe((error as { code?: string }).code === 'WRONG_EXPECTED_REVISION' ? 'conflict' : 'error');
      throw error;
    }
  }

  /** Observes every append (metrics). Returns an unsubscribe function. */
  onAppend(observer: (observation: AppendObservation) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private async encodeEvent(streamId: string, event: PendingEvent, metadata: EventMetadata): Promise<NewEvent> {
    const eventId = event.eventId ?? uuidv7();
    const encoded = this.registry.encode(event);
    let pii = encoded.pii;
    if (pii !== null && this.pii) {
      const owner = this.registry.piiOwner(event.type, event.data);
      pii = await this.pii.seal({ eventId, streamId, type: event.type, owner, pii });
    }
    return { eventId, type: event.type, schemaVersion: encoded.schemaVersion, data: encoded.data, pii, metadata };
  }

  /**
   * Decodes a stored event: personal data decrypted (or marked erased), old versions upcast.
   *
   * Every projection decodes the same live events, so recent decodings are shared (bounded).
   * Only events without a personal-data section are cached: a decrypted value must never
   * outlive its subject's erasure in memory. Decoded events are shared: treat them as immutable.
   */
  async decode<E extends RecordedEvent = RecordedEvent>(stored: StoredEvent, options: { revealPii?: boolean } = {}): Promise<E> {
    if (stored.pii !== null && options.revealPii !== false) return this.decodeNow<E>(stored);
    const cached = this.decoded.get(stored.globalPosition);
    if (cached && cached.eventId === stored.eventId) return cached as E;
    // Cached only in a form without clear personal data: no pii section, or one withheld.
    const event = await this.decodeNow<E>(stored, false);
    this.decoded.set(stored.globalPosition, event);
    if (this.decoded.size > DECODE_CACHE_ENTRIES_MAX) evictOldestHalf(this.decoded);
    return event;
  }

  private async decodeNow<E extends RecordedEvent>(stored: StoredEvent, revealPii = true): Promise<E> {
    // Withheld: the section is neither decrypted nor decoded (readers that do not need it).
    const clearPii = !revealPii && stored.pii !== null ? WITHHELD : this.pii && stored.pii !== null ? await this.pii.reveal(stored) : stored.pii;
    const { data, pii } = this.registry.decode(stored.type, stored.schemaVersion, stored.data, clearPii);
    return {
      eventId: stored.eventId,
      streamId: stored.streamId,
      streamRevision: stored.streamRevision,
      globalPosition: stored.globalPosition,
      type: stored.type,
      schemaVersion: this.registry.get(stored.type).schemaVersion,
      data,
      pii,
      metadata: stored.metadata,
    } as E;
  }

  async *readStream<E extends RecordedEvent = RecordedEvent>(streamId: string, options?: ReadStreamOptions): AsyncGenerator<E> {
    for await (const stored of this.adapter.readStream(streamId, options)) yield await this.decode<E>(stored);
  }

  async *readAll<E extends RecordedEvent = RecordedEvent>(options?: ReadAllOptions): AsyncGenerator<E> {
    for await (const stored of this.adapter.readAll(options)) yield await this.decode<E>(stored);
  }

  streamRevision(streamId: string): Promise<CurrentRevision> {
    return this.adapter.streamRevision(streamId);
  }

  headPosition(): Promise<bigint> {
    return this.adapter.headPosition();
  }

  /** Raw (encoded) subscription: projections that only need some types decode what they use. */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    return this.adapter.subscribeToAll(options, handler);
  }

  close(): Promise<void> {
    return this.adapter.close();
  }
}
