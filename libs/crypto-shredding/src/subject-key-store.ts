import { evictOldestHalf } from '@attest/event-store';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { KEY_BYTES, KeyEncryptionKey, unwrapKey, wrapKey } from './key-encryption-keys';


/** What a key store knows about a subject's data key. */
export type DataKeyLookup = { state: 'active'; key: Buffer } | { state: 'erased'; erasedAt: string } | { state: 'none' };

/**
 * Per-subject data keys. Destroying a subject's key erases their personal data everywhere it
 * was encrypted — in the log, in backups of the log — while the ciphertext (and every Merkle
 * proof over it) stays. The key store must therefore NOT be backed up together with the log
 * beyond the retention the erasure promise allows (docs/adr/0010-crypto-shredding.md, docs/erasure.md).
 */
export interface SubjectKeyStore {
  /** The subject's key, created on first use. Throws SubjectKeyErased for an erased subject. */
  keyFor(subjectId: string): Promise<Buffer>;
  lookup(subjectId: string): Promise<DataKeyLookup>;
  /**
   * Destroys the key (keeps a tombstone, so the subject is known to be erased). Idempotent. When
   * it resolves, no user of the store — in any process sharing it — seals or opens with the key.
   */
  erase(subjectId: string, at: string): Promise<{ alreadyErased: boolean }>;
  /** Re-wraps every data key with the active KEK; returns how many were re-wrapped. */
  rewrap(): Promise<number>;
  close(): Promise<void>;
}

export class SubjectKeyErased extends Error {
  readonly code = 'SUBJECT_ERASED';
  constructor(readonly subjectId: string) {
    super(`subject ${subjectId} was erased; no new personal data can be recorded for them`);
    this.name = 'SubjectKeyErased';
  }
}

export const KEY_CACHE_ENTRIES_MAX = 100_000;

/**
 * Unwraps a stored data key with the KEK that wrapped it. A KEK id that is not configured, or
 * configured with other bytes (two processes with different ATTEST_KEKS), is a configuration
 * error: it is reported as such, never mistaken for an erasure.
 */
export const unwrapStoredKey = (keks: ReadonlyMap<string, KeyEncryptionKey>, subjectId: string, kekId: string, wrapped: Buffer): Buffer => {
  const kek = keks.get(kekId);
  if (!kek) throw new Error(`data key of ${subjectId} is wrapped by unknown KEK ${kekId}; configure it in ATTEST_KEKS`);
  try {
    return unwrapKey(kek, wrapped, subjectId);
  } catch (error) {
    throw new Error(
      `data key of ${subjectId} cannot be unwrapped with KEK ${kekId} (${String(error)}): other bytes under that KEK id (every process must run with the same ATTEST_KEKS), or a damaged key row`,
    );
  }
};

/**
 * Data keys in their own SQLite file (`<data dir>/keys/subject-keys.sqlite`), wrapped by the
 * active KEK: the embedded store's key store. Its cache is per process and never invalidated
 * from outside, so exactly one process may use the file; server deployments use
 * `PostgresSubjectKeyStore`.
 */
export class SqliteSubjectKeyStore implements SubjectKeyStore {
  private readonly db: Database.Database;
  private readonly cache = new Map<string, Buffer>();
  private readonly keks: Map<string, KeyEncryptionKey>;
  private readonly active: KeyEncryptionKey;
  private readonly creating = new Map<string, { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void }>();
  private flushScheduled = false;
  private readonly insertKey: Database.Statement;

