import { NewEvent, StoredEvent } from './envelope';
import { CurrentRevision, ExpectedRevision } from './expected-revision';

/** One stream's part of an (atomic, possibly multi-stream) append. */
export interface StreamAppend {
  streamId: string;
  expectedRevision: ExpectedRevision;
  events: readonly NewEvent[];
}

export interface StreamAppendResult {
  streamId: string;
  /** The stream's revision after the append (its last event's revision). */
  nextRevision: bigint;
  /** Global positions of the appended events, in order. */
  positions: bigint[];
}

export interface AppendResult {
  streams: StreamAppendResult[];
  /** Global position of the last event written (or found, for an idempotent retry). */
  lastPosition: bigint;
  /** True when every event was already stored exactly there: the call was a retry, nothing was written. */
  idempotentReplay: boolean;
}

export interface ReadStreamOptions {
  /** First revision to read (forwards) or the highest (backwards). */
  from?: bigint;
  direction?: 'forwards' | 'backwards';
  /** At most this many events in all. */
  limit?: number;
}

export interface ReadAllOptions {
  /** First global position to read, inclusive. Default: the start. */
  fromPosition?: bigint;
  /** At most this many events in all. */
  limit?: number;
  /** Only these event types (filter applied by the store where it can). */
  types?: readonly string[];
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position (a consumer's checkpoint). 0n = from the start. */
  afterPosition: bigint;
  /** Upper bound of one delivered batch. */
  batchSizeMax?: number;
  /**
   * Once caught up, wait this long after a wake-up before reading, so that live events arrive
   * in batches (throughput) at the cost of that much latency. Default 0.
   */
  lingerMs?: number;
}

/** A running subscription; `stop` resolves when the handler of the batch in flight has returned. */
export interface Subscription {
  stop(): Promise<void>;
  /** Rejects when the subscription dies of a handler error. */
  readonly done: Promise<void>;
}

export type BatchHandler = (events: StoredEvent[]) => Promise<void>;

/**
 * The port every event-store adapter implements (SQLite, PostgreSQL, KurrentDB). It deals in
 * encoded events only; validation and decoding live in `EventStore`, above every adapter.
 * The contract suite (`testing/event-store.contract.ts`) is the definition of its semantics.
 */
export interface EventStoreAdapter {
  readonly kind: string;
  /** All or nothing across streams; each stream's expected revision is checked by the store. */
  append(appends: readonly StreamAppend[]): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;
  readAll(options?: ReadAllOptions): AsyncIterable<StoredEvent>;
  streamRevision(streamId: string): Promise<CurrentRevision>;
  /** Position of the last stored event (0n for an empty store). */
  headPosition(): Promise<bigint>;
  /** Catch-up then live, in global order, batch by batch. */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription;
  close(): Promise<void>;
}
