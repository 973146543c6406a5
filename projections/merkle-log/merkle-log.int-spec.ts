import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore, StoredEvent } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';
import { entryOfStoredEvent } from '@attest/audit/verify/entry';
import { MemoryTree, verifyConsistency, verifyInclusion, leafHash } from '@attest/merkle';
import { ProjectionRunner, SqliteReadModelStore } from '@attest/projection-runner';
import { MERKLE_LOG, merkleLogProjection } from './merkle-log.projection';
import { MerkleLogReader, TreeSizeOutOfRange } from './merkle-log.reader';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('merkle-log projection (real SQLite event store and read model)', () => {
  let dir: string;
  let store: EventStore;
  let readModels: SqliteReadModelStore;
  let runner: ProjectionRunner;
  let reader: MerkleLogReader;
  const stored: StoredEvent[] = [];
  const reference = new MemoryTree();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attest-merkle-'));
    store = new EventStore(new SqliteEventStore({ path: join(dir, 'events.sqlite'), synchronous: 'NORMAL' }), testRegistry());
    // 333 events over several streams and appends, one carrying pii (hashed as stored).
    for (let s = 0; s < 9; s++) {
      await store.append(`stream-${s}`, Array.from({ length: 36 }, (_, i) => counted(BigInt(s * 100 + i))), { expectedRevision: 'noStream', actor: 'system:test' });
    }
    await store.append('renamed-1', [{ type: 'TestRenamed', data: { name: 'n' }, pii: { displayName: 'Zhang San' } }], { expectedRevision: 'noStream', actor: 'system:test' });
    await store.append('tail', [counted(1n), counted(2n)], { expectedRevision: 'noStream', actor: 'system:test' });
    for await (const event of store.adapter.readAll()) {
      stored.push(event);
      reference.appendEntry(entryOfStoredEvent(event));
    }
    readModels = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    runner = new ProjectionRunner(store, readModels).register(merkleLogProjection);
    await runner.start();
    await runner.waitFor(MERKLE_LOG, await store.headPosition(), 10_000);
    reader = new MerkleLogReader(readModels.query);
  });

  afterAll(async () => {
    await runner.stop();
    await store.close();
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has one leaf per stored event, in global order', async () => {
    expect(stored).toHaveLength(327);
    expect(await reader.size()).toBe(327);
    const leaves = [];
    for await (const leaf of reader.leaves()) leaves.push(leaf);
    expect(leaves.map((l) => l.position)).toEqual(stored.map((e) => e.globalPosition));
    expect(leaves.map((l) => l.leafIndex)).toEqual(stored.map((_, i) => i));
    expect(leaves.map((l) => hex(l.hash))).toEqual(stored.map((e) => hex(leafHash(entryOfStoredEvent(e)))));
  });

  it('gives the same root as an in-memory tree of the stored events, for every size', async () => {
    for (let size = 0; size <= stored.length; size++) expect(hex(await reader.root(size))).toBe(hex(reference.root(size)));
  });

  it('answers inclusion and consistency proofs that verify', async () => {
    const size = stored.length;
    const root = await reader.root(size);
    for (const index of [0, 1, 127, 128, 255, 256, 300, size - 1]) {
      const event = stored[index] as StoredEvent;
      const leaf = await reader.leafByEventId(event.eventId);
      expect(leaf?.leafIndex).toBe(index);
      const proof = await reader.inclusionProof(index, size);
      expect(proof.map(hex)).toEqual(reference.inclusionProof(index, size).map(hex));
      expect(verifyInclusion(index, size, leafHash(entryOfStoredEvent(event)), proof, root)).toEqual({ ok: true });
    }
    for (const first of [1, 2, 64, 100, 256, 326, 327]) {
      const proof = await reader.consistencyProof(first, size);
      expect(verifyConsistency(first, size, await reader.root(first), root, proof)).toEqual({ ok: true });
    }
    await expect(reader.root(size + 1)).rejects.toBeInstanceOf(TreeSizeOutOfRange);
  });

  it('is idempotent: an event applied twice changes nothing', async () => {
    const before = hex(await reader.root(stored.length));
    await readModels.transaction(async (tx) => {
      await merkleLogProjection.apply(stored[5] as StoredEvent, tx);
      await merkleLogProjection.apply(stored[stored.length - 1] as StoredEvent, tx);
    });
    expect(await reader.size()).toBe(stored.length);
    expect(hex(await reader.root(stored.length))).toBe(before);
  });

  it('rebuilds from the events to exactly the same roots and leaves', async () => {
    const sizes = [1, 2, 3, 64, 65, 200, stored.length];
    const before = await Promise.all(sizes.map(async (s) => hex(await reader.root(s))));
    await runner.rebuild(MERKLE_LOG);
    await runner.waitFor(MERKLE_LOG, await store.headPosition(), 10_000);
    expect(await Promise.all(sizes.map(async (s) => hex(await reader.root(s))))).toEqual(before);
    // And it keeps appending live afterwards.
    await store.append('tail', [counted(3n)], { expectedRevision: 1n, actor: 'system:test' });
    await runner.waitFor(MERKLE_LOG, await store.headPosition(), 10_000);
    expect(await reader.size()).toBe(stored.length + 1);
    expect(hex(await reader.root(stored.length))).toBe(before[before.length - 1]);
  });
});
