import { Client, ClientConfig, Pool, PoolConfig, TypeOverrides, types as pgTypes } from 'pg';
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
import { catchUpSubscription } from '../catch-up-subscription';
import { JsonObject, StoredEvent } from '../envelope';
import { DuplicateEventId, StoreUnavailable, WrongExpectedRevision } from '../errors';
import { CurrentRevision, ExpectedRevision } from '../expected-revision';
import { applyPostgresMigrations, SchemaNames, schemaNames } from './migrations';

export interface PostgresEventStoreOptions {
  /** `postgres://user@host:5432/database` */
  connectionString: string;
  /** Schema holding the log's tables (default `attest`); read models stay in `public`. */
  schema?: string;
  /** Connections for reads and subscriptions (appends use one of them at a time). */
  poolSizeMax?: number;
  /** Upper bound of appends written in one group-commit transaction (at most 64, the default). */
  groupCommitSizeMax?: number;
  /** Upper bound of events in one group commit (one append larger than this still goes alone). */
  groupCommitEventsMax?: number;
  /** Polling fallback of live subscriptions, for a missed or late notification. */
  pollIntervalMs?: number;
  readBatchSize?: number;
  /** Called when the LISTEN connection fails and is re-opened (defaults to console.warn). */
  onWarning?: (message: string) => void;
}

