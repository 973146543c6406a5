import Database, { Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { WalCheckpointing } from '@attest/event-store';
import { ReadModelQueries, ReadModelStore, SqlValue } from './read-model-store';

class StatementCache implements ReadModelQueries {
  private readonly statements = new Map<string, Statement>();
  constructor(private readonly db: Database.Database) {}
  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
  runSync(sql: string, params: SqlValue[]) {
    this.prepare(sql).run(...params);
  }
  async run(sql: string, ...params: SqlValue[]) {
    this.prepare(sql).run(...params);
  }
  async get<T>(sql: string, ...params: SqlValue[]) {
    return this.prepare(sql).get(...params) as T | undefined;
  }
  async all<T>(sql: string, ...params: SqlValue[]) {
    return this.prepare(sql).all(...params) as T[];
  }
}

interface PendingTransaction {
  work: (tx: ReadModelQueries) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Page cache per connection, in SQLite's negative-KiB form: 64 MiB. */
const READ_MODEL_CACHE_KIB = -65_536;

/** At most this many transactions share one commit (bounds the latency of the first one). */
export const READ_MODEL_GROUP_COMMIT_MAX = 64;

/**
 * Read models in their own SQLite file (`data/read-models.sqlite`), separate from the event
 * log. A writer connection serves projection transactions one at a time; a second, read-only
 * connection serves queries, so a query never sees a projection batch half applied (WAL gives
 * it the last committed snapshot). Integers come back as bigint.
 *
 * Group commit: every live projection wakes on the same append, so their transactions arrive
 * together. Transactions queued while one runs share its `BEGIN … COMMIT`, each after the first
 * inside its own savepoint (the first needs none: see `drain`), so a failing one rolls back only
 * its own writes (and rejects only its caller); all callers hear back after the one commit. One
 * commit instead of one per projection is what makes live projections cheap on the request path
 * (see docs/BENCHMARKS.md, ledger/tips).
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly writes: StatementCache;
  readonly query: ReadModelQueries;
  private readonly pending: PendingTransaction[] = [];
  private draining: Promise<void> | null = null;
  private readonly control: { begin: Statement; commit: Statement; rollback: Statement; savepoint: Statement; release: Statement; rollbackTo: Statement };
  private commits = 0;
  private transactions = 0;

  private readonly checkpointer: WalCheckpointing | null;

  constructor(
    private readonly path: string,
    options: { synchronous?: 'FULL' | 'NORMAL'; /** WAL checkpoints on a worker thread (see WalCheckpointer, CHECKPOINTED_ELSEWHERE). */ checkpointer?: WalCheckpointing } = {},
  ) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.writer = new Database(path);
    this.writer.pragma('journal_mode = WAL');
    // A read model can always be rebuilt from the log, so NORMAL is safe; FULL is available.
    this.writer.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.writer.pragma('busy_timeout = 5000');
    // better-sqlite3's default page cache is 16 MB; read models carry several indexes per table (the
    // ledger's postings have six) and every write touches a page of each. 64 MB (as for the
    // event store) keeps them in memory: inserts into ledger_postings ~33 → ~27 µs each.
    this.writer.pragma(`cache_size = ${READ_MODEL_CACHE_KIB}`);
    // No memory map here, unlike the event store: measured on credit-feature reads (a read model
    // that grows with every request), a 2 GiB map cost ~20% (1,109-1,378 vs 1,538-1,549 req/s).
    this.writer.defaultSafeIntegers(true);
    // ':memory:' databases are private to a connection: share the writer in that case (tests).
    this.reader = path === ':memory:' ? this.writer : new Database(path, { readonly: false });
    this.reader.pragma('busy_timeout = 5000');
    if (this.reader !== this.writer) this.reader.pragma(`cache_size = ${READ_MODEL_CACHE_KIB}`);
    this.reader.defaultSafeIntegers(true);
    this.checkpointer = options.checkpointer?.attach(this.writer, path) ?? null;
    this.writes = new StatementCache(this.writer);
    this.query = new StatementCache(this.reader);
    this.control = {
      begin: this.writer.prepare('BEGIN IMMEDIATE'),
      commit: this.writer.prepare('COMMIT'),
      rollback: this.writer.prepare('ROLLBACK'),
      savepoint: this.writer.prepare('SAVEPOINT read_model_tx'),
      release: this.writer.prepare('RELEASE read_model_tx'),
      rollbackTo: this.writer.prepare('ROLLBACK TO read_model_tx'),
    };
  }

  /** The writer connection, for projections that need better-sqlite3 directly (bulk work). */
  get database(): Database.Database {
    return this.writer;
  }

  /** Transactions run and commits made so far (their ratio is the mean group size). */
  get groupCommitStats(): { transactions: number; commits: number } {
    return { transactions: this.transactions, commits: this.commits };
  }

  transaction<T>(work: (tx: ReadModelQueries) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /**
   * Starts a drain on the next turn of the event loop, so transactions requested in this one
   * (every projection woken by the same append) share the commit. A transaction queued after the
   * drain's last look at the queue, before it finished, starts the next drain.
   */
  private schedule(): void {
    if (this.draining) return;
    this.draining = new Promise<void>((r) => setImmediate(r))
      .then(() => this.drain())
      .finally(() => {
        this.draining = null;
        if (this.pending.length > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending.splice(0, READ_MODEL_GROUP_COMMIT_MAX);
      const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
      const c = this.control;
      try {
        c.begin.run();
        for (let i = 0; i < group.length; i++) {
          const item = group[i] as PendingTransaction;
          // The group's first transaction runs without a savepoint: until it ends, the SQLite
          // transaction holds only its writes, so if it fails, rolling the whole one back (and
          // beginning another for the rest) undoes exactly them. Inside a savepoint, SQLite
          // copies every page before its first change to a statement journal (a temporary file
          // past 64 KiB): 5% of a credit-features rebuild, where each group is one batch.
          const first = i === 0;
          if (!first) c.savepoint.run();
          try {
            const value = await item.work(this.writes);
            if (!first) c.release.run();
            outcomes.push({ ok: true, value });
          } catch (error) {
            if (first) {
              if (this.writer.inTransaction) c.rollback.run();
              c.begin.run();
            } else if (this.writer.inTransaction) {
              c.rollbackTo.run();
              c.release.run();
            }
            outcomes.push({ ok: false, error });
          }
          // More transactions may have arrived while this one awaited: they join this commit.
          if (group.length < READ_MODEL_GROUP_COMMIT_MAX && this.pending.length > 0) group.push(...this.pending.splice(0, READ_MODEL_GROUP_COMMIT_MAX - group.length));
        }
        c.commit.run();
      } catch (error) {
        // BEGIN or COMMIT failed (or a work left the connection unusable): nothing of the group
        // is committed, so every caller hears the failure.
        if (this.writer.inTransaction) c.rollback.run();
        group.forEach((item, i) => {
          const outcome = outcomes[i];
          item.reject(outcome && !outcome.ok ? outcome.error : error);
        });
        continue;
      }
      this.commits++;
      this.transactions += group.length;
      group.forEach((item, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) item.resolve(outcome.value);
        else item.reject(outcome ? outcome.error : new Error('read-model transaction did not run'));
      });
    }
  }

  async exec(sql: string): Promise<void> {
    while (this.draining) await this.draining;
    this.writer.exec(sql);
  }

  async close(): Promise<void> {
    while (this.draining) await this.draining;
    await this.checkpointer?.remove(this.path);
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
