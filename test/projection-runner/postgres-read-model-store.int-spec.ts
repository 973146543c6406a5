import { PostgresReadModelStore } from '@attest/projection-runner';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/postgres';

describe('PostgreSQL read-model store', () => {
  let database: ThrowawayDatabase;
  let store: PostgresReadModelStore;
  beforeAll(async () => {
    database = await createThrowawayDatabase('readmodels');
  });
  afterAll(async () => {
    await database.drop();
  });
  beforeEach(async () => {
    store = new PostgresReadModelStore({ connectionString: database.url });
    await store.exec('DROP TABLE IF EXISTS t; CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL, big BIGINT NOT NULL, ratio DOUBLE PRECISION)');
  });
  afterEach(async () => {
    await store.close();
  });

  it('returns integers as bigint like the SQLite store, sums as bigint, fractions as exact strings', async () => {
    await store.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, n, big, ratio) VALUES (?, ?, ?, ?)', 'a', 7n, 9_007_199_254_740_993n, 0.5);
      await tx.run('INSERT INTO t (k, n, big, ratio) VALUES (?, ?, ?, ?)', 'b', 1, 1n, null);
    });
    expect(await store.query.get('SELECT n, big, ratio FROM t WHERE k = ?', 'a')).toEqual({ n: 7n, big: 9_007_199_254_740_993n, ratio: 0.5 });
    expect(await store.query.get('SELECT sum(big) AS s, count(*) AS c, avg(n) AS mean FROM t')).toEqual({ s: 9_007_199_254_740_994n, c: 2n, mean: '4.0000000000000000' });
  });

  it('queries see committed state only, and transactions never interleave', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: string[] = [];
    const first = store.transaction(async (tx) => {
      await tx.run('INSERT INTO t (k, n, big) VALUES (?, 1, 1)', 'x');
      order.push('first wrote');
      await gate;
      order.push('first done');
    });
    const second = store.transaction(async (tx) => {
      order.push('second started');
      await tx.run('UPDATE t SET n = n + 1 WHERE k = ?', 'x');
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.query.get('SELECT n FROM t WHERE k = ?', 'x')).toBeUndefined();
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first wrote', 'first done', 'second started']);
    expect(await store.query.get('SELECT n FROM t WHERE k = ?', 'x')).toEqual({ n: 2n });
  });

  it('rolls back a transaction whose work throws, and keeps serving afterwards', async () => {
    const error = await store
      .transaction(async (tx) => {
        await tx.run('INSERT INTO t (k, n, big) VALUES (?, 1, 1)', 'gone');
        throw new Error('boom');
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'boom' });
    expect(await store.query.all('SELECT k FROM t')).toEqual([]);
    await store.transaction((tx) => tx.run('INSERT INTO t (k, n, big) VALUES (?, 1, 1)', 'kept'));
    expect(await store.query.all('SELECT k FROM t')).toEqual([{ k: 'kept' }]);
  });
});
