import type { Database } from 'better-sqlite3';

/**
 * Versioned schema migrations, in code. Each runs once, in order, inside a transaction, and is
 * recorded in `schema_migrations`. Never edit a migration that has shipped: add the next one.
 */
export interface Migration {
  version: number;
  name: string;
  up: string;
}

export const EVENT_STORE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'events',
    up: `
      CREATE TABLE events (
        position        INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id        TEXT    NOT NULL UNIQUE,
        stream_id       TEXT    NOT NULL,
        stream_revision INTEGER NOT NULL,
        type            TEXT    NOT NULL,
        schema_version  INTEGER NOT NULL,
        data            TEXT    NOT NULL,
        pii             TEXT,
        recorded_at     TEXT    NOT NULL,
        correlation_id  TEXT    NOT NULL,
        causation_id    TEXT,
        actor           TEXT    NOT NULL,
        UNIQUE (stream_id, stream_revision)
      );
    `,
  },
];

export const applyMigrations = (db: Database, migrations: readonly Migration[], table = 'schema_migrations'): number[] => {
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(
    db
      .prepare(`SELECT version FROM ${table}`)
      .pluck()
      .all()
      .map((v) => Number(v)),
  );
  const ran: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.up);
      db.prepare(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`).run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    })();
    ran.push(migration.version);
  }
  return ran;
};
