import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore, StoredEvent } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';

/**
 * The embedded store serves live subscribers from an in-memory tail of its own recent commits.
 * Another process writing the same file leaves holes in that tail: a subscriber must still get
 * every event, once, in order (the read falls back to SQLite at a hole).
 */
describe('sqlite store: in-memory tail with a second writer on the same file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-tail-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers events written by both connections exactly once, in global order', async () => {
    const path = join(dir, 'events.sqlite');
    const mine = new EventStore(new SqliteEventStore({ path, pollIntervalMs: 10 }), testRegistry());
    const other = new EventStore(new SqliteEventStore({ path, pollIntervalMs: 10 }), testRegistry());
    const seen: StoredEvent[] = [];
    const subscription = mine.subscribeToAll({ afterPosition: 0n, batchSizeMax: 7 }, async (batch) => {
      seen.push(...batch);
    });
    for (let i = 0; i < 60; i++) {
      const writer = i % 3 === 0 ? other : mine;
      await writer.append(`s${i % 4}`, [counted(BigInt(i)), counted(BigInt(i))], { expectedRevision: 'any', actor: 'system:test' });
    }
    const deadline = Date.now() + 10_000;
    while (seen.length < 120 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await subscription.stop();
    expect(seen.map((e) => e.globalPosition)).toEqual(Array.from({ length: 120 }, (_, i) => BigInt(i + 1)));
    const fromFile: StoredEvent[] = [];
    for await (const event of (other.adapter as SqliteEventStore).readAll()) fromFile.push(event);
    // What the tail served is exactly what the file holds.
    expect(seen).toEqual(fromFile);
    await mine.close();
    await other.close();
  });
});

describe('sqlite store: the tail keeps only what a live subscriber has still to read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'attest-tail-trim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const until = async (condition: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };

  it('a slow subscriber still gets every event once, in order; what every subscriber has read leaves the tail', async () => {
    const adapter = new SqliteEventStore({ path: join(dir, 'events.sqlite'), pollIntervalMs: 10 });
    const store = new EventStore(adapter, testRegistry());
    const fast: bigint[] = [];
    const slow: bigint[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fastSubscription = store.subscribeToAll({ afterPosition: 0n }, async (batch) => {
      fast.push(...batch.map((e) => e.globalPosition));
    });
    const slowSubscription = store.subscribeToAll({ afterPosition: 0n, batchSizeMax: 5 }, async (batch) => {
      await held;
      slow.push(...batch.map((e) => e.globalPosition));
    });
    for (let i = 0; i < 40; i++) await store.append(`s${i % 4}`, [counted(BigInt(i))], { expectedRevision: 'any', actor: 'system:test' });
    await until(() => fast.length === 40);
    // The slow subscriber is still inside its first batch: the tail keeps what it has not read.
    expect(adapter.tailLength).toBeGreaterThan(0);
    release();
    await until(() => slow.length === 40);
    const every = Array.from({ length: 40 }, (_, i) => BigInt(i + 1));
    expect(fast).toEqual(every);
    expect(slow).toEqual(every);
    // One more append: once both have read it, nothing is left in the tail.
    await store.append('s0', [counted(40n)], { expectedRevision: 'any', actor: 'system:test' });
    await until(() => fast.length === 41 && slow.length === 41);
    await store.append('s0', [counted(41n)], { expectedRevision: 'any', actor: 'system:test' });
    await until(() => fast.length === 42 && slow.length === 42);
    expect(adapter.tailLength).toBeLessThanOrEqual(1);
    await fastSubscription.stop();
    await slowSubscription.stop();
    await store.close();
  });
});
