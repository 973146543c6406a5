import { v7 as uuidv7 } from 'uuid';
import { AppendResult, BatchHandler, EventStoreAdapter, ReadAllOptions, ReadStreamOptions, SubscribeOptions, Subscription } from './adapter.port';
import { EventMetadata, NewEvent, RecordedEvent, StoredEvent } from './envelope';
import { InvalidAppend } from './errors';
import { EventRegistry, PendingEvent } from './event-registry';
import { CurrentRevision, ExpectedRevision } from './expected-revision';

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

/** Bounds on one append (TIGER_STYLE: limits on everything). */
export const APPEND_EVENTS_MAX = 10_000;
export const STREAM_ID_LENGTH_MAX = 200;
const STREAM_ID_PATTERN = /^[\x21-\x7e]+$/; // printable ASCII, no spaces

/**
 * The event store as the application sees it: typed events in, typed events out, whatever the
 * adapter. Every event is validated against its one schema *before* anything reaches the
 * adapter, so an invalid event never writes anything (and neither do its siblings).
 */
export interface AppendObservation {
  durationMs: number;
  events: number;
  outcome: 'ok' | 'conflict' | 'error';
}

export class EventStore {
  private readonly observers = new Set<(observation: AppendObservation) => void>();

  constructor(
    readonly adapter: EventStoreAdapter,
    readonly registry: EventRegistry,
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
    const encoded = streams.map((stream) => {
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
        events: stream.events.map((event): NewEvent => ({
          eventId: event.eventId ?? uuidv7(),
          type: event.type,
          ...this.registry.encode(event),
          metadata,
        })),
      };
    });
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

  decode<E extends RecordedEvent = RecordedEvent>(stored: StoredEvent): E {
    const { data, pii } = this.registry.decode(stored.type, stored.schemaVersion, stored.data, stored.pii);
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
    for await (const stored of this.adapter.readStream(streamId, options)) yield this.decode<E>(stored);
  }

  async *readAll<E extends RecordedEvent = RecordedEvent>(options?: ReadAllOptions): AsyncGenerator<E> {
    for await (const stored of this.adapter.readAll(options)) yield this.decode<E>(stored);
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
