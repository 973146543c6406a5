import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, PostgresEventStore, RecordedEvent, SqliteEventStore } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';
import { PostgresReadModelStore, Projection, ProjectionLagging, ProjectionRunner, ReadModelStore, SqliteReadModelStore } from '@attest/projection-runner';
import { createThrowawayDatabase, ThrowawayDatabase } from '../support/postgres';

const actor = 'system:test';

/** Sums TestCounted.by per stream; deliberately not idempotent on its own, so double delivery would show. */
const totals = (version = 1): Projection => ({
  name: 'totals',
  version,
  handles: ['TestCounted'],
  schema: ['CREATE TABLE IF NOT EXISTS totals (stream_id TEXT PRIMARY KEY, total INTEGER NOT NULL, events INTEGER NOT NULL)'],
  tables: ['totals'],
  async apply(event: RecordedEvent, tx) {
    const by = (event.data as { by: bigint }).by;
    await tx.run(
      `INSERT INTO totals (stream_id, total, events) VALUES (?, ?, 1)
       ON CONFLICT (stream_id) DO UPDATE SET total = totals.total + excluded.total, events = totals.events + 1`,
      event.streamId,
      by,
    );
  },
});

/**
 * Where a run keeps its events and read models. `open` may be called again after both were
 * closed (a restart): it must reopen the same data.
 */
interface Harness {
  setUp(): Promise<void>;
  open(): Promise<{ store: EventStore; readModels: ReadModelStore }>;
  tearDown(): Promise<void>;
}

const sqlite = (): Harness => {
  let dir = '';
  return {
    setUp: async () => {
      dir = mkdtempSync(join(tmpdir(), 'attest-runner-'));
    },
    open: async () => ({
      store: new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite'), pollIntervalMs: 20 }), testRegistry()),
      readModels: new SqliteReadModelStore(join(dir, 'read-models.sqlite')),
    }),
    tearDown: async () => rmSync(dir, { recursive: true, force: true }),
  };
};

// PostgreSQL mode as deployed: log and read models (with checkpoints) in one database.
const postgres = (): Harness => {
  let database: ThrowawayDatabase | null = null;
  const url = () => {
    if (!database) throw new Error('setUp first');
    return database.url;
  };
  return {
    setUp: async () => {
      database = await createThrowawayDatabase('runner');
    },
    open: async () => ({
      store: new EventStore(await PostgresEventStore.open({ connectionString: url(), pollIntervalMs: 20 }), testRegistry()),
      readModels: new PostgresReadModelStore({ connectionString: url() }),
    }),
    tearDown: async () => {
      await database?.drop();
      database = null;
    },
  };
};

