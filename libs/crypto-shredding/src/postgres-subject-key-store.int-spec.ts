import { Client } from 'pg';
import { createThrowawayDatabase, ThrowawayDatabase } from '../../../test/support/postgres';
import { startTcpProxy, TcpProxy } from '../../../test/support/tcp-proxy';
import { generateKek, KeyEncryptionKey, parseKeks } from './key-encryption-keys';
import { AesGcmPiiProtector } from './pii-protector';
import { KEY_TABLE_PARTITIONS, PostgresSubjectKeyStore, PostgresSubjectKeyStoreOptions } from './postgres-subject-key-store';
import { SubjectKeyErased } from './subject-key-store';
import { subjectKeyStoreContract } from './testing/subject-key-store.contract';

// Each erase waits out a cache lease (up to 1 s here), and the server is shared with other work.
jest.setTimeout(30_000);

// One throwaway database per run of this file; one fresh schema (an empty key store) per test.
let database: ThrowawayDatabase;
let admin: Client;
let counter = 0;
let schema = '';
beforeAll(async () => {
  database = await createThrowawayDatabase('keys');
  admin = new Client({ connectionString: database.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await database?.drop();
});

const waitFor = async (predicate: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

subjectKeyStoreContract('postgres (hash-partitioned table, LISTEN/NOTIFY, cache lease)', {
  reset: async () => {
    schema = `keys_${counter++}`;
  },
  // A short lease keeps each erase quick; the lease itself is tested below.
  open: (keks) => PostgresSubjectKeyStore.open({ connectionString: database.url, keks, schema, cacheLeaseMs: 200 }),
  kekUsage: (store) => (store as PostgresSubjectKeyStore).kekUsage(),
  storedWrappedKey: async (subjectId) => {
    const { rows } = await admin.query<{ wrapped: Buffer | null }>(`SELECT wrapped FROM "${schema}".subject_keys WHERE subject_id = $1`, [subjectId]);
    return rows[0]?.wrapped ?? null;
  },
  // The files of every partition (and their TOAST tables) after a CHECKPOINT has written every
  // dirty page: the bytes a copy of the data directory would hold. The WAL is not searched (see
  // docs/erasure.md, Limits).
  persistedBytes: async () => {
    await admin.query('CHECKPOINT');
    const { rows } = await admin.query<{ path: string }>(
      `SELECT pg_relation_filepath(c.oid) AS path FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass
       UNION ALL
       SELECT pg_relation_filepath(c.reltoastrelid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass AND c.reltoastrelid <> 0`,
      [`"${schema}".subject_keys`],
    );
    expect(rows.length).toBeGreaterThanOrEqual(KEY_TABLE_PARTITIONS);
    const files: Buffer[] = [];
    for (const { path } of rows) {
      const file = await admin.query<{ bytes: Buffer | null }>('SELECT pg_read_binary_file($1, 0, 67108864, true) AS bytes', [path]);
      files.push(file.rows[0]?.bytes ?? Buffer.alloc(0));
    }
    return Buffer.concat(files);
  },
});

describe('postgres subject key store: several processes on one database', () => {
  let keks: KeyEncryptionKey[];
  const opened: PostgresSubjectKeyStore[] = [];
  /** Each store has its own pool and LISTEN connection: it stands for another process. */
  const open = async (options: Partial<PostgresSubjectKeyStoreOptions> = {}) => {
    const store = await PostgresSubjectKeyStore.open({ connectionString: database.url, keks, schema, onWarning: () => undefined, ...options });
    opened.push(store);
    return store;
  };
  const request = (owner: string, eventId: string) => ({ owner, eventId, streamId: `person-${owner}`, type: 'TestRenamed', pii: { displayName: `${owner} (${eventId})` } });
  const stored = (request: { eventId: string; streamId: string; type: string }, pii: Record<string, unknown>) => ({ ...request, pii: pii as never });
  /** LISTEN connections whose last statement is a heartbeat (sent only once they listen). */
  const heartbeatingListeners = async () =>
    Number(
      (
        await admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'attest-key-store-listen' AND query LIKE 'SELECT pg_notify(%'`,
        )
      ).rows[0]?.n,
    );
  const listeners = async () =>
    Number(
      (await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'attest-key-store-listen'`)).rows[0]
        ?.n,
    );

  beforeEach(() => {
    schema = `multi_${counter++}`;
    keks = parseKeks(generateKek('kek-1'));
  });
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  it('what one process seals the other opens; once one erases, the other refuses to seal or open the moment erase returns', async () => {
    const a = await open();
    const b = await open();
    const sealer = { a: new AesGcmPiiProtector(a), b: new AesGcmPiiProtector(b) };
    const first = request('alice', 'e1');
    const sealedByA = stored(first, await sealer.a.seal(first));
    expect(await sealer.b.reveal(sealedByA)).toEqual({ displayName: 'alice (e1)' });
    const second = request('alice', 'e2');
    const sealedByB = stored(second, await sealer.b.seal(second));
    expect(await sealer.a.reveal(sealedByB)).toEqual({ displayName: 'alice (e2)' });
    // Both processes now hold alice's key in memory.
    expect(await b.lookup('alice')).toMatchObject({ state: 'active' });

    const at = '2026-11-21T10:00:00.000Z';
    expect(await a.erase('alice', at)).toEqual({ alreadyErased: false });
    // No waiting: when erase has returned, no process may use the key.
    await expect(b.keyFor('alice')).rejects.toBeInstanceOf(SubjectKeyErased);
    await expect(sealer.b.seal(request('alice', 'e3'))).rejects.toBeInstanceOf(SubjectKeyErased);
    expect(await sealer.b.reveal(sealedByA)).toEqual({ erased: true, owner: 'alice' });
    expect(await sealer.b.reveal(sealedByB)).toEqual({ erased: true, owner: 'alice' });
    expect(await b.lookup('alice')).toEqual({ state: 'erased', erasedAt: at });
    expect(await b.erase('alice', at)).toEqual({ alreadyErased: true });

    // And the other way round.
    const bob = request('bob', 'e4');
    const bobSealed = stored(bob, await sealer.a.seal(bob));
    expect(await sealer.b.reveal(bobSealed)).toEqual({ displayName: 'bob (e4)' });
    await b.erase('bob', at);
    await expect(sealer.a.seal(request('bob', 'e5'))).rejects.toBeInstanceOf(SubjectKeyErased);
    expect(await sealer.a.reveal(bobSealed)).toEqual({ erased: true, owner: 'bob' });
  });

  it('an erasure reaches a key cached in another process by NOTIFY, long before that process’s lease would run out', async () => {
    const a = await open({ cacheLeaseMs: 10 });
    const b = await open({ cacheLeaseMs: 60_000 });
    await b.keyFor('alice');
    // Take the row away behind every store's back (no NOTIFY): b still answers from memory, so
    // from here on only a notification can change b's mind.
    await admin.query(`DELETE FROM "${schema}".subject_keys WHERE subject_id = 'alice'`);
    await waitFor(async () => (await b.lookup('alice')).state === 'active');
    await a.erase('alice', '2026-11-21T10:00:00.000Z');
    const erasedAt = performance.now();
    await waitFor(async () => (await b.lookup('alice')).state === 'erased', 2_000);
    expect(performance.now() - erasedAt).toBeLessThan(2_000);
    await expect(b.keyFor('alice')).rejects.toBeInstanceOf(SubjectKeyErased);
  });

  describe('when no notification can reach a process', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = await startTcpProxy(database.url);
    });
    afterEach(async () => {
      proxy.thaw();
      for (const store of opened.splice(0)) await store.close();
      await proxy.close();
    });

    it('a silent LISTEN connection (partition, half-open TCP) cannot keep a key alive: the cache lease runs out and the database says erased', async () => {
      const a = await open({ cacheLeaseMs: 300 });
      const b = await open({ cacheLeaseMs: 300, connectionString: proxy.through(database.url) });
      const sealerB = new AesGcmPiiProtector(b);
      const first = request('alice', 'e1');
      const sealed = stored(first, await sealerB.seal(first));
      expect(await b.lookup('alice')).toMatchObject({ state: 'active' });
      // b's LISTEN connection goes silent without closing: no notification, no heartbeat reply.
      expect(proxy.freeze('attest-key-store-listen')).toBe(1);
      await a.erase('alice', '2026-11-21T10:00:00.000Z');
      await expect(b.keyFor('alice')).rejects.toBeInstanceOf(SubjectKeyErased);
      await expect(sealerB.seal(request('alice', 'e2'))).rejects.toBeInstanceOf(SubjectKeyErased);
      expect(await sealerB.reveal(sealed)).toEqual({ erased: true, owner: 'alice' });
      // Other subjects still work (from the database) while the connection is silent.
      expect(await b.keyFor('bob')).toEqual(await a.keyFor('bob'));
    });

    it('a dropped LISTEN connection is re-opened; meanwhile nothing is served from the cache, afterwards notifications arrive again', async () => {
      const a = await open({ cacheLeaseMs: 10 });
      const warnings: string[] = [];
      const b = await open({ cacheLeaseMs: 60_000, onWarning: (message) => warnings.push(message) });
      await b.keyFor('alice');
      expect(await listeners()).toBe(2);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'attest-key-store-listen'`);
      await waitFor(async () => warnings.some((w) => /LISTEN connection lost/.test(w)));
      // b's lease went with its connection, however long it was: b asks the database.
      await a.erase('alice', '2026-11-21T10:00:00.000Z');
      await expect(b.keyFor('alice')).rejects.toBeInstanceOf(SubjectKeyErased);

      // Both LISTEN connections have sent a heartbeat: b's new one has listened and emptied b's
      // cache (which it does once, as it starts listening), so the key read next stays cached.
      // Counting connections alone let that emptying land after the read (a flaky wait below).
      await waitFor(async () => (await heartbeatingListeners()) === 2);
      await b.keyFor('bob');
      await admin.query(`DELETE FROM "${schema}".subject_keys WHERE subject_id = 'bob'`);
      // Served from b's memory again once its new connection has answered a heartbeat…
      await waitFor(async () => (await b.lookup('bob')).state === 'active');
      // …and the new connection delivers erasures.
      await a.erase('bob', '2026-11-21T10:00:00.000Z');
      await waitFor(async () => (await b.lookup('bob')).state === 'erased', 2_000);
    });
  });

  it('an erasure racing another process’s first use of the subject leaves no usable key anywhere', async () => {
    const a = await open({ cacheLeaseMs: 100 });
    const b = await open({ cacheLeaseMs: 100 });
    const subjects = Array.from({ length: 10 }, (_, i) => `race-${i}`);
    await Promise.all(subjects.flatMap((s) => [a.erase(s, '2026-11-21T10:00:00.000Z'), b.keyFor(s).catch((error: unknown) => error)]));
    for (const s of subjects) {
      await expect(a.keyFor(s)).rejects.toBeInstanceOf(SubjectKeyErased);
      await expect(b.keyFor(s)).rejects.toBeInstanceOf(SubjectKeyErased);
    }
    expect(await a.kekUsage()).toEqual({});
  });

  it('rotation pages through many keys, 1,000 per transaction, and re-wraps each exactly once', async () => {
    const before = await open();
    const subjects = Array.from({ length: 2_500 }, (_, i) => `many-${i}`);
    const keys = await Promise.all(subjects.map((s) => before.keyFor(s)));
    const kek2 = parseKeks(generateKek('kek-2'));
    const rotating = await open({ keks: [...kek2, ...keks] });
    expect(await rotating.rewrap()).toBe(subjects.length);
    expect(await rotating.kekUsage()).toEqual({ 'kek-2': subjects.length });
    const rotated = await open({ keks: kek2 });
    expect(await Promise.all(subjects.map((s) => rotated.keyFor(s)))).toEqual(keys);
  });

  it('migrations are versioned, concurrent start-ups agree, and the key column is never TOASTed', async () => {
    await Promise.all([open(), open(), open()]);
    const migrations = await admin.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`);
    expect(migrations.rows).toEqual([{ version: 1, name: 'subject keys' }]);
    const storage = await admin.query<{ relname: string; attstorage: string }>(
      `SELECT c.relname, a.attstorage FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
       WHERE n.nspname = $1 AND c.relname LIKE 'subject_keys%' AND c.relkind IN ('r', 'p') AND a.attname = 'wrapped'`,
      [schema],
    );
    expect(storage.rows).toHaveLength(KEY_TABLE_PARTITIONS + 1);
    expect(new Set(storage.rows.map((r) => r.attstorage))).toEqual(new Set(['p']));
  });
});