interface PendingAppend {
  appends: readonly StreamAppend[];
  events: number;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** What `append_batch` takes for one stream (short keys, as in `append_set`'s JSON). */
interface WireStream {
  s: string;
  x: string;
  e: Array<{ id: string; t: string; v: number; d: JsonObject; p?: JsonObject; at: string; co: string; ca?: string; ac: string }>;
}
type WireAppend = WireStream[];

/** A stream's written positions: every one (`p`), or the first and how many follow it (`f`, `c`). */
type WireStreamResult = { s: string; r: string; p: string[] } | { s: string; r: string; f: string; c: number };

type WireResult =
  | { ok: true; replay: boolean; streams: WireStreamResult[] }
  | { ok: false; error: 'wrong_expected_revision'; s: string; x: string; a: string }
  | { ok: false; error: 'duplicate_event_id'; id: string }
  | { ok: false; error: 'sql'; state: string; message: string };

/** Thrown when the database refused one append for a reason the port has no name for. */
export class PostgresAppendFailed extends Error {
  readonly code = 'POSTGRES_APPEND_FAILED';
  constructor(
    readonly sqlState: string,
    message: string,
  ) {
    super(`append refused by PostgreSQL (${sqlState}): ${message}`);
    this.name = 'PostgresAppendFailed';
  }
}

const describeExpected = (expected: ExpectedRevision): string => (typeof expected === 'bigint' ? expected.toString() : expected);
const parseExpected = (wire: string): ExpectedRevision =>
  wire === 'any' || wire === 'noStream' || wire === 'streamExists' ? wire : BigInt(wire);
const parseCurrent = (wire: string): CurrentRevision => (wire === '-1' ? 'noStream' : BigInt(wire));

/** The same encoding the adapter sends; exported so tests can drive the insert path by hand. */
export const toWireAppend = (appends: readonly StreamAppend[]): WireAppend =>
  appends.map((append) => ({
    s: append.streamId,
    x: describeExpected(append.expectedRevision),
    e: append.events.map((event) => ({
      id: event.eventId,
      t: event.type,
      v: event.schemaVersion,
      d: event.data,
      // Absent keys read as SQL NULL in the function (a JSON null would be stored as 'null').
      ...(event.pii === null ? {} : { p: event.pii }),
      at: event.metadata.recordedAt,
      co: event.metadata.correlationId,
      ...(event.metadata.causationId === null ? {} : { ca: event.metadata.causationId }),
      ac: event.metadata.actor,
    })),
  }));

const positionsOf = (stream: WireStreamResult): bigint[] => {
  if ('p' in stream) return stream.p.map((p) => BigInt(p));
  const first = BigInt(stream.f);
  const positions: bigint[] = new Array(stream.c);
  for (let i = 0; i < stream.c; i++) positions[i] = first + BigInt(i);
  return positions;
};

/** What `append_set` takes for a group: the appends' stream heads, and every event, flat. */
export const toSetWire = (group: ReadonlyArray<readonly StreamAppend[]>): { heads: string; events: string } => {
  const heads: Array<Array<{ s: string; x: string; n: number; f?: string | undefined }>> = [];
  const events: Array<Record<string, unknown>> = [];
  let k = 0;
  for (const appends of group) {
    const head: Array<{ s: string; x: string; n: number; f?: string | undefined }> = [];
    for (const append of appends) {
      k++;
      head.push({ s: append.streamId, x: describeExpected(append.expectedRevision), n: append.events.length, f: append.events[0]?.eventId });
      for (let o = 0; o < append.events.length; o++) {
        const event = append.events[o] as StreamAppend['events'][number];
        const metadata = event.metadata;
        const wire: Record<string, unknown> = { k, o, id: event.eventId, t: event.type, v: event.schemaVersion, d: event.data };
        // Absent keys read as SQL NULL in the function (a JSON null would be stored as 'null').
        if (event.pii !== null) wire['p'] = event.pii;
        wire['at'] = metadata.recordedAt;
        wire['co'] = metadata.correlationId;
        if (metadata.causationId !== null) wire['ca'] = metadata.causationId;
        wire['ac'] = metadata.actor;
        events.push(wire);
      }
    }
    heads.push(head);
  }
  return { heads: JSON.stringify(heads), events: JSON.stringify(events) };
};

const toResult = (wire: WireResult): AppendResult => {
  if (!wire.ok) {
    switch (wire.error) {
      case 'wrong_expected_revision':
        throw new WrongExpectedRevision(wire.s, parseExpected(wire.x), parseCurrent(wire.a));
      case 'duplicate_event_id':
        throw new DuplicateEventId(wire.id);
      case 'sql':
        throw new PostgresAppendFailed(wire.state, wire.message);
      default: {
        const unknown: never = wire;
        throw new Error(`unexpected append result ${JSON.stringify(unknown)}`);
      }
    }
  }
  const streams: StreamAppendResult[] = wire.streams.map((s) => ({ streamId: s.s, nextRevision: BigInt(s.r), positions: positionsOf(s) }));
  let lastPosition = 0n;
  for (const stream of streams) for (const position of stream.positions) if (position > lastPosition) lastPosition = position;
  return { streams, lastPosition, idempotentReplay: wire.replay };
};

type Row = [bigint, string, string, bigint, string, number, JsonObject, JsonObject | null, string, string, string | null, string];
const COLUMNS =
  'position, event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor';
const toStored = (row: Row): StoredEvent => ({
  globalPosition: row[0],
  eventId: row[1],
  streamId: row[2],
  streamRevision: row[3],
  type: row[4],
  schemaVersion: row[5],
  data: row[6],
  pii: row[7],
  metadata: { recordedAt: row[8], correlationId: row[9], causationId: row[10], actor: row[11] },
});

/** int8 as bigint (positions and revisions exceed 2^53 in principle); nothing else changes. */
const typeOverrides = (): TypeOverrides => {
  const overrides = new TypeOverrides();
  overrides.setTypeParser(pgTypes.builtins.INT8, (value: string) => BigInt(value));
  return overrides;
};

const POSITION_MAX = 9_223_372_036_854_775_807n;

/**
 * The PostgreSQL store (node-postgres). See docs/adr/0005-postgresql-event-store.md and 0015.
 *
 * - Optimistic concurrency is enforced in the database: `append_set` (and `append_batch`)
 *   check each stream's expected revision against the `streams` table, and UNIQUE
 *   (stream_id, stream_revision) backs it, so two processes can never both win.
 * - Writers are serialised by a transaction-scoped advisory lock, so positions become visible
 *   in order: a reader that has seen position N+1 has seen N (no in-flight gap).
 * - Group commit: appends that arrive while a commit is in flight are sent together in one
 *   call (one round trip, one transaction, one WAL flush): set-based (`append_set`: one insert
 *   for the group), or, for a retry, a reused id or an error, append by append in
 *   subtransactions (`append_batch`).
 * - Subscriptions are woken by LISTEN/NOTIFY (and locally after our own commits), with polling
 *   as the fallback.
 */
export class PostgresEventStore implements EventStoreAdapter {
  readonly kind = 'postgres';
  /** Sizes of the last group commits, for metrics and the benchmark. */
  readonly groupCommitSizes: number[] = [];
  private readonly queue: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private listenClient: Client | null = null;
  private listenRetry: NodeJS.Timeout | null = null;
  private readonly groupCommitSizeMax: number;
  private readonly groupCommitEventsMax: number;
  private readonly pollIntervalMs: number;
  private readonly readBatchSize: number;
  private readonly warn: (message: string) => void;

  private constructor(
    private readonly pool: Pool,
    private readonly names: SchemaNames,
    private readonly clientConfig: ClientConfig,
    options: PostgresEventStoreOptions,
  ) {
    // Each append is a subtransaction; PostgreSQL caches 64 subtransaction ids per backend, and
    // past that every other session's snapshot checks pg_subtrans (slower reads everywhere).
    this.groupCommitSizeMax = Math.min(options.groupCommitSizeMax ?? 64, 64);
    this.groupCommitEventsMax = options.groupCommitEventsMax ?? 20_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.readBatchSize = options.readBatchSize ?? 1_000;
    this.warn = options.onWarning ?? ((message) => console.warn(`[postgres-event-store] ${message}`));
  }

  /** Connects and applies pending migrations (the schema is ready when this resolves). */
  static async open(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
    const names = schemaNames(options.schema ?? 'attest');
    const clientConfig: ClientConfig = { connectionString: options.connectionString, types: typeOverrides(), application_name: 'attest-event-store' };
    const poolConfig: PoolConfig = { ...clientConfig, max: options.poolSizeMax ?? 8 };
    const pool = new Pool(poolConfig);
    // An idle client that dies (server restart) must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
    try {
      await applyPostgresMigrations(pool, names);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PostgresEventStore(pool, names, clientConfig, options);
  }

  /** The schema (quoted) holding the log: for tools and tests that inspect the raw tables. */
  get schema(): string {
    return this.names.schema;
  }

  append(appends: readonly StreamAppend[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailable('the event store is closed'));
    return new Promise((resolve, reject) => {
      const events = appends.reduce((sum, append) => sum + append.events.length, 0);
      this.queue.push({ appends, events, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  /**
   * One group commit at a time: whatever queued while the previous one was in flight goes
   * next. Only one commit per process is ever in flight, which costs nothing, since the writer
   * lock would serialise them in the database anyway.
   */
  private async flushLoop(): Promise<void> {
    // Let the appends of this event-loop turn join the first group.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      let events = 0;
      let count = 0;
      while (count < this.queue.length && count < this.groupCommitSizeMax) {
        const next = this.queue[count];
        if (!next || (count > 0 && events + next.events > this.groupCommitEventsMax)) break;
        events += next.events;
        count++;
      }
      const batch = this.queue.splice(0, count);
      await this.commitGroup(batch);
    }
    this.flushing = null;
  }

  private async commitGroup(batch: PendingAppend[]): Promise<void> {
    let results: WireResult[];
    try {
      results = (await this.appendSet(batch)) ?? (await this.appendEach(batch));
    } catch (error) {
      // Nothing of this group committed (one statement, one transaction).
      const failure = isConnectionError(error) ? new StoreUnavailable(`PostgreSQL unreachable: ${String(error)}`) : error;
      for (const pending of batch) pending.reject(failure);
      return;
    }
    this.groupCommitSizes.push(batch.length);
    if (this.groupCommitSizes.length > 10_000) this.groupCommitSizes.splice(0, 5_000);
    batch.forEach((pending, i) => {
      const wire = results[i];
      if (!wire) return pending.reject(new Error(`append returned ${results.length} results for ${batch.length} appends`));
      try {
        pending.resolve(toResult(wire));
      } catch (error) {
        pending.reject(error);
      }
    });
    for (const listener of this.listeners) listener();
  }

  /**
   * The set-based path (`append_set`): one insert for the whole group, no subtransaction.
   * Null when the group needs `appendEach`: a retry or a reused id (found before anything was
   * written, or raised by the insert, which undid the whole group).
   */
  private async appendSet(batch: PendingAppend[]): Promise<WireResult[] | null> {
    const { heads, events } = toSetWire(batch.map((pending) => pending.appends));
    try {
      const response = await this.pool.query<{ results: WireResult[] | null }>(`SELECT ${this.names.schema}.append_set($1::json, $2::json) AS results`, [heads, events]);
      return response.rows[0]?.results ?? null;
    } catch (error) {
      if (isConnectionError(error)) throw error;
      return null;
    }
  }

  /** The general path (`append_batch`): each append in its own subtransaction. */
  private async appendEach(batch: PendingAppend[]): Promise<WireResult[]> {
    const response = await this.pool.query<{ results: WireResult[] }>(`SELECT ${this.names.schema}.append_batch($1::json) AS results`, [
      JSON.stringify(batch.map((pending) => toWireAppend(pending.appends))),
    ]);
    return response.rows[0]?.results ?? [];
  }

  private async rows(sql: string, params: unknown[]): Promise<Row[]> {
    const result = await this.pool.query<Row>({ text: sql, values: params, rowMode: 'array' });
    return result.rows;
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let cursor = options.from ?? (forwards ? 0n : POSITION_MAX);
    const sql = `SELECT ${COLUMNS} FROM ${this.names.schema}.events WHERE stream_id = $1 AND stream_revision ${forwards ? '>=' : '<='} $2
                 ORDER BY stream_revision ${forwards ? 'ASC' : 'DESC'} LIMIT $3`;
    while (remaining > 0) {
      const size = Math.min(this.readBatchSize, remaining);
      const rows = await this.rows(sql, [streamId, cursor, size]);
      for (const row of rows) yield toStored(row);
      const last = rows[rows.length - 1];
      if (rows.length < size || !last) return;
      remaining -= rows.length;
      cursor = forwards ? last[3] + 1n : last[3] - 1n;
    }
  }

  /** One ordered page after `afterPosition`: the unit every read of $all is built on. */
  async readPage(afterPosition: bigint, limit: number, types?: readonly string[]): Promise<StoredEvent[]> {
    const filtered = types !== undefined && types.length > 0;
    const rows = await this.rows(
      `SELECT ${COLUMNS} FROM ${this.names.schema}.events WHERE position > $1 ${filtered ? 'AND type = ANY($3)' : ''} ORDER BY position LIMIT $2`,
      filtered ? [afterPosition, limit, types] : [afterPosition, limit],
    );
    return rows.map(toStored);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncGenerator<StoredEvent> {
    let after = (options.fromPosition ?? 1n) - 1n;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const size = Math.min(this.readBatchSize, remaining);
      const page = await this.readPage(after, size, options.types);
      for (const event of page) yield event;
      const last = page[page.length - 1];
      if (page.length < size || !last) return;
      remaining -= page.length;
      after = last.globalPosition;
    }
  }

  async streamRevision(streamId: string): Promise<CurrentRevision> {
    const result = await this.pool.query<{ revision: bigint }>(`SELECT revision FROM ${this.names.schema}.streams WHERE stream_id = $1`, [streamId]);
    return result.rows[0]?.revision ?? 'noStream';
  }

  async headPosition(): Promise<bigint> {
    const result = await this.pool.query<{ head: bigint }>(`SELECT coalesce(max(position), 0)::int8 AS head FROM ${this.names.schema}.events`);
    return result.rows[0]?.head ?? 0n;
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    this.ensureListening();
    return catchUpSubscription(
      {
        readBatch: (after, limit) => this.readPage(after, limit),
        onAppended: (listener) => {
          this.listeners.add(listener);
          return () => this.listeners.delete(listener);
        },
        pollIntervalMs: this.pollIntervalMs,
      },
      options,
      handler,
    );
  }

  /**
   * One LISTEN connection per store, opened with the first subscription. Notifications carry
   * writes of other processes; if the connection drops, polling covers the gap while it is
   * re-opened (bounded backoff).
   */
  private ensureListening(attempt = 0): void {
    if (this.closed || this.listenClient || this.listenRetry) return;
    const client = new Client(this.clientConfig);
    this.listenClient = client;
    const retry = (error: unknown) => {
      if (this.listenClient !== client) return;
      this.listenClient = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      const delayMs = Math.min(100 * 2 ** attempt, 10_000);
      this.warn(`LISTEN connection lost (${String(error)}); polling every ${this.pollIntervalMs} ms, reconnecting in ${delayMs} ms`);
      this.listenRetry = setTimeout(() => {
        this.listenRetry = null;
        this.ensureListening(attempt + 1);
      }, delayMs);
      this.listenRetry.unref();
    };
    client.on('error', retry);
    client.on('notification', () => {
      for (const listener of this.listeners) listener();
    });
    client
      .connect()
      .then(() => client.query(`LISTEN "${this.names.channel}"`))
      .then(() => {
        attempt = 0;
        // Something may have committed between the last poll and LISTEN: wake everyone once.
        for (const listener of this.listeners) listener();
      })
      .catch(retry);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued appends finish before the pool goes.
    while (this.flushing) await this.flushing;
    this.closed = true;
    if (this.listenRetry) clearTimeout(this.listenRetry);
    this.listenRetry = null;
    const listen = this.listenClient;
    this.listenClient = null;
    if (listen) await listen.end().catch(() => undefined);
    await this.pool.end();
  }
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003']);
const isConnectionError = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERRORS.has(code);
};
