/**
 * Where projections keep their read models. SQL is written in the subset SQLite and
 * PostgreSQL share (`?` placeholders, `INSERT … ON CONFLICT … DO UPDATE`), so one projection
 * runs on either; the PostgreSQL store rewrites placeholders. In `DO UPDATE SET`, qualify the
 * old row's columns with the table name (`SET n = counter.n + 1`): PostgreSQL refuses a bare
 * `n` there as ambiguous with `excluded.n`. Declare money and counters `BIGINT` (PostgreSQL's
 * `INTEGER` is 32-bit); both stores return integers as bigint.
 */
export type SqlValue = string | number | bigint | boolean | null | Buffer;

export interface ReadModelQueries {
  run(sql: string, ...params: SqlValue[]): Promise<void>;
  get<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T[]>;
}

export interface ReadModelStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction; transactions never interleave. */
  transaction<T>(work: (tx: ReadModelQueries) => Promise<T>): Promise<T>;
  /** Committed state only (never a transaction in flight). */
  readonly query: ReadModelQueries;
  /** Runs DDL statements (idempotent ones: CREATE … IF NOT EXISTS). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}
