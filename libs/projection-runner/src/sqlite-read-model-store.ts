import Database, { Statement } from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

/**
 * Read models in their own SQLite file (`data/read-models.sqlite`), separate from the event
 * log. A writer connection serves projection transactions one at a time; a second, read-only
 * connection serves queries, so a query never sees a projection batch half applied (WAL gives
 * it the last committed snapshot). Integers come back as bigint.
 */
export class SqliteReadModelStore implements ReadModelStore {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly writes: StatementCache;
  readonly query: ReadModelQueries;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(path: string, options: { synchronous?: 'FULL' | 'NORMAL' } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.writer = new Database(path);
    this.writer.pragma('journal_mode = WAL');
    // A read model can always be rebuilt from the log, so NORMAL is safe; FULL is available.
    this.writer.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.writer.pragma('busy_timeout = 5000');
    this.writer.defaultSafeIntegers(true);
    // ':memory:' databases are private to a connection: share the writer in that case (tests).
    this.reader = path === ':memory:' ? this.writer : new Database(path, { readonly: false });
    this.reader.pragma('busy_timeout = 5000');
    this.reader.defaultSafeIntegers(true);
    this.writes = new StatementCache(this.writer);
    this.query = new StatementCache(this.reader);
  }

  /** The writer connection, for projections that need better-sqlite3 directly (bulk work). */
  get database(): Database.Database {
    return this.writer;
  }

  transaction<T>(work: (tx: ReadModelQueries) => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      this.writer.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.writes);
        this.writer.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.writer.inTransaction) this.writer.exec('ROLLBACK');
        throw error;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async exec(sql: string): Promise<void> {
    await this.chain;
    this.writer.exec(sql);
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.reader !== this.writer) this.reader.close();
    this.writer.close();
  }
}