describe.each([
  ['SQLite read models, SQLite log', sqlite()],
  ['PostgreSQL read models, PostgreSQL log', postgres()],
])('projection runner (%s)', (_label, harness) => {
  let store: EventStore;
  let readModels: ReadModelStore;
  const open = async () => {
    ({ store, readModels } = await harness.open());
  };
  const total = async (streamId: string) =>
    readModels.query.get<{ total: bigint; events: bigint }>('SELECT total, events FROM totals WHERE stream_id = ?', streamId);

  beforeEach(async () => {
    await harness.setUp();
    await open();
  });
  afterEach(async () => {
    await store.close();
    await readModels.close();
    await harness.tearDown();
  });

  it('catches up, goes live, and lets a writer wait until its own write is projected', async () => {
    await store.append('a', [counted(2n), counted(3n)], { expectedRevision: 'noStream', actor });
    const runner = new ProjectionRunner(store, readModels).register(totals());
    await runner.start();
    const written = await store.append('a', [counted(10n)], { expectedRevision: 1n, actor });
    await runner.waitFor('totals', written.lastPosition);
    expect(await total('a')).toEqual({ total: 15n, events: 3n });
    await runner.stop();
  });

  it('resumes from its checkpoint after a restart without applying any event twice', async () => {
    const runner = new ProjectionRunner(store, readModels).register(totals());
    await runner.start();
    const first = await store.append('b', [counted(1n), counted(1n)], { expectedRevision: 'any', actor });
    await runner.waitFor('totals', first.lastPosition);
    await runner.stop();
    await store.close();
    await readModels.close();

    await open();
    await store.append('b', [counted(5n)], { expectedRevision: 'any', actor });
    const again = new ProjectionRunner(store, readModels).register(totals());
    await again.start();
    await again.waitFor('totals', await store.headPosition());
    expect(await total('b')).toEqual({ total: 7n, events: 3n });
    await again.stop();
  });

  it('rebuilds from position 0 when the version changes, reaching the same state', async () => {
    const runner = new ProjectionRunner(store, readModels).register(totals(1));
    await runner.start();
    for (let i = 0; i < 30; i++) await store.append(`s${i % 3}`, [counted(BigInt(i))], { expectedRevision: 'any', actor });
    await runner.waitFor('totals', await store.headPosition());
    const before = await readModels.query.all('SELECT * FROM totals ORDER BY stream_id');
    await runner.stop();

    const bumped = new ProjectionRunner(store, readModels).register(totals(2));
    await bumped.start();
    await bumped.waitFor('totals', await store.headPosition());
    expect(await readModels.query.all('SELECT * FROM totals ORDER BY stream_id')).toEqual(before);
    expect(bumped.status()[0]).toMatchObject({ version: 2, state: 'running' });

    await bumped.rebuild('totals');
    await bumped.waitFor('totals', await store.headPosition());
    expect(await readModels.query.all('SELECT * FROM totals ORDER BY stream_id')).toEqual(before);
    await bumped.stop();
  });

  it('answers a reader waiting for an event the projection ignores without waiting for the commit of the batch that carries it; a handled one, and a wait for the checkpoint, still wait', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated: Projection = {
      ...totals(),
      async apply(event, tx) {
        if ((event.data as { by: bigint }).by === 99n) await gate;
        await totals().apply(event, tx);
      },
    };
    const runner = new ProjectionRunner(store, readModels).register(gated);
    await runner.start();
    await runner.waitFor('totals', (await store.append('d', [counted(1n)], { expectedRevision: 'any', actor })).lastPosition);
    // One append, so one batch: an event the projection ignores, then one it handles (held at the gate).
    const written = await store.append('d', [{ type: 'TestRenamed', data: { name: 'n' }, pii: { displayName: 'N' } }, counted(99n)], { expectedRevision: 'any', actor });
    const ignored = written.lastPosition - 1n;
    const settled = (promise: Promise<void>) => Promise.race([promise.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('pending'), 300))]);
    const handledWait = runner.waitUntilReadable('totals', written.lastPosition);
    const checkpointWait = runner.waitFor('totals', ignored);
    try {
      expect(await settled(runner.waitUntilReadable('totals', ignored))).toBe('resolved');
      // A wait for the checkpoint itself still waits for the commit.
      expect(await settled(checkpointWait)).toBe('pending');
      // What that reader reads is the committed read model, which the ignored event does not change.
      expect(await total('d')).toEqual({ total: 1n, events: 1n });
      expect(await settled(handledWait)).toBe('pending');
      expect(runner.status()[0]?.position).toBeLessThan(ignored);
    } finally {
      // Even when an expectation failed: a held batch would keep the runner from stopping.
      release();
    }
    await handledWait;
    await checkpointWait;
    expect(await total('d')).toEqual({ total: 100n, events: 2n });
    expect(runner.status()[0]?.position).toBe(written.lastPosition);
    await runner.stop();
  });

  it('gives up waiting after the bound with ProjectionLagging', async () => {
    const runner = new ProjectionRunner(store, readModels).register(totals());
    await runner.start();
    await expect(runner.waitFor('totals', 1_000_000n, 50)).rejects.toBeInstanceOf(ProjectionLagging);
    await runner.stop();
  });

  it('marks a projection failed when its handler throws, and does not move its checkpoint', async () => {
    const broken: Projection = { ...totals(), name: 'broken', apply: async () => { throw new Error('boom'); } };
    const runner = new ProjectionRunner(store, readModels).register(broken);
    await runner.start();
    await store.append('c', [counted(1n)], { expectedRevision: 'any', actor });
    const deadline = Date.now() + 5_000;
    while (runner.status()[0]?.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(runner.status()[0]).toMatchObject({ state: 'failed', error: 'boom', position: 0n });
    await runner.stop();
  });
});
