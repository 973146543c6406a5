import Database, { Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WalCheckpointing } from '@attest/event-store';
import { IdempotencyRecord, IdempotencyStore } from './idempotency';

/**
 * Idempotency records in their own SQLite file (`data/idempotency.sqlite`), WAL.
 *
 * `synchronous=NORMAL` by default: a record survives a process crash; a power cut may lose the
 * last few, and then the deterministic event ids still stop the event store from writing a
 * retried command twice (the retry gets IDEMPOTENCY_KEY_IN_FLIGHT instead of the original
 * body). `FULL` is available when that difference matters more than an fsync per command.
 */
export class SqliteIdempotencyStore implements IdempotencyStore {
  private readonly db: Database.Database;
  private readonly statements: { get: Statement; put: Statement; purge: Statement };
  private readonly pending: Array<{ record: IdempotencyRecord; resolve: () => void; reject: (error: unknown) => void }> = [];
  private readonly writeAll: (records: IdempotencyRecord[]) => void;

  private readonly checkpointer: WalCheckpointing | null;

  constructor(
    private readonly path: string,
    options: { synchronous?: 'FULL' | 'NORMAL'; /** WAL checkpoints on a worker thread (see WalCheckpointer). */ checkpointer?: WalCheckpointing } = {},
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.checkpointer = options.checkpointer?.attach(this.db, path) ?? null;
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope TEXT NOT NULL, key TEXT NOT NULL, request_hash TEXT NOT NULL, status INTEGER NOT NULL,
      body TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (scope, key)) WITHOUT ROWID`);
    this.db.exec('CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)');
    this.statements = {
      get: this.db.prepare('SELECT scope, key, request_hash AS requestHash, status, body, created_at AS createdAt FROM idempotency_keys WHERE scope = ? AND key = ?'),
      put: this.db.prepare(
        'INSERT INTO idempotency_keys (scope, key, request_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key) DO NOTHING',
      ),
      purge: this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?'),
    };
    const put = this.statements.put;
    this.writeAll = this.db.transaction((records: IdempotencyRecord[]) => {
      for (const r of records) put.run(r.scope, r.key, r.requestHash, r.status, r.body, r.createdAt);
    });
  }

  async get(scope: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.statements.get.get(scope, key) as IdempotencyRecord | undefined;
  }

  /**
   * Records written in the same event-loop turn share one transaction (group commit, like the
   * event store): one WAL commit for many commands instead of one each.
   */
  put(record: IdempotencyRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, this.pending.length);
    try {
      this.writeAll(batch.map((p) => p.record));
    } catch (error) {
      for (const p of batch) p.reject(error);
      return;
    }
    for (const p of batch) p.resolve();
  }

  async purgeCreatedBefore(instant: string): Promise<number> {
    return this.statements.purge.run(instant).changes;
  }

  async close(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    await this.checkpointer?.remove(this.path);
    if (this.db.open) this.db.close();
  }
}
