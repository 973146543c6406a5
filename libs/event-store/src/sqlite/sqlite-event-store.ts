import Database, { Statement } from 'better-sqlite3';
import { closeSync, fsync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
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
import { JsonObject, NewEvent, StoredEvent } from '../envelope';
import { DuplicateEventId, StoreUnavailable, WrongExpectedRevision } from '../errors';
import { CurrentRevision, revisionMatches } from '../expected-revision';
import { applyMigrations, EVENT_STORE_MIGRATIONS } from './migrations';
import { WalCheckpointing } from './wal-checkpointer';

export interface SqliteEventStoreOptions {
  /** File path, or ':memory:' for tests. */
  path: string;
  /**
   * `FULL` (default): an acknowledged append survives a power cut. Every group commit's WAL
   * frames are fsynced before any of its appends is acknowledged or shown to a reader — by a
   * thread of libuv's pool, not on the event loop (see the class comment).
   * `NORMAL`: SQLite's own NORMAL (the WAL is synced at checkpoints only; a power cut may lose
   * the last acknowledged appends, a process crash does not).
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** The fsync used for `FULL` (tests inject a controllable one). */
  fsync?: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
  /** Upper bound of appends written in one group-commit transaction. */
  groupCommitSizeMax?: number;
  /** Poll interval of live subscriptions for writes made by other processes. */
  pollIntervalMs?: number;
  readBatchSize?: number;
  /** Run WAL checkpoints on this worker thread instead of inside commits on the event loop. */
  checkpointer?: WalCheckpointing;
  /**
   * A read-only view of a file that another store (in another thread of this process) writes:
   * reads of $all see nothing past `visibleUpTo`, raised by `advanceVisible` with the positions
   * the writer has made durable (its `onDurable`), and appends are refused. The projection worker
   * thread reads the log this way (docs/adr/0021-projections-on-a-worker-thread.md).
   */
  follower?: { visibleUpTo: bigint };
}

/** A group committed to the WAL, waiting for its fsync before anyone hears of it. */
interface CommittedGroup {
  batch: PendingAppend[];
  outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }>;
  /** Lowest position this group wrote (null when it wrote nothing new). */
  firstPosition: bigint | null;
  /** Highest position this group wrote (null when it wrote nothing new). */
  lastPosition: bigint | null;
}

const POSITION_MAX = 9_223_372_036_854_775_807n;

/** Memory-map size asked of SQLite; it caps it at its compile-time MAX_MMAP_SIZE (0x7fff0000 here). */
const SQLITE_MMAP_BYTES = 2_147_418_112;

