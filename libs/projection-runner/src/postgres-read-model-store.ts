import { Pool, PoolClient, TypeOverrides, types as pgTypes } from 'pg';
import { ReadModelQueries, ReadModelStore, SqlValue } from './read-model-store';

/**
 * Rewrites `?` placeholders (the SQLite/PostgreSQL common subset projections are written in)
 * to `$1…$n`. A `?` inside a string literal, a quoted identifier, a dollar-quoted body or a
 * comment is left alone. Throws if the statement uses `$n` itself: mixing both is a bug.
 */
export const toPostgresPlaceholders = (sql: string): string => {
  let out = '';
  let index = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const char = sql[i] as string;
    const next = sql[i + 1];
    if (char === "'" || char === '"') {
      // Quoted string or identifier; a doubled quote is an escaped quote. E'…' strings also
      // allow backslash escapes.
      const escapes = char === "'" && i > 0 && /[eE]/.test(sql[i - 1] ?? '') && !/[A-Za-z0-9_]/.test(sql[i - 2] ?? '');
      let j = i + 1;
      while (j < n) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === char && sql[j + 1] === char) j += 2;
        else if (sql[j] === char) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += sql.slice(i, stop);
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      out += sql.slice(i, stop);
      i = stop;
    } else if (char === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end === -1 ? n : end + tag[0].length;
        out += sql.slice(i, stop);
        i = stop;
      } else if (/^\$\d/.test(sql.slice(i))) {
        throw new Error('use ? placeholders, not $n, in read-model SQL');
      } else {
        out += char;
        i++;
      }
    } else if (char === '?') {
      out += `$${++index}`;
      i++;
    } else {
      out += char;
      i++;
    }
  }
  return out;
};

/**
 * Integers come back as bigint, as they do from the SQLite store (better-sqlite3 with safe
 * integers), so one projection behaves the same on both: int2/int4/int8 → bigint, and an
 * integral numeric (what `sum(bigint)` returns) → bigint. A fractional numeric stays the exact
 * decimal string — never a float.
 */
export const readModelTypes = (): TypeOverrides => {
  const overrides = new TypeOverrides();
  const integer = (value: string) => BigInt(value);
  overrides.setTypeParser(pgTypes.builtins.INT8, integer);
  overrides.setTypeParser(pgTypes.builtins.INT4, integer);
  overrides.setTypeParser(pgTypes.builtins.INT2, integer);
  overrides.setTypeParser(pgTypes.builtins.NUMERIC, (value: string) => (/^-?\d+$/.test(value) ? BigInt(value) : value));
  return overrides;
};

class PostgresQueries implements ReadModelQueries {
  private readonly rewritten = new Map<string, string>();
  constructor(private readonly target: Pool | PoolClient) {}

  private text(sql: string): string {
    let text = this.rewritten.get(sql);
    if (text === undefined) {
      text = toPostgresPlaceholders(sql);
      // Bounded: projections use a fixed set of statements; anything else is not cached.
      if (this.rewritten.size < 1_000) this.rewritten.set(sql, text);
    }
    return text;
  }

  async run(sql: string, ...params: SqlValue[]): Promise<void> {
    await this.target.query(this.text(sql), params);
  }
  async get<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T | undefined> {
    const result = await this.target.query(this.text(sql), params);
    return result.rows[0] as T | undefined;
  }
  async all<T = Record<string, unknown>>(sql: string, ...params: SqlValue[]): Promise<T[]> {
    const result = await this.target.query(this.text(sql), params);
    return result.rows as T[];
  }
}

export interface PostgresReadModelStoreOptions {
  connectionString: string;
  /** Connections for queries; projection transactions use one at a time. */
  poolSizeMax?: number;
}

/**
 * Read models (and projection checkpoints) in PostgreSQL — in PostgreSQL mode the same database
 * as the event log, in `public` while the log keeps its own schema (ADR 0005). Transactions run
 * one at a time, each on a connection of its own; `query` goes through the pool, so under READ
 * COMMITTED it only ever sees committed batches.
 */
export class PostgresReadModelStore implements ReadModelStore {
  readonly dialect = 'postgres' as const;
  readonly query: ReadModelQueries;
  private readonly pool: Pool;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(options: PostgresReadModelStoreOptions) {
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSizeMax ?? 8,
      types: readModelTypes(),
      application_name: 'attest-read-models',
    });
    // An idle client that dies must not crash the process: the pool replaces it.
    this.pool.on('error', () => undefined);
    this.query = new PostgresQueries(this.pool);
  }

  transaction<T>(work: (tx: ReadModelQueries) => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(new PostgresQueries(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          // The connection itself failed: destroy it rather than return it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        client.release(broken);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async exec(sql: string): Promise<void> {
    await this.chain;
    // No parameters: the simple protocol, which accepts several statements at once.
    await this.pool.query(sql);
  }

  async close(): Promise<void> {
    await this.chain;
    await this.pool.end();
  }
}