  constructor(path: string, keks: KeyEncryptionKey[]) {
    const [active] = keks;
    if (!active) throw new Error('at least one key-encryption key is required');
    this.active = active;
    this.keks = new Map(keks.map((k) => [k.kid, k]));
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (
      subject_id TEXT PRIMARY KEY, kek_id TEXT, wrapped BLOB, created_at TEXT NOT NULL, erased_at TEXT)`);
    this.insertKey = this.db.prepare('INSERT OR IGNORE INTO subject_keys (subject_id, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?)');
  }

  private unwrap(row: { subject_id: string; kek_id: string; wrapped: Buffer }): Buffer {
    return unwrapStoredKey(this.keks, row.subject_id, row.kek_id, row.wrapped);
  }

  private remember(subjectId: string, key: Buffer) {
    if (this.cache.size >= KEY_CACHE_ENTRIES_MAX) evictOldestHalf(this.cache);
    this.cache.set(subjectId, key);
  }

  async lookup(subjectId: string): Promise<DataKeyLookup> {
    const cached = this.cache.get(subjectId);
    if (cached) return { state: 'active', key: cached };
    const row = this.db.prepare('SELECT subject_id, kek_id, wrapped, erased_at FROM subject_keys WHERE subject_id = ?').get(subjectId) as
      | { subject_id: string; kek_id: string | null; wrapped: Buffer | null; erased_at: string | null }
      | undefined;
    if (!row) return { state: 'none' };
    if (row.erased_at !== null || row.wrapped === null || row.kek_id === null) return { state: 'erased', erasedAt: row.erased_at ?? '' };
    const key = this.unwrap({ subject_id: row.subject_id, kek_id: row.kek_id, wrapped: row.wrapped });
    this.remember(subjectId, key);
    return { state: 'active', key };
  }

  async keyFor(subjectId: string): Promise<Buffer> {
    const found = await this.lookup(subjectId);
    if (found.state === 'active') return found.key;
    if (found.state === 'erased') throw new SubjectKeyErased(subjectId);
    await this.create(subjectId);
    const again = await this.lookup(subjectId);
    if (again.state === 'active') return again.key;
    throw new SubjectKeyErased(subjectId);
  }

  /**
   * New keys are written durably (synchronous=FULL) before any event sealed with them is
   * appended; keys created in the same event-loop turn share one transaction (group commit), so
   * a burst of first-time subjects costs one fsync, not one each.
   */
  private create(subjectId: string): Promise<void> {
    const pending = this.creating.get(subjectId);
    if (pending) return pending.promise;
    let resolve: () => void = () => undefined;
    let reject: (error: unknown) => void = () => undefined;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    this.creating.set(subjectId, { promise, resolve, reject });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushCreations());
    }
    return promise;
  }

  private flushCreations(): void {
    this.flushScheduled = false;
    const batch = [...this.creating.entries()];
    this.creating.clear();
    const now = new Date().toISOString();
    try {
      // INSERT OR IGNORE: two processes creating the same subject's key agree on the first one.
      this.db.transaction(() => {
        for (const [subjectId] of batch) this.insertKey.run(subjectId, this.active.kid, wrapKey(this.active, randomBytes(KEY_BYTES), subjectId), now);
      })();
    } catch (error) {
      for (const [, pending] of batch) pending.reject(error);
      return;
    }
    for (const [, pending] of batch) pending.resolve();
  }

  async erase(subjectId: string, at: string): Promise<{ alreadyErased: boolean }> {
    this.cache.delete(subjectId);
    const before = await this.lookup(subjectId);
    this.cache.delete(subjectId);
    if (before.state === 'erased') return { alreadyErased: true };
    this.db
      .prepare(
        `INSERT INTO subject_keys (subject_id, kek_id, wrapped, created_at, erased_at) VALUES (?, NULL, NULL, ?, ?)
         ON CONFLICT (subject_id) DO UPDATE SET kek_id = NULL, wrapped = NULL, erased_at = excluded.erased_at`,
      )
      .run(subjectId, at, at);
    // The old page may survive in the WAL or free pages: checkpoint and vacuum so the wrapped key
    // is gone from the file, not just unlinked from the table.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.exec('VACUUM');
    return { alreadyErased: false };
  }

  async rewrap(): Promise<number> {
    const rows = this.db.prepare('SELECT subject_id, kek_id, wrapped FROM subject_keys WHERE wrapped IS NOT NULL AND kek_id != ?').all(this.active.kid) as Array<{
      subject_id: string;
      kek_id: string;
      wrapped: Buffer;
    }>;
    const update = this.db.prepare('UPDATE subject_keys SET kek_id = ?, wrapped = ? WHERE subject_id = ?');
    this.db.transaction(() => {
      for (const row of rows) update.run(this.active.kid, wrapKey(this.active, this.unwrap(row), row.subject_id), row.subject_id);
    })();
    return rows.length;
  }

  /** For tests and audits: how many keys are wrapped by each KEK. */
  kekUsage(): Record<string, number> {
    const rows = this.db.prepare('SELECT kek_id, count(*) AS n FROM subject_keys WHERE wrapped IS NOT NULL GROUP BY kek_id').all() as Array<{ kek_id: string; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.kek_id, Number(r.n)]));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
