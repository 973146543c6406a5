import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore, SqliteEventStore, StoredEvent } from '@attest/event-store';
import { counted, testRegistry } from '@attest/event-store/testing/test-events';
import { entryOfStoredEvent } from '@attest/audit/verify/entry';
import { MemoryTree, verifyConsistency, verifyInclusion, leafHash, nodeIdAt } from '@attest/merkle';
import { randomStoredEvents } from '@attest/audit/testing/random-json';
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

describe('merkle-log node layout (levels 1–3 recomputed from leaf hashes)', () => {
  let dir: string;
  let readModels: SqliteReadModelStore;
  let reader: MerkleLogReader;
  // Random envelopes and data; event ids made unique (the read model indexes them).
  const events = randomStoredEvents(6, 300).map((event, i) => ({ ...event, eventId: `a${i}-${event.eventId}` }));
  const reference = new MemoryTree();
  for (const event of events) reference.appendEntry(entryOfStoredEvent(event));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'attest-merkle-layout-'));
    readModels = new SqliteReadModelStore(join(dir, 'read-models.sqlite'));
    const schema = merkleLogProjection.schema;
    for (const ddl of typeof schema === 'function' ? schema('sqlite') : schema) await readModels.exec(ddl);
    reader = new MerkleLogReader(readModels.query);
    // Batches of every small size and across tile (16-leaf) boundaries, so each append starts
    // from a different right edge; some batches repeat the previous one's tail (idempotence).
    let from = 0;
    for (let size = 1; from < events.length; size = (size % 37) + 1) {
      const batch = events.slice(Math.max(0, from - (size % 3)), from + size);
      await readModels.transaction((tx) => merkleLogProjection.applyBatch?.(batch, tx) ?? Promise.resolve());
      from += size;
    }
  });

  afterAll(async () => {
    await readModels.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes leaf hashes and levels ≥ 4 only', async () => {
    const count = async (fromLevel: number, toLevel: number) =>
      Number((await readModels.query.get<{ n: bigint }>('SELECT count(*) AS n FROM merkle_nodes WHERE id >= ? AND id < ?', nodeIdAt(fromLevel, 0), nodeIdAt(toLevel, 0)))?.n);
    expect(await count(0, 1)).toBe(300);
    expect(await count(1, 4)).toBe(0);
    expect(await count(4, 5)).toBe(Math.floor(300 / 16));
    expect(await count(8, 9)).toBe(1);
  });

  it('gives every root, inclusion proof and consistency proof of the in-memory tree', async () => {
    expect(await reader.size()).toBe(300);
    for (let size = 0; size <= 300; size++) expect(hex(await reader.root(size))).toBe(hex(reference.root(size)));
    for (const size of [1, 2, 15, 16, 17, 31, 32, 33, 255, 256, 257, 299, 300]) {
      for (let index = 0; index < size; index++) expect((await reader.inclusionProof(index, size)).map(hex)).toEqual(reference.inclusionProof(index, size).map(hex));
      for (let first = 1; first <= size; first++) expect((await reader.consistencyProof(first, size)).map(hex)).toEqual(reference.consistencyProof(first, size).map(hex));
    }
  });

  it('never reads level 1–3 rows (logs written before keep theirs, unused)', async () => {
    const before = (await reader.inclusionProof(100, 300)).map(hex);
    // A log written before the rule has rows at levels 1–3; make them wrong to prove they are not read.
    await readModels.transaction(async (tx) => {
      for (let level = 1; level < 4; level++) for (let index = 0; index < 300 / 2 ** level - 1; index++) await tx.run('INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)', nodeIdAt(level, index), Buffer.alloc(32, 0xee));
    });
    expect((await reader.inclusionProof(100, 300)).map(hex)).toEqual(before);
    expect(hex(await reader.root(299))).toBe(hex(reference.root(299)));
    // Appending on top of such a log still builds the same tree.
    const more = randomStoredEvents(7, 20).map((event, i) => ({ ...event, eventId: `b${i}`, globalPosition: BigInt(301 + i) }));
    await readModels.transaction((tx) => merkleLogProjection.applyBatch?.(more, tx) ?? Promise.resolve());
    for (const event of more) reference.appendEntry(entryOfStoredEvent(event));
    expect(hex(await reader.root(320))).toBe(hex(reference.root(320)));
  });
});
