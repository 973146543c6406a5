import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client, ClientConfig, Notification, Pool, PoolClient } from 'pg';
import { applyPostgresMigrations, evictOldestHalf, PostgresMigration, schemaNames, SchemaNames } from '@attest/event-store';
import { KEY_BYTES, KeyEncryptionKey, wrapKey } from './key-encryption-keys';
import { DataKeyLookup, KEY_CACHE_ENTRIES_MAX, SubjectKeyErased, SubjectKeyStore, unwrapStoredKey } from './subject-key-store';

/** Hash partitions of the key table: an erasure rewrites one of them (VACUUM FULL), not all keys. */
export const KEY_TABLE_PARTITIONS = 16;

/**
 * Versioned migrations of the key store, applied by `PostgresSubjectKeyStore.open` (so by the API,
 * the projector and `attest migrate`) with the event store's migration runner: each once, in
 * order, in one transaction, recorded in `<schema>.schema_migrations`. Never edit a migration
 * that has shipped: add the next one.
 *
 * The keys live in their own schema (default `attest_keys`), apart from the log (`attest`), so a
 * logical backup of the log can leave them out (docs/operations.md, Backups).
 */
export const POSTGRES_KEY_STORE_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'subject keys',
    up: ({ schema }) => `
      -- One row per subject: the data key wrapped by a KEK, or, once erased, a tombstone without
      -- any key material (the CHECK makes a half-erased row impossible).
      CREATE TABLE ${schema}.subject_keys (
        subject_id text        PRIMARY KEY,
        kek_id     text,
        wrapped    bytea,
        created_at timestamptz NOT NULL DEFAULT now(),
        erased_at  text,
        CONSTRAINT subject_keys_key_xor_tombstone CHECK (
          (erased_at IS NULL AND kek_id IS NOT NULL AND wrapped IS NOT NULL)
          OR (erased_at IS NOT NULL AND kek_id IS NULL AND wrapped IS NULL))
      ) PARTITION BY HASH (subject_id);
      ${Array.from(
        { length: KEY_TABLE_PARTITIONS },
        (_, i) => `CREATE TABLE ${schema}.subject_keys_p${i} PARTITION OF ${schema}.subject_keys FOR VALUES WITH (MODULUS ${KEY_TABLE_PARTITIONS}, REMAINDER ${i});`,
      ).join('\n      ')}
      -- Never compressed or moved out of line (TOAST): a wrapped key lives in its row only, which
      -- VACUUM FULL rewrites on erasure.
      ALTER TABLE ${schema}.subject_keys ALTER COLUMN wrapped SET STORAGE PLAIN;
    `,
  },
];

export interface PostgresSubjectKeyStoreOptions {
  /** `postgres://user@host:5432/database`: the same database as the events in a PostgreSQL deployment. */
  connectionString: string;
  /** Key-encryption keys, the active one first (`parseKeks(ATTEST_KEKS)`); the same in every process. */
  keks: KeyEncryptionKey[];
  /** Schema holding the key table (default `attest_keys`). */
  schema?: string;
  poolSizeMax?: number;
  /**
   * How long a cached key may be used without a confirmation that every erasure committed
   * before it has reached this process (default 1,000 ms). It bounds how late a process can
   * notice another process's erasure, and `erase` waits this long before it returns, so it must
   * be the same in every process (it is not configurable outside tests for that reason).
   */
  cacheLeaseMs?: number;
  /** How long the VACUUM FULL of an erasure waits for its lock before giving up (default 10 s). */
  scrubLockTimeoutMs?: number;
  /** Called when the LISTEN connection fails and is re-opened, or a scrub is incomplete (defaults to console.warn). */
  onWarning?: (message: string) => void;
}

type KeyRow = { subject_id: string; kek_id: string | null; wrapped: Buffer | null; erased_at: string | null };

interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Requests made in the same event-loop turn go to the database together: one statement for the
 * whole turn (group commit for key creation, one `= ANY($1)` read for lookups).
 */
class TurnBatch<V> {
  private pending = new Map<string, Array<Waiter<V>>>();
  private scheduled = false;

