import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EventStore, RecordedEvent, SqliteEventStore } from '@attest/event-store';
import { testRegistry } from '@attest/event-store/testing/test-events';
import { generateKek, parseKeks } from './key-encryption-keys';
import { AesGcmPiiProtector } from './pii-protector';
import { SqliteSubjectKeyStore } from './subject-key-store';

const actor = 'system:test';
const SECRET = 'Zhang Wei-Secret-Name';
const renamed = (owner: string, displayName: string) => ({ type: 'TestRenamed', data: { name: owner }, pii: { displayName } });
const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};
/** Every byte of every file in the directory (database, WAL, shm), for a plain-text search. */
const allBytes = (dir: string) => Buffer.concat(readdirSync(dir).map((f) => readFileSync(join(dir, f))));

describe('crypto-shredding of personal data in events', () => {
  let dir: string;
  let keksValue: string;
  let keys: SqliteSubjectKeyStore;
  let store: EventStore;
  const open = (kekValue = keksValue) => {
    keys = new SqliteSubjectKeyStore(join(dir, 'keys', 'keys.sqlite'), parseKeks(kekValue));
    store = new EventStore(new SqliteEventStore({ path: join(dir, 'events', 'events.sqlite') }), testRegistry(), new AesGcmPiiProtector(keys));
  };
  const close = async () => {
    await store.close();
    await keys.close();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'attest-shred-'));
    keksValue = generateKek('kek-1');
    open();
  });
  afterEach(async () => {
    await close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores personal values only as ciphertext, and reads them back in clear', async () => {
    await store.append('person-alice', [renamed('alice', SECRET)], { expectedRevision: 'noStream', actor });
    const [event] = await collect(store.readStream<RecordedEvent<string, unknown, { displayName: string }>>('person-alice'));
    expect(event?.pii).toEqual({ displayName: SECRET });
    await close();
    expect(allBytes(join(dir, 'events')).includes(Buffer.from(SECRET))).toBe(false);
    expect(allBytes(join(dir, 'events')).includes(Buffer.from('Zhang'))).toBe(false);
  });

  it('after erasure, personal fields read as erased (not an error), other subjects are untouched, and the stored bytes do not change', async () => {
    await store.append('person-alice', [renamed('alice', SECRET)], { expectedRevision: 'noStream', actor });
    await store.append('person-bob', [renamed('bob', 'Bob Visible')], { expectedRevision: 'noStream', actor });
    const rawBefore = (store.adapter as SqliteEventStore).database.prepare('SELECT pii FROM events ORDER BY position').all();
    expect(await keys.erase('alice', new Date().toISOString())).toEqual({ alreadyErased: false });
    expect(await keys.erase('alice', new Date().toISOString())).toEqual({ alreadyErased: true });
    const all = await collect(store.readAll());
    expect(all.map((e) => e.pii)).toEqual([{ erased: true, owner: 'alice' }, { displayName: 'Bob Visible' }]);
    expect((store.adapter as SqliteEventStore).database.prepare('SELECT pii FROM events ORDER BY position').all()).toEqual(rawBefore);
    // No new personal data can be recorded for an erased subject.
    await expect(store.append('person-alice', [renamed('alice', 'again')], { expectedRevision: 0n, actor })).rejects.toThrow(/erased/);
  });

  it('detects tampered ciphertext (GCM tag) and ciphertext moved to another event (associated data)', async () => {
    await store.append('person-alice', [renamed('alice', SECRET)], { expectedRevision: 'noStream', actor });
    await store.append('person-alice', [renamed('alice', 'second')], { expectedRevision: 0n, actor });
    const db = (store.adapter as SqliteEventStore).database;
    const rows = db.prepare('SELECT position, pii FROM events ORDER BY position').all() as Array<{ position: bigint; pii: string }>;
    const [first, second] = rows;
    if (!first || !second) throw new Error('expected two events');
    // Move the first event's ciphertext onto the second event.
    db.prepare('UPDATE events SET pii = ? WHERE position = ?').run(first.pii, second.position);
    await expect(collect(store.readStream('person-alice', { from: 1n }))).rejects.toThrow(/authenticate/);
    // Flip one character of the first event's ciphertext.
    const sealed = JSON.parse(first.pii) as { ct: string };
    const flipped = { ...sealed, ct: (sealed.ct[0] === 'A' ? 'B' : 'A') + sealed.ct.slice(1) };
    db.prepare('UPDATE events SET pii = ? WHERE position = ?').run(JSON.stringify(flipped), first.position);
    await expect(collect(store.readStream('person-alice', { limit: 1 }))).rejects.toThrow(/authenticate/);
  });

  it('rotating the key-encryption key re-wraps data keys without touching any event', async () => {
    await store.append('person-alice', [renamed('alice', SECRET)], { expectedRevision: 'noStream', actor });
    await store.append('person-bob', [renamed('bob', 'Bob Visible')], { expectedRevision: 'noStream', actor });
    await close();
    const eventsHash = () => {
      const db = new Database(join(dir, 'events', 'events.sqlite'), { readonly: true });
      const rows = db.prepare('SELECT * FROM events ORDER BY position').all();
      db.close();
      return createHash('sha256').update(JSON.stringify(rows, (_, v) => (typeof v === 'bigint' ? v.toString() : v))).digest('hex');
    };
    const before = eventsHash();
    const kek2 = generateKek('kek-2');
    open(`${kek2},${keksValue}`);
    expect(keys.kekUsage()).toEqual({ 'kek-1': 2 });
    expect(await keys.rewrap()).toBe(2);
    expect(keys.kekUsage()).toEqual({ 'kek-2': 2 });
    await close();
    // The old KEK can now be dropped entirely.
    open(kek2);
    const all = await collect(store.readAll());
    expect(all.map((e) => e.pii)).toEqual([{ displayName: SECRET }, { displayName: 'Bob Visible' }]);
    await close();
    expect(eventsHash()).toBe(before);
    open(kek2);
  });
});
