import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore, StoreUnavailable, StoredEvent } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';

/**
 * `synchronous: 'FULL'` on the embedded store fsyncs the WAL off the event loop. What a user
 * relies on: an append is acknowledged only once its fsync returned, and nothing downstream
 * (readAll, head, live subscribers — hence projections and answers) sees an event before that.
 * The fsync is injected here so the test decides when it "returns".
 */
describe('sqlite store: durable commits with the fsync off the event loop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-durability-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const controllableFsync = () => {
    const waiting: Array<(error: NodeJS.ErrnoException | null) => void> = [];
    return {
      fsync: (_fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void waiting.push(callback),
      waiting,
      complete: (error: NodeJS.ErrnoException | null = null) => waiting.splice(0).forEach((callback) => callback(error)),
    };
  };
  const settled = async (promise: Promise<unknown>) => {
    let done = false;
    void promise.then(
      () => (done = true),
      () => (done = true),
    );
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    return done;
  };
  const readAll = async (store: SqliteEventStore) => {
    const events: StoredEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    return events;
  };

  it('acknowledges and shows an append only after its fsync returned', async () => {
    const sync = controllableFsync();
    const adapter = new SqliteEventStore({ path: join(dir, 'ack.sqlite'), synchronous: 'FULL', fsync: sync.fsync, pollIntervalMs: 10 });
    const store = new EventStore(adapter, testRegistry());
    const warmUp = store.append('warm-up', [counted(1n)], { expectedRevision: 'noStream', actor: 'system:test' });
    await settled(warmUp);
    sync.complete();
    await warmUp;
    const seen: bigint[] = [];
    const subscription = store.subscribeToAll({ afterPosition: 0n }, async (batch) => {
      seen.push(...batch.map((e) => e.globalPosition));
    });

    const append = store.append('s', [counted(2n), counted(3n)], { expectedRevision: 'noStream', actor: 'system:test' });
    expect(await settled(append)).toBe(false);
    expect(sync.waiting).toHaveLength(1);
    // Committed to the WAL, not yet synced: invisible to every reader of $all.
    expect(await adapter.headPosition()).toBe(1n);
    expect((await readAll(adapter)).map((e) => e.globalPosition)).toEqual([1n]);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([1n]);

    sync.complete();
    const result = await append;
    expect(result.streams[0]?.positions).toEqual([2n, 3n]);
    expect(await adapter.headPosition()).toBe(3n);
    expect((await readAll(adapter)).map((e) => e.globalPosition)).toEqual([1n, 2n, 3n]);
    const deadline = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual([1n, 2n, 3n]);
    await subscription.stop();
    await store.close();
  });

  it('groups committed while an fsync runs share the next one, and are acknowledged in order', async () => {
    const sync = controllableFsync();
    const adapter = new SqliteEventStore({ path: join(dir, 'pipeline.sqlite'), synchronous: 'FULL', fsync: sync.fsync });
    const store = new EventStore(adapter, testRegistry());
    const order: number[] = [];
    const first = store.append('a', [counted(1n)], { expectedRevision: 'any', actor: 'system:test' }).then(() => order.push(1));
    await settled(first);
    expect(sync.waiting).toHaveLength(1);
    // Two more groups commit while the first fsync is still running.
    const second = store.append('b', [counted(2n)], { expectedRevision: 'any', actor: 'system:test' }).then(() => order.push(2));
    await settled(second);
    const third = store.append('c', [counted(3n)], { expectedRevision: 'any', actor: 'system:test' }).then(() => order.push(3));
    await settled(third);
    expect(sync.waiting).toHaveLength(1);
    expect(order).toEqual([]);
    sync.complete();
    await first;
    // The second and third wait for an fsync that started after they committed.
    expect(await settled(second)).toBe(false);
    expect(sync.waiting).toHaveLength(1);
    sync.complete();
    await Promise.all([second, third]);
    expect(order).toEqual([1, 2, 3]);
    await store.close();
  });

  it('a failed fsync acknowledges nothing and stops the store taking appends', async () => {
    const sync = controllableFsync();
    const adapter = new SqliteEventStore({ path: join(dir, 'failed.sqlite'), synchronous: 'FULL', fsync: sync.fsync });
    const store = new EventStore(adapter, testRegistry());
    const append = store.append('s', [counted(1n)], { expectedRevision: 'any', actor: 'system:test' });
    await settled(append);
    sync.complete(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    await expect(append).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(store.append('s', [counted(2n)], { expectedRevision: 'any', actor: 'system:test' })).rejects.toBeInstanceOf(StoreUnavailable);
    await store.close();
  });

  it('with the real fsync (the default), appends are acknowledged and every one is in the file after reopening', async () => {
    const path = join(dir, 'real.sqlite');
    const store = new EventStore(new SqliteEventStore({ path }), testRegistry());
    for (let i = 0; i < 20; i++) await store.append(`s${i % 3}`, [counted(BigInt(i))], { expectedRevision: 'any', actor: 'system:test' });
    await store.close();
    const reopened = new SqliteEventStore({ path });
    expect((await readAll(reopened)).map((e) => e.globalPosition)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i + 1)));
    await reopened.close();
  });
});