interface PendingAppend {
  appends: readonly StreamAppend[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/** Recently committed events kept in memory for live subscribers. */
const TAIL_EVENTS_MAX = 20_000;
/** Page reads kept prepared, one per (query, limit): see `pageQuery`. */
const PAGE_QUERIES_MAX = 64;
/** The page reads' WHERE clauses (with their ORDER BY), to which `pageQuery` adds the LIMIT. */
const STREAM_FORWARDS = 'stream_id = ? AND stream_revision >= ? ORDER BY stream_revision ASC';
const STREAM_BACKWARDS = 'stream_id = ? AND stream_revision <= ? ORDER BY stream_revision DESC';
const ALL = 'position > ? AND position <= ? ORDER BY position';
const allOfTypes = (count: number) => `position > ? AND position <= ? AND type IN (${new Array<string>(count).fill('?').join(',')}) ORDER BY position`;

/**
 * Rows per INSERT statement in bulk appends. An append is written in chunks of these sizes
 * (largest first), so a handful of prepared statements cover every append size; 256 rows are
 * 2,816 parameters, far below SQLite's limit of 32,766.
 */
const INSERT_CHUNKS = [256, 128, 64, 32, 16, 8, 4, 2, 1] as const;

const COLUMNS =
  'position, event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor';

/** Placeholder `data` of an envelope being built, replaced before the page is returned. */
const EMPTY_DATA: JsonObject = Object.freeze({}) as JsonObject;

/** The SQL function that turns one row into an envelope (see `EnvelopeCollector`). */
const ENVELOPE_FUNCTION = 'attest_envelope';

/**
 * Builds envelopes straight from SQLite's values. better-sqlite3 (on Node 20) materialises a
 * raw row as an array filled one element at a time through the V8 API, which costs more than
 * the query itself; handing the same values to a JavaScript SQL function costs one call per
 * row. Each read selects `attest_envelope(<columns>)`, which returns the envelope's index in
 * `built`, so the rows the statement returns say exactly which envelopes it produced, in its
 * order, whatever order SQLite evaluates them in.
 */
export class EnvelopeCollector {
  private built: StoredEvent[] = [];
  /** The `data` texts of `built`, in the same order, parsed together when the statement is done. */
  private dataTexts: string[] = [];

  readonly build = (
    position: bigint,
    eventId: string,
    streamId: string,
    streamRevision: bigint,
    type: string,
    schemaVersion: bigint,
    data: string,
    pii: string | null,
    recordedAt: string,
    correlationId: string,
    causationId: string | null,
    actor: string,
  ): number => {
    const index = this.built.length;
    this.dataTexts.push(data);
    this.built.push({
      globalPosition: position,
      eventId,
      streamId,
      streamRevision,
      type,
      schemaVersion: Number(schemaVersion),
      data: EMPTY_DATA,
      pii: pii === null ? null : (JSON.parse(pii) as JsonObject),
      metadata: { recordedAt, correlationId, causationId, actor },
    });
    return index;
  };

  /** Runs a statement selecting `attest_envelope(...)` and returns its envelopes in row order. */
  read(statement: Statement, params: readonly unknown[]): StoredEvent[] {
    const built: StoredEvent[] = [];
    const dataTexts: string[] = [];
    this.built = built;
    this.dataTexts = dataTexts;
    let indexes: number[];
    try {
      indexes = statement.all(...params) as number[];
    } finally {
      this.built = [];
      this.dataTexts = [];
    }
    // One JSON.parse for the page's `data` sections instead of one per row: each call has a
    // fixed cost, and readAll of small events went ~470k → ~500k events/s (ADR 0015). Every
    // text is JSON the store itself wrote, so the joined array is valid JSON whenever each is.
    // The brackets go onto the first and last texts before the join, so the join makes the one
    // flat string JSON.parse reads: `[${joined}]` is a concatenation that V8 copies again (the
    // whole page) before parsing; 6 of 6 rounds cheaper without it, ~0.6 µs per ledger event.
    const count = dataTexts.length;
    if (count > 0) {
      dataTexts[0] = `[${dataTexts[0] as string}`;
      dataTexts[count - 1] = `${dataTexts[count - 1] as string}]`;
      const parsed = JSON.parse(dataTexts.join(',')) as JsonObject[];
      for (let i = 0; i < built.length; i++) (built[i] as StoredEvent).data = parsed[i] as JsonObject;
    }
    let inOrder = indexes.length === built.length;
    for (let i = 0; inOrder && i < indexes.length; i++) inOrder = indexes[i] === i;
    return inOrder ? built : indexes.map((i) => built[i] as StoredEvent);
  }
}

/**
 * The embedded default store: one SQLite file (better-sqlite3), WAL, durable commits.
 *
 * Group commit: appends that arrive in the same event-loop turn are queued and written in one
 * transaction, each inside its own savepoint so that a conflict fails only its own append (a
 * group of one append needs none: the transaction is rolled back instead).
 *
 * Durability without blocking the event loop (docs/adr/0018): the connection runs
 * `synchronous=NORMAL`, so COMMIT only writes the WAL frames; the store then fsyncs the WAL file
 * on libuv's thread pool and, once that returns, acknowledges the group's appends, adds them to
 * the live tail and wakes subscribers. Until then no read of $all (readAll, subscriptions, head)
 * goes past the last synced position, so nothing downstream — projections, answers — can depend
 * on an event a power cut could still take away. One fsync in flight at a time; groups
 * committed meanwhile share the next one. SQLite recovers a WAL up to its last complete commit
 * frame, and with NORMAL it syncs the WAL before every checkpoint and the database after, so an
 * fsynced commit is as durable as with `synchronous=FULL`.
 *
 * Global position is the rowid order; SQLite has one writer at a time, so a reader can never see
 * position N+1 while N is still uncommitted (no in-flight gap to guard against).
 */
export class SqliteEventStore implements EventStoreAdapter {
  readonly kind = 'sqlite';
  /** Sizes of the last group commits, for metrics and the benchmark. */
  readonly groupCommitSizes: number[] = [];
  private readonly db: Database.Database;
  private readonly queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly listeners = new Set<() => void>();
  private readonly groupCommitObservers = new Set<(appends: number) => void>();
  private readonly groupCommitSizeMax: number;
  private readonly pollIntervalMs: number;
  private readonly readBatchSize: number;
  private readonly statements: {
    revision: Statement;
    byEventId: Statement;
    head: Statement;
    savepoint: Statement;
    release: Statement;
    rollbackTo: Statement;
    begin: Statement;
    commit: Statement;
    rollback: Statement;
  };
  private readonly pageQueries = new Map<string, Statement>();
  private readonly inserts = new Map<number, Statement>();
  private readonly tail: StoredEvent[] = [];
  /**
   * Where each live subscription of this store has read to: the position it last asked to read
   * after (it has handled every event up to there). The tail drops what all of them have read
   * (`trimTail`), so a live event dies young instead of waiting for the size cap in the old
   * generation of the heap (ADR 0021, addendum).
   */
  private readonly cursors = new Set<{ after: bigint }>();
  /** `FULL`: groups committed to the WAL but not yet fsynced, oldest first. */
  private readonly unsynced: CommittedGroup[] = [];
  private syncing: Promise<void> | null = null;
  private walFd: number | null = null;
  private readonly durable: boolean;
  private readonly walPath: string;
  private readonly path: string;
  private readonly fsync: NonNullable<SqliteEventStoreOptions['fsync']>;
  /** A failed fsync leaves the file's durability unknown: the store refuses further appends. */
  private failed: Error | null = null;
  private readonly checkpointer: WalCheckpointing | null;
  private readonly envelopes = new EnvelopeCollector();
  /** Follower: the highest position readers of $all may see (see SqliteEventStoreOptions.follower). */
  private visibleCap: bigint | null = null;
  /** Highest position this store has published (durable, acknowledged); at open, the head. */
  private durableHead: bigint;
  private readonly durableListeners = new Set<(position: bigint) => void>();

  constructor(options: SqliteEventStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    // FULL is implemented as NORMAL plus an fsync of the WAL off the event loop (class comment).
    this.durable = (options.synchronous ?? 'FULL') === 'FULL' && options.path !== ':memory:';
    this.path = options.path;
    this.walPath = `${options.path}-wal`;
    this.fsync = options.fsync ?? fsync;
    this.db.pragma(`synchronous = ${this.durable || options.path === ':memory:' ? 'NORMAL' : (options.synchronous ?? 'FULL')}`);
    this.db.pragma('busy_timeout = 5000');
    // A larger page cache keeps the three indexes (rowid, event id, stream+revision) in memory
    // during bulk appends. Reads go through a memory map of the file, as large as SQLite allows
    // (2 GiB, its MAX_MMAP_SIZE): loading a random stream's state then reads pages in place
    // instead of a pread and copy each. With the 256 MiB map used before, a 1M-event log
    // (~700 MB) was mostly outside it. Share decisions on random subjects, back-to-back A/B:
    // 896 and 957/s with 256 MiB, 1,046 and 1,097/s with 2 GiB (later runs on the same noisy VM
    // ranged 741-1,130/s, so the gain is within its noise).
    this.db.pragma('cache_size = -65536');
    this.db.pragma(`mmap_size = ${SQLITE_MMAP_BYTES}`);
    this.db.defaultSafeIntegers(true);
    this.db.function(ENVELOPE_FUNCTION, { safeIntegers: true, directOnly: true }, this.envelopes.build as (...args: unknown[]) => unknown);
    applyMigrations(this.db, EVENT_STORE_MIGRATIONS);
    this.checkpointer = options.checkpointer?.attach(this.db, options.path) ?? null;
    this.groupCommitSizeMax = options.groupCommitSizeMax ?? 1_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.readBatchSize = options.readBatchSize ?? 1_000;
    const db = this.db;
    this.statements = {
      revision: db.prepare('SELECT stream_revision FROM events WHERE stream_id = ? ORDER BY stream_revision DESC LIMIT 1').pluck(),
      byEventId: db.prepare('SELECT stream_id, stream_revision, position FROM events WHERE event_id = ?').raw(),
      head: db.prepare('SELECT coalesce(max(position), 0) FROM events').pluck(),
      savepoint: db.prepare('SAVEPOINT append'),
      release: db.prepare('RELEASE append'),
      rollbackTo: db.prepare('ROLLBACK TO append'),
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
    };
    this.durableHead = this.statements.head.get() as bigint;
    if (options.follower) this.visibleCap = options.follower.visibleUpTo;
  }

  /**
   * Calls `listener` with the highest durable position each time appends of this store become
   * durable (after their fsync with `FULL`), as they are acknowledged: what a follower may show.
   */
  onDurable(listener: (position: bigint) => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  /** The highest position this store has made durable (the head when it was opened, at first). */
  get durablePosition(): bigint {
    return this.durableHead;
  }

  /** Follower only: the writer has made everything up to `position` durable; wakes subscribers. */
  advanceVisible(position: bigint): void {
    if (this.visibleCap === null) throw new Error('advanceVisible is for a follower store');
    if (position <= this.visibleCap) return;
    const after = this.visibleCap;
    this.visibleCap = position;
    // Every live subscriber (each projection) would read the new events on its own: read them
    // once into the tail they read from, as the writer does with what it appends.
    if (this.listeners.size > 0 && position - after <= BigInt(TAIL_EVENTS_MAX / 2)) this.extendTail(after, position);
    for (const listener of this.listeners) listener();
  }

  /** Follower: appends the events in (after, upTo] to the tail when they continue it (or it is empty). */
  private extendTail(after: bigint, upTo: bigint): void {
    const last = this.tail[this.tail.length - 1];
    if (last && last.globalPosition !== after) this.tail.length = 0;
    let cursor = after;
    while (cursor < upTo) {
      const page = this.readPage(cursor, this.readBatchSize);
      const end = page[page.length - 1];
      if (!end) break;
      for (const event of page) this.tail.push(event);
      cursor = end.globalPosition;
    }
    this.trimTail();
  }

  /** A read of whole envelopes (see `EnvelopeCollector`): `SELECT attest_envelope(...) FROM events WHERE <where>`. */
  private envelopeQuery(where: string): Statement {
    return this.db.prepare(`SELECT ${ENVELOPE_FUNCTION}(${COLUMNS}) FROM events WHERE ${where}`).pluck().safeIntegers(false);
  }

  /** Events held in the in-memory tail for live subscribers (tests). */
  get tailLength(): number {
    return this.tail.length;
  }

  /** Observes each group commit's size in appends (metrics). */
  onGroupCommit(observer: (appends: number) => void): () => void {
    this.groupCommitObservers.add(observer);
    return () => this.groupCommitObservers.delete(observer);
  }

  /** The underlying connection, for tools that inspect the raw file (audit check, tests). */
  get database(): Database.Database {
    return this.db;
  }

  append(appends: readonly StreamAppend[]): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new StoreUnavailable('the event store is closed'));
    if (this.visibleCap !== null) return Promise.reject(new StoreUnavailable('this store follows another writer and is read-only'));
    if (this.failed) return Promise.reject(new StoreUnavailable(`the event store stopped after a failed fsync: ${this.failed.message}`));
    return new Promise((resolve, reject) => {
      this.queue.push({ appends, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0, this.groupCommitSizeMax);
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    const s = this.statements;
    try {
      s.begin.run();
      const only = batch.length === 1 ? batch[0] : undefined;
      if (only) {
        // One append: the transaction itself undoes it if it fails. (A savepoint's journal would
        // keep every page the whole append changes and, past 64 KiB, spill to a temporary file.)
        try {
          outcomes.push({ ok: true, result: this.appendInTransaction(only.appends) });
        } catch (error) {
          s.rollback.run();
          outcomes.push({ ok: false, error });
        }
      } else {
        for (const pending of batch) {
          s.savepoint.run();
          try {
            const result = this.appendInTransaction(pending.appends);
            s.release.run();
            outcomes.push({ ok: true, result });
          } catch (error) {
            s.rollbackTo.run();
            s.release.run();
            outcomes.push({ ok: false, error });
          }
        }
      }
      if (this.db.inTransaction) s.commit.run();
    } catch (error) {
      if (this.db.inTransaction) s.rollback.run();
      for (const pending of batch) pending.reject(error);
      this.scheduleRest();
      return;
    }
    this.groupCommitSizes.push(batch.length);
    if (this.groupCommitSizes.length > 10_000) this.groupCommitSizes.splice(0, 5_000);
    for (const observer of this.groupCommitObservers) observer(batch.length);
    const group: CommittedGroup = { batch, outcomes, firstPosition: null, lastPosition: null };
    for (const outcome of outcomes)
      if (outcome.ok && !outcome.result.idempotentReplay)
        for (const stream of outcome.result.streams)
          for (const position of stream.positions) {
            if (group.firstPosition === null || position < group.firstPosition) group.firstPosition = position;
            if (group.lastPosition === null || position > group.lastPosition) group.lastPosition = position;
          }
    if (this.durable) {
      this.unsynced.push(group);
      this.syncing ??= this.syncWal();
    } else this.publish(group);
    this.scheduleRest();
  }

  /** Fsyncs the WAL until no committed group is waiting, then publishes each group in order. */
  private async syncWal(): Promise<void> {
    try {
      while (this.unsynced.length > 0) {
        const groups = this.unsynced.slice();
        try {
          this.walFd ??= openSync(this.walPath, 'r');
          const fd = this.walFd;
          await new Promise<void>((resolve, reject) => this.fsync(fd, (error) => (error ? reject(error) : resolve())));
        } catch (error) {
          // Durability of everything since the last good fsync is unknown: acknowledge nothing,
          // and stop accepting appends (retrying an fsync can report success for lost pages).
          this.failed = error instanceof Error ? error : new Error(String(error));
          const unavailable = new StoreUnavailable(`fsync of the event log failed: ${this.failed.message}`);
          for (const group of this.unsynced.splice(0)) for (const pending of group.batch) pending.reject(unavailable);
          return;
        }
        this.unsynced.splice(0, groups.length);
        for (const group of groups) this.publish(group);
      }
    } finally {
      this.syncing = null;
    }
  }

  /** The group is durable: answer its appenders, extend the tail, wake the subscribers. */
  private publish(group: CommittedGroup): void {
    group.batch.forEach((pending, i) => {
      const outcome = group.outcomes[i];
      if (!outcome) return;
      if (outcome.ok) {
        // Only worth it when someone is subscribed (bulk imports with no reader skip the copy).
        if (!outcome.result.idempotentReplay && this.listeners.size > 0) this.remember(pending.appends, outcome.result);
        pending.resolve(outcome.result);
      } else pending.reject(outcome.error);
    });
    if (group.lastPosition !== null && group.lastPosition > this.durableHead) {
      this.durableHead = group.lastPosition;
      for (const listener of this.durableListeners) listener(this.durableHead);
    }
    for (const listener of this.listeners) listener();
  }

  /** Highest position a reader of $all may see: below this process's first unsynced write. */
  private readCap(): bigint {
    if (this.visibleCap !== null) return this.visibleCap;
    const first = this.unsynced.find((group) => group.firstPosition !== null)?.firstPosition;
    return first === undefined || first === null ? POSITION_MAX : first - 1n;
  }

  /**
   * Keeps the events just committed in a bounded in-memory tail, in the exact form a read would
   * return (JSON round-tripped), so live subscribers — every projection — read them without SQL
   * or JSON parsing. Positions in the tail are only trusted where they are consecutive (another
   * process may have written in between; then the read goes to SQLite).
   */
  private remember(appends: readonly StreamAppend[], result: AppendResult): void {
    const fresh: StoredEvent[] = [];
    appends.forEach((append, a) => {
      const written = result.streams[a];
      if (!written || written.positions.length !== append.events.length) return;
      const firstRevision = written.nextRevision - BigInt(append.events.length) + 1n;
      append.events.forEach((event, e) => {
        const position = written.positions[e];
        if (position === undefined) return;
        // Written out in `EnvelopeCollector.build`'s key order, not `{ ...event, streamId, … }`:
        // tail events and read events then share one hidden class, and on Node 20 properties
        // added after a spread take a slow map transition (ADR 0022).
        const { recordedAt, correlationId, causationId, actor } = event.metadata;
        fresh.push({
          globalPosition: position,
          eventId: event.eventId,
          streamId: append.streamId,
          streamRevision: firstRevision + BigInt(e),
          type: event.type,
          schemaVersion: event.schemaVersion,
          data: JSON.parse(JSON.stringify(event.data)) as JsonObject,
          pii: event.pii === null ? null : (JSON.parse(JSON.stringify(event.pii)) as JsonObject),
          metadata: { recordedAt, correlationId, causationId, actor },
        });
      });
    });
    fresh.sort((x, y) => (x.globalPosition < y.globalPosition ? -1 : 1));
    for (const event of fresh) this.tail.push(event);
    this.trimTail();
  }

  /**
   * Drops from the tail the events every live subscription has read, then bounds what is left
   * (a subscription far behind reads from SQLite anyway).
   */
  private trimTail(): void {
    const tail = this.tail;
    if (this.cursors.size > 0) {
      let consumed = POSITION_MAX;
      for (const cursor of this.cursors) if (cursor.after < consumed) consumed = cursor.after;
      let drop = 0;
      while (drop < tail.length && (tail[drop] as StoredEvent).globalPosition <= consumed) drop++;
      if (drop > 0) tail.splice(0, drop);
    }
    if (tail.length > TAIL_EVENTS_MAX) tail.splice(0, tail.length - TAIL_EVENTS_MAX / 2);
  }

  /** Events after `afterPosition` from the tail, when it holds the very next one; else null. */
  private fromTail(afterPosition: bigint, limit: number): StoredEvent[] | null {
    const tail = this.tail;
    const first = tail[0];
    const last = tail[tail.length - 1];
    if (!first || !last || afterPosition + 1n < first.globalPosition || afterPosition + 1n > last.globalPosition) return null;
    let index = Number(afterPosition + 1n - first.globalPosition);
    // The tail is sorted; when positions are consecutive the index is exact, else search.
    if (tail[index]?.globalPosition !== afterPosition + 1n) {
      index = tail.findIndex((e) => e.globalPosition === afterPosition + 1n);
      if (index < 0) return null;
    }
    const page: StoredEvent[] = [];
    let expected = afterPosition + 1n;
    for (let i = index; i < tail.length && page.length < limit; i++) {
      const event = tail[i] as StoredEvent;
      if (event.globalPosition !== expected) break;
      page.push(event);
      expected++;
    }
    return page;
  }

  private scheduleRest(): void {
    if (this.queue.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private currentRevision(streamId: string): CurrentRevision {
    const revision = this.statements.revision.get(streamId) as bigint | undefined;
    return revision === undefined ? 'noStream' : revision;
  }

  /** Runs inside the group transaction and a savepoint: throw to undo this append only. */
  private appendInTransaction(appends: readonly StreamAppend[]): AppendResult {
    const streams: StreamAppendResult[] = [];
    let lastPosition = 0n;
    let replays = 0;
    for (const append of appends) {
      const replay = this.findReplay(append);
      if (replay) {
        replays++;
        streams.push(replay);
        const last = replay.positions[replay.positions.length - 1] ?? 0n;
        if (last > lastPosition) lastPosition = last;
        continue;
      }
      const actual = this.currentRevision(append.streamId);
      if (!revisionMatches(append.expectedRevision, actual)) {
        throw new WrongExpectedRevision(append.streamId, append.expectedRevision, actual);
      }
      const first = actual === 'noStream' ? 0n : actual + 1n;
      const positions = this.insertEvents(append.streamId, first, append.events);
      const revision = first + BigInt(append.events.length) - 1n;
      lastPosition = positions[positions.length - 1] ?? lastPosition;
      streams.push({ streamId: append.streamId, nextRevision: revision, positions });
    }
    return { streams, lastPosition, idempotentReplay: replays === appends.length };
  }

  /**
   * Inserts events with consecutive revisions from `firstRevision`, in multi-row INSERTs of the
   * fixed sizes of INSERT_CHUNKS (one statement per row costs ~2x more in bulk appends).
   * Rowids in one INSERT are consecutive: SQLite has one writer and we hold the write lock.
   */
  private insertEvents(streamId: string, firstRevision: bigint, events: readonly NewEvent[]): bigint[] {
    const positions: bigint[] = [];
    let offset = 0;
    while (offset < events.length) {
      const left = events.length - offset;
      const size = INSERT_CHUNKS.find((chunk) => chunk <= left) ?? 1;
      const params: Array<string | number | bigint | null> = [];
      for (let i = offset; i < offset + size; i++) {
        const event = events[i] as NewEvent;
        const metadata = event.metadata;
        const data = JSON.stringify(event.data);
        const pii = event.pii === null ? null : JSON.stringify(event.pii);
        params.push(
          event.eventId,
          streamId,
          firstRevision + BigInt(i),
          event.type,
          event.schemaVersion,
          data,
          pii,
          metadata.recordedAt,
          metadata.correlationId,
          metadata.causationId,
          metadata.actor,
        );
      }
      let last: bigint;
      try {
        // Spread, not an array: better-sqlite3 reads an array's elements one V8 API call
        // (Object::Get) at a time, arguments directly; binding costs ~20% less (ADR 0015).
        last = BigInt(this.insertStatement(size).run(...params).lastInsertRowid);
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String(error).includes('event_id')) {
          const duplicate = events.slice(offset, offset + size).find((e, i, chunk) => this.statements.byEventId.get(e.eventId) || chunk.findIndex((c) => c.eventId === e.eventId) !== i);
          throw new DuplicateEventId(duplicate?.eventId ?? 'unknown');
        }
        throw error;
      }
      for (let i = size - 1; i >= 0; i--) positions.push(last - BigInt(i));
      offset += size;
    }
    return positions;
  }

  private insertStatement(rows: number): Statement {
    let statement = this.inserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      statement = this.db.prepare(
        `INSERT INTO events (event_id, stream_id, stream_revision, type, schema_version, data, pii, recorded_at, correlation_id, causation_id, actor) VALUES ${values}`,
      );
      this.inserts.set(rows, statement);
    }
    return statement;
  }

  /**
   * An append whose first event id is already stored is a retry if, and only if, every event is
   * stored in this stream, consecutively, at the place the expected revision names. Anything
   * else reusing an id is a `DuplicateEventId`.
   */
  private findReplay(append: StreamAppend): StreamAppendResult | null {
    const first = append.events[0];
    if (!first) return null;
    const found = this.statements.byEventId.get(first.eventId) as [string, bigint, bigint] | undefined;
    if (!found) return null;
    const [streamId, firstRevision] = found;
    const before: CurrentRevision = firstRevision === 0n ? 'noStream' : firstRevision - 1n;
    if (streamId !== append.streamId || !revisionMatches(append.expectedRevision, before)) throw new DuplicateEventId(first.eventId);
    const positions: bigint[] = [];
    append.events.forEach((event, i) => {
      const row = this.statements.byEventId.get(event.eventId) as [string, bigint, bigint] | undefined;
      if (!row || row[0] !== append.streamId || row[1] !== firstRevision + BigInt(i)) throw new DuplicateEventId(event.eventId);
      positions.push(row[2]);
    });
    return { streamId: append.streamId, nextRevision: firstRevision + BigInt(append.events.length - 1), positions };
  }

  async *readStream(streamId: string, options: ReadStreamOptions = {}): AsyncGenerator<StoredEvent> {
    const forwards = (options.direction ?? 'forwards') === 'forwards';
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let cursor = options.from ?? (forwards ? 0n : 9_223_372_036_854_775_807n);
    const where = forwards ? STREAM_FORWARDS : STREAM_BACKWARDS;
    while (remaining > 0) {
      const size = Math.min(this.readBatchSize, remaining);
      const page = this.envelopes.read(this.pageQuery(where, size), [streamId, cursor]);
      for (const event of page) yield event;
      if (page.length < size) return;
      remaining -= page.length;
      const last = page[page.length - 1];
      if (!last) return;
      cursor = forwards ? last.streamRevision + 1n : last.streamRevision - 1n;
    }
  }

  /**
   * A read of envelopes with its LIMIT written into the SQL, prepared once per (query, limit).
   *
   * The SQLite that better-sqlite3 bundles (3.53) reads a bound LIMIT's value while
   * planning and marks the parameter as one whose new binding expires the plan: a statement
   * with `LIMIT ?` is parsed and planned again on every execution. On a 2-core EPYC VM the same
   * index lookup cost 14-22 µs instead of 6-7 µs, and a decider's cold load (a stream read of
   * 1-3 events) 46-56 µs instead of 19-35 µs (docs/adr/0015-event-store-hot-paths.md, addendum). Limits are
   * the store's own page sizes, so few statements are kept; past `PAGE_QUERIES_MAX` an unusual
   * limit is prepared for its one read, which costs what a re-prepare did.
   */
  private pageQuery(where: string, limit: number): Statement {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`a page limit must be a non-negative integer, not ${limit}`);
    const key = `${limit} ${where}`;
    const cached = this.pageQueries.get(key);
    if (cached) return cached;
    const statement = this.envelopeQuery(`${where} LIMIT ${limit}`);
    if (this.pageQueries.size < PAGE_QUERIES_MAX) this.pageQueries.set(key, statement);
    return statement;
  }

  /** One ordered page after `afterPosition`: the unit every read of $all is built on. */
  readPage(afterPosition: bigint, limit: number, types?: readonly string[]): StoredEvent[] {
    const cap = this.readCap();
    if (!types || types.length === 0) return this.envelopes.read(this.pageQuery(ALL, limit), [afterPosition, cap]);
    return this.envelopes.read(this.pageQuery(allOfTypes(types.length), limit), [afterPosition, cap, ...types]);
  }

  /**
   * Pages through $all. A hand-written iterator instead of an async generator: each `next()`
   * from a loaded page is an already-resolved promise, which keeps readAll and catch-up near
   * the speed of the underlying SQLite reads.
   */
  readAll(options: ReadAllOptions = {}): AsyncIterable<StoredEvent> {
    const pageSize = this.readBatchSize;
    const types = options.types;
    return {
      [Symbol.asyncIterator]: () => {
        let after = (options.fromPosition ?? 1n) - 1n;
        let remaining = options.limit ?? Number.POSITIVE_INFINITY;
        let page: StoredEvent[] = [];
        let index = 0;
        let exhausted = false;
        const finished = (): Promise<IteratorResult<StoredEvent>> => Promise.resolve({ value: undefined, done: true });
        return {
          next: (): Promise<IteratorResult<StoredEvent>> => {
            if (index >= page.length) {
              if (exhausted || remaining <= 0) return finished();
              const size = Math.min(pageSize, remaining);
              page = this.readPage(after, size, types);
              index = 0;
              remaining -= page.length;
              if (page.length < size) exhausted = true;
              const last = page[page.length - 1];
              if (!last) return finished();
              after = last.globalPosition;
            }
            return Promise.resolve({ value: page[index++] as StoredEvent, done: false });
          },
        };
      },
    };
  }

  async streamRevision(streamId: string): Promise<CurrentRevision> {
    return this.currentRevision(streamId);
  }

  async headPosition(): Promise<bigint> {
    const head = this.statements.head.get() as bigint;
    const cap = this.readCap();
    return head < cap ? head : cap;
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const cursor = { after: options.afterPosition };
    return catchUpSubscription(
      {
        // Live subscribers read from the tail when it holds the next event. A short page from the
        // tail is not the end of the log (the loop reads again until a page comes back empty).
        readBatch: async (after, limit) => {
          cursor.after = after;
          const cached = this.fromTail(after, limit);
          if (cached && cached.length > 0) return cached;
          // A follower sees nothing past what the writer made visible: a subscriber that has read
          // up to there is at the end without asking SQLite (each projection asks after every batch).
          if (this.visibleCap !== null && after >= this.visibleCap) return [];
          return this.readPage(after, limit);
        },
        onAppended: (listener) => {
          this.listeners.add(listener);
          this.cursors.add(cursor);
          return () => {
            this.listeners.delete(listener);
            this.cursors.delete(cursor);
          };
        },
        pollIntervalMs: this.pollIntervalMs,
      },
      options,
      handler,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Let queued appends finish before closing the file.
    while (this.queue.length > 0 || this.flushScheduled || this.syncing) {
      if (this.syncing) await this.syncing;
      else await new Promise((r) => setImmediate(r));
    }
    this.closed = true;
    await this.checkpointer?.remove(this.path);
    this.db.close();
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }
}
