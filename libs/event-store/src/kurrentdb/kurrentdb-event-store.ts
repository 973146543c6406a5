import {
  AppendStreamRequest,
  BACKWARDS,
  END,
  ErrorType,
  eventTypeFilter,
  FORWARDS,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
} from '@kurrent/kurrentdb-client';
import {
  AppendResult,
  BatchHandler,
  EventStoreAdapter,
  ReadAllOptions,
  ReadStreamOptions,
  StreamAppend,
  StreamAppendResult,
  SubscribeOptions,
  Subscription,
} from '../adapter.port';
import { StoredEvent } from '../envelope';
import { DuplicateEventId, InvalidAppend, StoreUnavailable, WrongExpectedRevision } from '../errors';
import { CurrentRevision, revisionMatches } from '../expected-revision';
import {
  ATTEST_EVENT_TYPE_REGEX,
  CLAIM_EVENT_TYPE,
  CLAIM_STREAM_PREFIX,
  claimBody,
  claimedStream,
  claimStream,
  fromKurrentEvent,
  KurrentRecorded,
  toKurrentBody,
  toReadPosition,
  toStreamState,
  toWrongExpectedRevision,
} from './kurrentdb-mapping';
import { LiveFeed, RESUBSCRIBE_DEFAULTS, ResubscribeOptions, resubscribingSubscription } from './resubscribing-subscription';

export interface KurrentDbEventStoreOptions {
  /** `kurrentdb://host:2113?tls=false`, `kurrentdb+discover://…` for a cluster's gossip seeds, or `esdb://…`. */
  connectionString: string;
  /** Resubscription after a dropped $all subscription (bounded backoff). */
  resubscribe?: Partial<Omit<ResubscribeOptions, 'log'>>;
  /** How far back from a stream's end a retried append is looked for (bounds the read). */
  replayScanMax?: number;
  log?: (message: string) => void;
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const errorType = (error: unknown): unknown => (error as { type?: unknown } | null)?.type;

/**
 * KurrentDB (formerly EventStoreDB) through `@kurrent/kurrentdb-client`; see
 * docs/adr/0006-kurrentdb-client.md. Needs KurrentDB ≥ 25.1 (multi-stream append).
 *
 * Every append is one `multiStreamAppend`: the streams written, each with its expected state,
 * plus one claim stream per event id (`attest-event-id-<id>`, expected `no_stream`). KurrentDB
 * checks event ids per stream only; the claims make an id unique store-wide, atomically with
 * the write, so the port's idempotency rules hold as on SQLite and PostgreSQL. Claims are
 * filtered out of every read by a server-side event-type filter (with system events).
 */
export class KurrentDbEventStore implements EventStoreAdapter {
  readonly kind = 'kurrentdb';
  private closed = false;
  private readonly replayScanMax: number;
  private readonly retry: ResubscribeOptions;
  private readonly allFilter = eventTypeFilter({ regex: ATTEST_EVENT_TYPE_REGEX });

  constructor(
    private readonly client: KurrentDBClient,
    options: Omit<KurrentDbEventStoreOptions, 'connectionString'> = {},
  ) {
    this.replayScanMax = options.replayScanMax ?? 10_000;
    const log = options.log ?? ((message: string) => console.warn(`[kurrentdb-event-store] ${message}`));
    this.retry = { ...RESUBSCRIBE_DEFAULTS, ...options.resubscribe, log };
  }

  static connect(options: KurrentDbEventStoreOptions): KurrentDbEventStore {
    return new KurrentDbEventStore(KurrentDBClient.connectionString(options.connectionString), options);
  }

  async append(appends: readonly StreamAppend[]): Promise<AppendResult> {
    if (this.closed) throw new StoreUnavailable('the event store is closed');
    const requests: AppendStreamRequest[] = [];
    for (const append of appends) {
      requests.push({
        streamName: append.streamId,
        expectedState: toStreamState(append.expectedRevision),
        events: append.events.map((event) => jsonEvent({ id: event.eventId, type: event.type, data: { ...toKurrentBody(event) } })),
      });
    }
    for (const append of appends)
      for (const event of append.events)
        requests.push({ streamName: claimStream(event.eventId), expectedState: NO_STREAM, events: [jsonEvent({ type: CLAIM_EVENT_TYPE, data: claimBody(append.streamId) })] });

    let responses: Array<{ streamName: string; revision: bigint }>;
    try {
      responses = (await this.client.multiStreamAppend(requests)).responses;
    } catch (error) {
      const wrong = toWrongExpectedRevision(error);
      if (!wrong) throw this.mapError(error);
      const replay = await this.findReplay(appends);
      if (replay) return replay;
      if (wrong.streamId.startsWith(CLAIM_STREAM_PREFIX)) throw new DuplicateEventId(wrong.streamId.slice(CLAIM_STREAM_PREFIX.length));
      const expected = appends.find((a) => a.streamId === wrong.streamId)?.expectedRevision ?? wrong.expected;
      throw new WrongExpectedRevision(wrong.streamId, expected, wrong.actual);
    }

    // The response names each stream's new revision; positions are read back (one read per stream).
    const streams: StreamAppendResult[] = [];
    let lastPosition = 0n;
    for (const append of appends) {
      const response = responses.find((r) => r.streamName === append.streamId);
      if (!response) throw new Error(`KurrentDB did not acknowledge stream ${append.streamId}`);
      const first = response.revision - BigInt(append.events.length - 1);
      const positions: bigint[] = [];
      for await (const event of this.readStream(append.streamId, { from: first, limit: append.events.length })) positions.push(event.globalPosition);
      for (const position of positions) if (position > lastPosition) lastPosition = position;
      streams.push({ streamId: append.streamId, nextRevision: response.revision, positions });
    }
    return { streams, lastPosition, idempotentReplay: false };
  }

