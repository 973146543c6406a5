import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore, StoreUnavailable, StoredEvent } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';

/**
 * A follower store (the projection worker's view of the log, docs/adr/0021): it reads the file
 * another store writes, and shows nothing past what that writer has made durable. What the
 * worker relies on: the writer announces durable positions only after their fsync returned,
 * the follower's readers and live subscribers see exactly up to the announced position, and the
 * follower can never append.
 */
describe('sqlite store: a follower sees only what the writer made durable', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-follower-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  const positions = async (store: SqliteEventStore) => {
    const seen: bigint[] = [];
    for await (const event of store.readAll()) seen.push(event.globalPosition);
    return seen;
  };

  it('announces a durable position only after the fsync, and the follower shows up to it and no further', async () => {
    const waiting: Array<(error: NodeJS.ErrnoException | null) => void> = [];
    const path = join(dir, 'follow.sqlite');
    const writer = new SqliteEventStore({ path, synchronous: 'FULL', fsync: (_fd, callback) => void waiting.push(callback) });
    const store = new EventStore(writer, testRegistry());
    const announced: bigint[] = [];
    writer.onDurable((position) => announced.push(position));
    const follower = new SqliteEventStore({ path, follower: { visibleUpTo: writer.durablePosition }, pollIntervalMs: 10 });
    const seen: StoredEvent[] = [];
    const subscription = follower.subscribeToAll({ afterPosition: 0n }, async (batch) => {
      seen.push(...batch);
    });

    const first = store.append('a', [counted(1n), counted(2n)], { expectedRevision: 'noStream', actor: 'system:test' });
    await settle();
    // Committed to the WAL, not synced: nothing announced, nothing shown, even to a poll.
    expect(announced).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(await positions(follower)).toEqual([]);
    expect(await follower.headPosition()).toBe(0n);
    expect(seen).toEqual([]);

    waiting.splice(0).forEach((callback) => callback(null));
    await first;
    expect(announced).toEqual([2n]);
    follower.advanceVisible(2n);
    await settle();
    expect(seen.map((e) => [e.globalPosition, e.streamId])).toEqual([
      [1n, 'a'],
      [2n, 'a'],
    ]);
    expect(await follower.headPosition()).toBe(2n);

    // A later append, synced and announced, reaches the live subscriber with its data intact.
    const second = store.append('b', [counted(3n)], { expectedRevision: 'noStream', actor: 'system:test' });
    await settle();
    waiting.splice(0).forEach((callback) => callback(null));
    await second;
    expect(announced).toEqual([2n, 3n]);
    follower.advanceVisible(3n);
    await settle();
    expect(seen.map((e) => e.globalPosition)).toEqual([1n, 2n, 3n]);
    const written: StoredEvent[] = [];
    for await (const event of writer.readAll()) written.push(event);
    expect(seen).toEqual(written);
    // An older announcement arriving late never lowers what is visible.
    follower.advanceVisible(1n);
    expect(await positions(follower)).toEqual([1n, 2n, 3n]);

    await subscription.stop();
    await follower.close();
    await store.close();
  });

  it('reads each newly visible range from SQLite once; subscribers at the visible end ask SQLite nothing', async () => {
    const path = join(dir, 'tail.sqlite');
    const writer = new EventStore(new SqliteEventStore({ path, synchronous: 'NORMAL' }), testRegistry());
    // No poll during the test: only advanceVisible wakes the subscribers.
    const follower = new SqliteEventStore({ path, follower: { visibleUpTo: 0n }, pollIntervalMs: 60_000 });
    const seen: bigint[][] = [[], [], []];
    const subscriptions = seen.map((into) =>
      follower.subscribeToAll({ afterPosition: 0n }, async (batch) => {
        into.push(...batch.map((e) => e.globalPosition));
      }),
    );
    await settle();
    const sqlReads = jest.spyOn(follower, 'readPage');

    await writer.append('t', [counted(1n), counted(2n)], { expectedRevision: 'noStream', actor: 'system:test' });
    follower.advanceVisible(2n);
    await settle();
    expect(seen).toEqual([[1n, 2n], [1n, 2n], [1n, 2n]]);
    // One read fills the tail; each subscriber then takes its batch from the tail and, having
    // reached the visible end, gets "nothing more" without a query (it asked after its batch).
    expect(sqlReads).toHaveBeenCalledTimes(1);

    await Promise.all(subscriptions.map((s) => s.stop()));
    await follower.close();
    await writer.close();
  });

  it('refuses appends: the follower only reads', async () => {
    const path = join(dir, 'read-only.sqlite');
    const writer = new SqliteEventStore({ path, synchronous: 'NORMAL' });
    const follower = new EventStore(new SqliteEventStore({ path, follower: { visibleUpTo: 0n } }), testRegistry());
    await expect(follower.append('x', [counted(1n)], { expectedRevision: 'any', actor: 'system:test' })).rejects.toBeInstanceOf(StoreUnavailable);
    expect(await writer.headPosition()).toBe(0n);
    await follower.close();
    await writer.close();
  });

  it('a writer opened on an existing log starts with its head as the durable position', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = new EventStore(new SqliteEventStore({ path, synchronous: 'NORMAL' }), testRegistry());
    await first.append('r', [counted(1n), counted(2n), counted(3n)], { expectedRevision: 'noStream', actor: 'system:test' });
    await first.close();
    const reopened = new SqliteEventStore({ path, synchronous: 'NORMAL' });
    expect(reopened.durablePosition).toBe(3n);
    await reopened.close();
  });
});
