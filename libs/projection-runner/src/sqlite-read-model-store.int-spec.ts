import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHECKPOINTED_ELSEWHERE } from '@attest/event-store';
import { SqliteReadModelStore } from './sqlite-read-model-store';

describe('SqliteReadModelStore group commit', () => {
  let dir: string;
  let store: SqliteReadModelStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attest-read-models-'));
    store = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    await store.exec('CREATE TABLE counter (name TEXT PRIMARY KEY, n BIGINT NOT NULL)');
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bump = (name: string) => store.transaction((tx) => tx.run('INSERT INTO counter (name, n) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET n = counter.n + 1', name));
  const value = async (name: string) => (await store.query.get<{ n: bigint }>('SELECT n FROM counter WHERE name = ?', name))?.n;

  it('commits transactions requested in the same turn together, every one applied', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => bump(`p${i % 4}`)));
    for (let i = 0; i < 4; i++) expect(await value(`p${i}`)).toBe(5n);
    const { transactions, commits } = store.groupCommitStats;
    expect(transactions).toBe(20);
    expect(commits).toBe(1);
  });

  it('a failing transaction rolls back only its own writes and rejects only its caller', async () => {
    const failing = store.transaction(async (tx) => {
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'doomed', 1);
      throw new Error('projection bug');
    });
    const results = await Promise.allSettled([bump('a'), failing, bump('b')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('projection bug'));
    expect(await value('a')).toBe(1n);
    expect(await value('b')).toBe(1n);
    expect(await value('doomed')).toBeUndefined();
    expect(store.groupCommitStats.commits).toBe(1);
  });

  it('a statement error inside one transaction leaves the others of its group committed', async () => {
    const bad = store.transaction((tx) => tx.run('INSERT INTO no_such_table VALUES (1)'));
    const results = await Promise.allSettled([bump('x'), bad, bump('x')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await value('x')).toBe(2n);
  });

  // The first transaction of a group runs without a savepoint (drain): its failure must still undo
  // exactly its own writes, and the rest of the group must still commit.
  it('a failing first transaction of a group rolls back only its own writes; the ones after it commit', async () => {
    const failing = store.transaction(async (tx) => {
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'doomed', 1);
      throw new Error('projection bug');
    });
    const bad = store.transaction((tx) => tx.run('INSERT INTO no_such_table VALUES (1)'));
    const results = await Promise.allSettled([failing, bump('a'), bad, bump('a')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('projection bug'));
    expect(await value('doomed')).toBeUndefined();
    expect(await value('a')).toBe(2n);
    expect(store.groupCommitStats.commits).toBe(1);
  });

  it('a failing transaction alone in its group writes nothing, and the next group commits', async () => {
    const failing = store.transaction(async (tx) => {
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'doomed', 1);
      throw new Error('projection bug');
    });
    await expect(failing).rejects.toThrow('projection bug');
    // Matched by message, not with toThrow: better-sqlite3's native addon keeps the SqliteError
    // class of the first test file that loaded it in this jest worker, whose Error is another realm's.
    await expect(store.transaction((tx) => tx.run('INSERT INTO no_such_table VALUES (1)'))).rejects.toMatchObject({ message: expect.stringMatching(/no such table/) });
    await bump('after');
    expect(await value('doomed')).toBeUndefined();
    expect(await value('after')).toBe(1n);
  });

  it('a failing first transaction that a later one joined while it ran leaves the later one committed', async () => {
    const first = store.transaction(async (tx) => {
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'first', 1);
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('late failure');
    });
    await new Promise((r) => setTimeout(r, 5));
    const second = store.transaction(async (tx) => {
      // Runs after the first failed: its writes are already gone.
      const row = await tx.get<{ n: bigint }>('SELECT n FROM counter WHERE name = ?', 'first');
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'second', row?.n ?? 0n);
    });
    const results = await Promise.allSettled([first, second]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(await value('first')).toBeUndefined();
    expect(await value('second')).toBe(0n);
    expect(store.groupCommitStats.commits).toBe(1);
  });

  it('runs a transaction requested just as the previous drain finishes (none is stranded)', async () => {
    await bump('a').then(() => bump('b'));
    await bump('c').then(() => Promise.all([bump('d'), bump('d')]));
    expect([await value('a'), await value('b'), await value('c'), await value('d')]).toEqual([1n, 1n, 1n, 2n]);
  });

  it('resolves a caller only once its writes are committed (visible to the query connection)', async () => {
    const seen: Array<bigint | undefined> = [];
    await Promise.all([bump('c').then(async () => seen.push(await value('c'))), bump('c').then(async () => seen.push(await value('c')))]);
    expect(seen).toEqual([2n, 2n]);
  });

  it('a transaction arriving while a group runs joins it after the earlier ones and sees their writes', async () => {
    const order: string[] = [];
    const first = store.transaction(async (tx) => {
      order.push('first');
      await new Promise((r) => setTimeout(r, 20));
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'first', 1);
    });
    await new Promise((r) => setTimeout(r, 5));
    const second = store.transaction(async (tx) => {
      order.push('second');
      const row = await tx.get<{ n: bigint }>('SELECT n FROM counter WHERE name = ?', 'first');
      await tx.run('INSERT INTO counter (name, n) VALUES (?, ?)', 'second', row?.n ?? 0n);
    });
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
    expect(await value('second')).toBe(1n);
  });
});

describe('SqliteReadModelStore WAL checkpoints', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'attest-read-models-wal-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes ~1,600 pages (6.4 MB) in 32 commits and returns the WAL file's size. */
  const walBytesAfterWrites = async (options: ConstructorParameters<typeof SqliteReadModelStore>[1], name: string): Promise<number> => {
    const path = join(dir, `${name}.sqlite`);
    const store = new SqliteReadModelStore(path, options);
    try {
      await store.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
      for (let i = 0; i < 32; i++) await store.transaction((tx) => tx.run('INSERT INTO blobs (body) VALUES (?)', randomBytes(200_000)));
      return statSync(`${path}-wal`).size;
    } finally {
      await store.close();
    }
  };

  it('a store whose file another thread checkpoints (the projection worker) never checkpoints inside its own commits', async () => {
    const own = await walBytesAfterWrites({}, 'own');
    const elsewhere = await walBytesAfterWrites({ checkpointer: CHECKPOINTED_ELSEWHERE }, 'elsewhere');
    // SQLite's default: a commit past 1,000 WAL pages copies them into the file and the WAL restarts from its beginning.
    expect(own).toBeLessThan(1_100 * 4_096 + 200_000);
    // Left to the other thread: every page written is still in the WAL.
    expect(elsewhere).toBeGreaterThan(32 * 200_000);
  });
});
