import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteSubjectKeyStore } from './subject-key-store';
import { subjectKeyStoreContract } from './testing/subject-key-store.contract';

let directory = '';
const keysDir = () => join(directory, 'keys');
const keysPath = () => join(keysDir(), 'subject-keys.sqlite');
afterAll(() => rmSync(directory, { recursive: true, force: true }));

// A real file (WAL, synchronous=FULL), as the embedded deployment runs it.
subjectKeyStoreContract('sqlite (file, WAL)', {
  reset: async () => {
    if (directory) rmSync(directory, { recursive: true, force: true });
    directory = mkdtempSync(join(tmpdir(), 'attest-keys-'));
  },
  open: async (keks) => new SqliteSubjectKeyStore(keysPath(), keks),
  kekUsage: async (store) => (store as SqliteSubjectKeyStore).kekUsage(),
  storedWrappedKey: async (subjectId) => {
    const db = new Database(keysPath(), { readonly: true });
    try {
      const row = db.prepare('SELECT wrapped FROM subject_keys WHERE subject_id = ?').get(subjectId) as { wrapped: Buffer | null } | undefined;
      return row?.wrapped ?? null;
    } finally {
      db.close();
    }
  },
  // The database, its WAL and shared-memory file: everything SQLite wrote.
  persistedBytes: async () => Buffer.concat(readdirSync(keysDir()).map((name) => readFileSync(join(keysDir(), name)))),
});