  /**
   * A failed append may be a retry of one that succeeded: then every stream's first event id is
   * claimed for that stream, and the events sit there consecutively where the expected revision
   * says. Returns the original result, throws DuplicateEventId when an id is stored elsewhere,
   * and returns null when this is not a retry at all.
   */
  private async findReplay(appends: readonly StreamAppend[]): Promise<AppendResult | null> {
    const streams: StreamAppendResult[] = [];
    let lastPosition = 0n;
    for (const append of appends) {
      const first = append.events[0];
      if (!first) return null;
      const owner = await this.claimOwner(first.eventId);
      if (owner === null) return null;
      if (owner !== append.streamId) throw new DuplicateEventId(first.eventId);
      const found = await this.findInStream(append.streamId, first.eventId);
      if (found === null) throw new DuplicateEventId(first.eventId);
      const before: CurrentRevision = found === 0n ? 'noStream' : found - 1n;
      if (!revisionMatches(append.expectedRevision, before)) throw new DuplicateEventId(first.eventId);
      const stored: StoredEvent[] = [];
      for await (const event of this.readStream(append.streamId, { from: found, limit: append.events.length })) stored.push(event);
      append.events.forEach((event, i) => {
        if (stored[i]?.eventId !== event.eventId) throw new DuplicateEventId(event.eventId);
      });
      const positions = stored.map((e) => e.globalPosition);
      for (const position of positions) if (position > lastPosition) lastPosition = position;
      streams.push({ streamId: append.streamId, nextRevision: found + BigInt(append.events.length - 1), positions });
    }
    return { streams, lastPosition, idempotentReplay: true };
  }

  private async claimOwner(eventId: string): Promise<string | null> {
    try {
      for await (const resolved of this.client.readStream(claimStream(eventId), { direction: FORWARDS, fromRevision: START, maxCount: 1 }))
        return claimedStream(resolved.event?.data);
    } catch (error) {
      if (error instanceof StreamNotFoundError) return null;
      throw this.mapError(error);
    }
    return null;
  }

  /** The revision of `eventId` in `streamId`, searching back from the end (bounded). */
  private async findInStream(streamId: string, eventId: string): Promise<bigint | null> {
    for await (const event of this.readStream(streamId, { direction: 'backwards', limit: this.replayScanMax }))
      if (event.eventId === eventId) return event.streamRevision;
    return null;
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    const iterator = this.client.readStream(streamId, {
      direction: forwards ? FORWARDS : BACKWARDS,
      fromRevision: options.from ?? (forwards ? START : END),
      ...(options.limit === undefined ? {} : { maxCount: options.limit }),
    });
    try {
      for await (const resolved of iterator) {
        const stored = resolved.event ? fromKurrentEvent(resolved.event as KurrentRecorded) : null;
        if (stored) yield stored;
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return;
      throw this.mapError(error);
    }
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<StoredEvent> {
    const from = options.fromPosition ?? 0n;
    const filter =
      options.types && options.types.length > 0 ? eventTypeFilter({ regex: `^(${options.types.map(escapeRegex).join('|')})$` }) : this.allFilter;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    if (remaining <= 0) return;
    const iterator = this.client.readAll({
      direction: FORWARDS,
      fromPosition: from <= 0n ? START : { commit: from, prepare: from },
      filter,
      ...(Number.isFinite(remaining) ? { maxCount: remaining } : {}),
    });
    try {
      for await (const resolved of iterator) {
        const stored = resolved.event ? fromKurrentEvent(resolved.event as KurrentRecorded) : null;
        // `fromPosition` is inclusive; the client-side check also guards against a server
        // that starts at the record before an arbitrary position.
        if (!stored || stored.globalPosition < from) continue;
        yield stored;
        if (--remaining <= 0) return;
      }
    } catch (error) {
      throw this.mapError(error);
    }
  }

  async streamRevision(streamId: string): Promise<CurrentRevision> {
    for await (const event of this.readStream(streamId, { direction: 'backwards', limit: 1 })) return event.streamRevision;
    return 'noStream';
  }

  async headPosition(): Promise<bigint> {
    try {
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, filter: this.allFilter })) {
        const stored = resolved.event ? fromKurrentEvent(resolved.event as KurrentRecorded) : null;
        if (stored) return stored.globalPosition;
      }
    } catch (error) {
      throw this.mapError(error);
    }
    return 0n;
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const open = (afterPosition: bigint): LiveFeed => {
      const subscription = this.client.subscribeToAll({ fromPosition: toReadPosition(afterPosition), filter: this.allFilter });
      async function* events(): AsyncGenerator<StoredEvent | null> {
        for await (const resolved of subscription) yield resolved.event ? fromKurrentEvent(resolved.event as KurrentRecorded) : null;
      }
      return { events: events(), buffered: () => subscription.readableLength, close: () => subscription.unsubscribe() };
    };
    return resubscribingSubscription(open, options, handler, this.retry);
  }

  private mapError(error: unknown): unknown {
    const type = errorType(error);
    if (type === ErrorType.UNAVAILABLE || type === ErrorType.DEADLINE_EXCEEDED || type === ErrorType.NOT_LEADER)
      return new StoreUnavailable(`KurrentDB unavailable: ${String(error)}`);
    if (type === ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED || type === ErrorType.TRANSACTION_MAX_SIZE_EXCEEDED || type === ErrorType.APPEND_RECORD_SIZE_EXCEEDED)
      return new InvalidAppend(`the append is larger than KurrentDB accepts: ${String(error)}`);
    return error;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.dispose();
  }
}