  constructor(
    private readonly run: (ids: string[]) => Promise<Map<string, V | Error>>,
    private readonly track: (work: Promise<unknown>) => void,
  ) {}

  load(id: string): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      const waiting = this.pending.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(id, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        this.track(new Promise((ready) => setImmediate(ready)).then(() => this.flush()));
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    let results: Map<string, V | Error>;
    try {
      results = await this.run([...batch.keys()]);
    } catch (error) {
      for (const waiting of batch.values()) for (const waiter of waiting) waiter.reject(error);
      return;
    }
    for (const [id, waiting] of batch) {
      const result = results.get(id);
      for (const waiter of waiting) {
        if (result === undefined) waiter.reject(new Error(`no result for subject ${id}`));
        else if (result instanceof Error) waiter.reject(result);
        else waiter.resolve(result);
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Per-subject data keys in PostgreSQL, shared by every API process and the projector of a
 * deployment (docs/adr/0010-crypto-shredding.md, "Where the keys live").
 *
 * - Creation is race-safe across processes: `INSERT … ON CONFLICT DO NOTHING`, then whatever row
 *   won is read back, so two processes asking for a new subject's key at once get the same key.
 *   Keys first asked for in the same event-loop turn are inserted by one statement (one commit,
 *   one WAL flush), like the SQLite store's group commit.
 * - Erasure turns the row into a tombstone and NOTIFYs every process in the same transaction,
 *   then rewrites the row's partition (VACUUM FULL) so the old row version, wrapped key and all,
 *   is gone from the table's files, not just flagged.
 * - Keys are cached in memory, under a lease: a cached key is used only while this process has
 *   proof that every erasure committed up to `cacheLeaseMs` ago has reached it. The proof is a
 *   heartbeat NOTIFY sent to itself on the LISTEN connection: notifications arrive in commit
 *   order, so when the heartbeat sent at time s comes back, every erasure committed before s has
 *   been applied to the cache. Without a recent echo (connection lost, stalled, not yet open)
 *   every lookup goes to the database. So a process uses another process's erased key at most
 *   `cacheLeaseMs` after the erasure committed — normally only until the NOTIFY arrives,
 *   milliseconds — and `erase` returns only once that bound has passed: when it returns, no
 *   process seals or opens anything with the key any more.
 * - Tombstones are cached without a lease: an erasure is never undone.
 */
export class PostgresSubjectKeyStore implements SubjectKeyStore {
  private readonly keys = new Map<string, Buffer>();
  private readonly tombstones = new Map<string, string>();
  private readonly keks: Map<string, KeyEncryptionKey>;
  private readonly active: KeyEncryptionKey;
  /** Bumped by every invalidation; a database read caches its key only if none happened meanwhile. */
  private epoch = 0;
  /** When the last heartbeat that came back was sent (performance.now()); null = no lease. */
  private leaseFrom: number | null = null;
  private beat: { seq: number; sentAt: number } | null = null;
  private beatSeq = 0;
  private listenClient: Client | null = null;
  /** The LISTEN connection once it listens (heartbeats are only sent on it then). */
  private listening: Client | null = null;
  private abandonListener: ((error: unknown) => void) | null = null;
  private listenRetry: NodeJS.Timeout | null = null;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly reads: TurnBatch<DataKeyLookup>;
  private readonly creations: TurnBatch<DataKeyLookup>;
  private readonly erasedChannel: string;
  private readonly leaseChannel: string;
  private readonly leaseMs: number;
  private readonly scrubLockTimeoutMs: number;
  private readonly warn: (message: string) => void;

  private constructor(
    private readonly pool: Pool,
    private readonly names: SchemaNames,
    private readonly clientConfig: ClientConfig,
    schema: string,
    options: PostgresSubjectKeyStoreOptions,
  ) {
    const [active] = options.keks;
    if (!active) throw new Error('at least one key-encryption key is required');
    this.active = active;
    this.keks = new Map(options.keks.map((k) => [k.kid, k]));
    this.leaseMs = options.cacheLeaseMs ?? 1_000;
    this.scrubLockTimeoutMs = options.scrubLockTimeoutMs ?? 10_000;
    this.warn = options.onWarning ?? ((message) => console.warn(`[postgres-subject-key-store] ${message}`));
    const instance = randomBytes(4).toString('hex');
    // Channel names stay under PostgreSQL's 63-byte identifier limit (schema ≤ 48 characters).
    this.erasedChannel = `${schema}_erased`;
    this.leaseChannel = `${schema}_lease_${instance}`;
    this.reads = new TurnBatch((ids) => this.readKeys(ids), (work) => this.track(work));
    this.creations = new TurnBatch((ids) => this.createKeys(ids), (work) => this.track(work));
    // A quarter of the lease: a heartbeat a little late (a busy event loop) keeps the lease.
    this.heartbeat = setInterval(() => this.sendHeartbeat(), Math.max(1, Math.floor(this.leaseMs / 4)));
    this.heartbeat.unref();
  }

  /** Connects, applies pending migrations and starts listening for erasures. */
  static async open(options: PostgresSubjectKeyStoreOptions): Promise<PostgresSubjectKeyStore> {
    const schema = options.schema ?? 'attest_keys';
    const names = schemaNames(schema);
    const clientConfig: ClientConfig = { connectionString: options.connectionString, application_name: 'attest-key-store' };
    const pool = new Pool({ ...clientConfig, max: options.poolSizeMax ?? 4 });
    // An idle client that dies (server restart) must not crash the process: the pool replaces it.
    pool.on('error', () => undefined);
    try {
      await applyPostgresMigrations(pool, names, POSTGRES_KEY_STORE_MIGRATIONS);
    } catch (error) {
      await pool.end();
      throw error;
    }
    const store = new PostgresSubjectKeyStore(pool, names, clientConfig, schema, options);
    await store.listen();
    return store;
  }

  /** The schema (quoted) holding the key table: for tools and tests that inspect it. */
  get schema(): string {
    return this.names.schema;
  }

  private track(work: Promise<unknown>): void {
    const settled = work.catch(() => undefined);
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }

  private ensureOpen(): void {
    if (this.closed) throw new Error('the subject key store is closed');
  }

  // ---- the cache and its lease ----

  private cacheTrusted(): boolean {
    return this.leaseFrom !== null && performance.now() - this.leaseFrom < this.leaseMs;
  }

  private forget(subjectId: string): void {
    this.keys.delete(subjectId);
    this.epoch++;
  }

  private forgetAll(): void {
    this.keys.clear();
    this.epoch++;
  }

  private rememberKey(subjectId: string, key: Buffer): void {
    if (this.keys.size >= KEY_CACHE_ENTRIES_MAX) evictOldestHalf(this.keys);
    this.keys.set(subjectId, key);
  }

  private rememberTombstone(subjectId: string, erasedAt: string): void {
    this.keys.delete(subjectId);
    if (this.tombstones.size >= KEY_CACHE_ENTRIES_MAX) evictOldestHalf(this.tombstones);
    this.tombstones.set(subjectId, erasedAt);
  }

  /**
   * One LISTEN connection per store, for erasures (every process) and this store's heartbeats.
   * If it drops, the lease is gone (every lookup reads the database) until it is re-opened; the
   * cache is emptied then, since erasures made meanwhile were announced to nobody here.
   */
  private listen(attempt = 0): Promise<void> {
    if (this.closed || this.listenClient || this.listenRetry) return Promise.resolve();
    const client = new Client({ ...this.clientConfig, application_name: 'attest-key-store-listen', keepAlive: true });
    this.listenClient = client;
    const abandon = (error: unknown) => {
      if (this.listenClient !== client) return;
      this.listenClient = null;
      this.listening = null;
      this.abandonListener = null;
      this.leaseFrom = null;
      this.beat = null;
      this.forgetAll();
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.closed) return;
      const delayMs = Math.min(100 * 2 ** attempt, 5_000);
      this.warn(`LISTEN connection lost (${String(error)}); reading keys from the database until it is back, reconnecting in ${delayMs} ms`);
      this.listenRetry = setTimeout(() => {
        this.listenRetry = null;
        void this.listen(attempt + 1);
      }, delayMs);
      this.listenRetry.unref();
    };
    this.abandonListener = abandon;
    client.on('error', abandon);
    client.on('end', () => abandon(new Error('connection closed')));
    client.on('notification', (message) => this.onNotification(message));
    return client
      .connect()
      // Heartbeats need no durability: do not wait for a WAL flush on them.
      .then(() => client.query('SET synchronous_commit = off'))
      .then(() => client.query(`LISTEN "${this.erasedChannel}"; LISTEN "${this.leaseChannel}"`))
      .then(() => {
        if (this.listenClient !== client) return;
        attempt = 0;
        this.listening = client;
        this.forgetAll();
        this.sendHeartbeat();
      })
      .catch(abandon);
  }

  private onNotification(message: Notification): void {
    if (message.channel === this.erasedChannel) {
      if (message.payload) this.forget(message.payload);
      return;
    }
    if (message.channel === this.leaseChannel && this.beat && message.payload === String(this.beat.seq)) {
      this.leaseFrom = this.beat.sentAt;
      this.beat = null;
    }
  }

  private sendHeartbeat(): void {
    const client = this.listening;
    if (!client || this.closed) return;
    const now = performance.now();
    if (this.beat) {
      // No echo yet. A connection silent this long is presumed dead (a half-open TCP connection
      // reports nothing): re-open it. The lease expired long before.
      if (now - this.beat.sentAt > Math.max(10_000, 4 * this.leaseMs)) this.abandonListener?.(new Error('heartbeat not answered'));
      return;
    }
    this.beat = { seq: ++this.beatSeq, sentAt: now };
    // A failure here surfaces as the client's 'error' event.
    client.query('SELECT pg_notify($1, $2)', [this.leaseChannel, String(this.beat.seq)]).catch(() => undefined);
  }

  // ---- reads and creation ----

  /** Turns rows into lookups, unwrapping keys and caching them (unless something was invalidated meanwhile). */
  private toLookups(ids: readonly string[], rows: readonly KeyRow[], epoch: number): Map<string, DataKeyLookup | Error> {
    const results = new Map<string, DataKeyLookup | Error>(ids.map((id) => [id, { state: 'none' }]));
    for (const row of rows) {
      if (row.erased_at !== null || row.kek_id === null || row.wrapped === null) {
        const erasedAt = row.erased_at ?? '';
        this.rememberTombstone(row.subject_id, erasedAt);
        results.set(row.subject_id, { state: 'erased', erasedAt });
        continue;
      }
      try {
        const key = unwrapStoredKey(this.keks, row.subject_id, row.kek_id, row.wrapped);
        if (epoch === this.epoch) this.rememberKey(row.subject_id, key);
        results.set(row.subject_id, { state: 'active', key });
      } catch (error) {
        results.set(row.subject_id, error instanceof Error ? error : new Error(String(error)));
      }
    }
    return results;
  }

  private async selectRows(ids: readonly string[]): Promise<KeyRow[]> {
    const result = await this.pool.query<KeyRow>(
      `SELECT subject_id, kek_id, wrapped, erased_at FROM ${this.names.schema}.subject_keys WHERE subject_id = ANY($1::text[])`,
      [ids],
    );
    return result.rows;
  }

  private async readKeys(ids: string[]): Promise<Map<string, DataKeyLookup | Error>> {
    const epoch = this.epoch;
    return this.toLookups(ids, await this.selectRows(ids), epoch);
  }

  /**
   * Group commit of first-time keys: one INSERT for the turn. A subject another process created
   * (or erased) first is left alone (ON CONFLICT DO NOTHING waits for that process's commit) and
   * read back, so every process ends up with the one key that won.
   */
  private async createKeys(ids: string[]): Promise<Map<string, DataKeyLookup | Error>> {
    const epoch = this.epoch;
    const fresh = new Map(ids.map((id) => [id, randomBytes(KEY_BYTES)]));
    const wrapped = ids.map((id) => wrapKey(this.active, fresh.get(id) as Buffer, id));
    const inserted = await this.pool.query<{ subject_id: string }>(
      `INSERT INTO ${this.names.schema}.subject_keys (subject_id, kek_id, wrapped)
       SELECT id, $2, w FROM unnest($1::text[], $3::bytea[]) AS u(id, w)
       ON CONFLICT (subject_id) DO NOTHING
       RETURNING subject_id`,
      [ids, this.active.kid, wrapped],
    );
    const ours = new Set(inserted.rows.map((row) => row.subject_id));
    const theirs = ids.filter((id) => !ours.has(id));
    const results = theirs.length > 0 ? this.toLookups(theirs, await this.selectRows(theirs), epoch) : new Map<string, DataKeyLookup | Error>();
    for (const id of ours) {
      const key = fresh.get(id) as Buffer;
      if (epoch === this.epoch) this.rememberKey(id, key);
      results.set(id, { state: 'active', key });
    }
    return results;
  }

  async lookup(subjectId: string): Promise<DataKeyLookup> {
    this.ensureOpen();
    const erasedAt = this.tombstones.get(subjectId);
    if (erasedAt !== undefined) return { state: 'erased', erasedAt };
    if (this.cacheTrusted()) {
      const key = this.keys.get(subjectId);
      if (key) return { state: 'active', key };
    }
    return this.reads.load(subjectId);
  }

  async keyFor(subjectId: string): Promise<Buffer> {
    const found = await this.lookup(subjectId);
    if (found.state === 'active') return found.key;
    if (found.state === 'erased') throw new SubjectKeyErased(subjectId);
    this.ensureOpen();
    const created = await this.creations.load(subjectId);
    if (created.state === 'active') return created.key;
    throw new SubjectKeyErased(subjectId);
  }

  // ---- erasure ----

  /**
   * Tombstone + NOTIFY in one transaction; then the row's partition is rewritten so the old row
   * version is gone from the table's files; then `erase` waits out the cache lease, so that when
   * it returns no process can still use the key. A retry (alreadyErased) rewrites the partition
   * again, which is how an interrupted scrub is completed.
   */
  async erase(subjectId: string, at: string): Promise<{ alreadyErased: boolean }> {
    this.ensureOpen();
    const work = this.eraseNow(subjectId, at);
    this.track(work);
    return work;
  }

  private async eraseNow(subjectId: string, at: string): Promise<{ alreadyErased: boolean }> {
    this.forget(subjectId);
    const result = await this.pool.query(
      `WITH erased AS (
         INSERT INTO ${this.names.schema}.subject_keys AS k (subject_id, kek_id, wrapped, erased_at) VALUES ($1, NULL, NULL, $2)
         ON CONFLICT (subject_id) DO UPDATE SET kek_id = NULL, wrapped = NULL, erased_at = excluded.erased_at WHERE k.erased_at IS NULL
         RETURNING subject_id
       )
       SELECT pg_notify($3, subject_id) FROM erased`,
      [subjectId, at, this.erasedChannel],
    );
    const committedAt = performance.now();
    const alreadyErased = (result.rowCount ?? 0) === 0;
    this.forget(subjectId);
    if (!alreadyErased) this.rememberTombstone(subjectId, at);
    await this.scrub(subjectId);
    // Another process may use its cached copy until its lease runs out: at most leaseMs after
    // the commit. Only then is the erasure complete everywhere.
    for (let left = this.leaseMs - (performance.now() - committedAt); left > 0; left = this.leaseMs - (performance.now() - committedAt))
      await sleep(Math.ceil(left));
    return { alreadyErased };
  }

  /**
   * VACUUM FULL of the subject's partition: writes a new copy of it without dead row versions and
   * drops the old file. A row version that an older transaction may still see is kept by
   * PostgreSQL; VACUUM VERBOSE reports how many, and the scrub is retried a few times before it
   * gives up with a warning (the next erasure, or a retry of this one, removes it).
   */
  private async scrub(subjectId: string): Promise<void> {
    const found = await this.pool.query<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM ${this.names.schema}.subject_keys WHERE subject_id = $1`, [
      subjectId,
    ]);
    const part = found.rows[0]?.part;
    if (!part) return;
    for (let attempt = 1; ; attempt++) {
      const kept = await this.vacuumFull(part);
      if (kept === 0) return;
      if (attempt >= 5) {
        this.warn(`${part}: ${kept} dead row version(s) are still visible to an open transaction; erasing ${subjectId} again removes them once it has ended`);
        return;
      }
      await sleep(100 * attempt);
    }
  }

  /** Returns the number of dead row versions PostgreSQL had to keep (0 if it did not say). */
  private async vacuumFull(part: string): Promise<number> {
    const client: PoolClient = await this.pool.connect();
    let kept = 0;
    const onNotice = (notice: { detail?: string | undefined }) => {
      const match = /(\d+) dead row versions cannot be removed yet/.exec(notice.detail ?? '');
      if (match) kept += Number(match[1]);
    };
    let broken = false;
    try {
      client.on('notice', onNotice);
      await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(this.scrubLockTimeoutMs))}`);
      // `part` is PostgreSQL's own rendering of a regclass, quoted where needed.
      await client.query(`VACUUM (FULL, VERBOSE) ${part}`);
      return kept;
    } finally {
      client.off('notice', onNotice);
      await client.query('RESET lock_timeout').catch(() => (broken = true));
      client.release(broken);
    }
  }

  // ---- rotation ----

  /**
   * Re-wraps every live data key that is not under the active KEK, 1,000 per transaction. A
   * key erased meanwhile is never brought back (the UPDATE only touches live rows still under the
   * KEK they were read with). Returns how many keys this call re-wrapped.
   */
  async rewrap(): Promise<number> {
    this.ensureOpen();
    const work = this.rewrapNow();
    this.track(work);
    return work;
  }

  private async rewrapNow(): Promise<number> {
    let count = 0;
    let after = '';
    for (;;) {
      const { rows } = await this.pool.query<{ subject_id: string; kek_id: string; wrapped: Buffer }>(
        `SELECT subject_id, kek_id, wrapped FROM ${this.names.schema}.subject_keys
         WHERE erased_at IS NULL AND kek_id <> $1 AND subject_id > $2 ORDER BY subject_id LIMIT 1000`,
        [this.active.kid, after],
      );
      const last = rows[rows.length - 1];
      if (!last) return count;
      after = last.subject_id;
      const result = await this.pool.query(
        `UPDATE ${this.names.schema}.subject_keys AS k SET kek_id = $1, wrapped = u.w
         FROM unnest($2::text[], $3::text[], $4::bytea[]) AS u(id, old, w)
         WHERE k.subject_id = u.id AND k.kek_id = u.old AND k.erased_at IS NULL`,
        [
          this.active.kid,
          rows.map((row) => row.subject_id),
          rows.map((row) => row.kek_id),
          rows.map((row) => wrapKey(this.active, unwrapStoredKey(this.keks, row.subject_id, row.kek_id, row.wrapped), row.subject_id)),
        ],
      );
      count += result.rowCount ?? 0;
    }
  }

  /** For tests and audits: how many keys are wrapped by each KEK. */
  async kekUsage(): Promise<Record<string, number>> {
    const { rows } = await this.pool.query<{ kek_id: string; n: string }>(
      `SELECT kek_id, count(*) AS n FROM ${this.names.schema}.subject_keys WHERE wrapped IS NOT NULL GROUP BY kek_id`,
    );
    return Object.fromEntries(rows.map((r) => [r.kek_id, Number(r.n)]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    if (this.listenRetry) clearTimeout(this.listenRetry);
    this.listenRetry = null;
    // Let reads, creations, erasures and rewraps in flight finish before the pool goes.
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    const listen = this.listenClient;
    this.listenClient = null;
    this.listening = null;
    this.abandonListener = null;
    if (listen) await listen.end().catch(() => undefined);
    await this.pool.end();
    this.keys.clear();
  }
}
