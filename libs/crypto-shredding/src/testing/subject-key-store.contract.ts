import { generateKek, KEY_BYTES, KeyEncryptionKey, parseKeks } from '../key-encryption-keys';
import { AesGcmPiiProtector } from '../pii-protector';
import { SubjectKeyErased, SubjectKeyStore } from '../subject-key-store';

export interface SubjectKeyStoreHarness {
  /** Fresh, empty storage for the next test. */
  reset(): Promise<void>;
  /** Opens a store on the current storage (several may be open at once: think processes). */
  open(keks: KeyEncryptionKey[]): Promise<SubjectKeyStore>;
  /** How many live keys each KEK wraps, read from storage. */
  kekUsage(store: SubjectKeyStore): Promise<Record<string, number>>;
  /** The wrapped key as stored for the subject, read behind the store's back (null when there is none). */
  storedWrappedKey(subjectId: string): Promise<Buffer | null>;
  /** Every byte the storage has persisted for the key table (files, after any checkpoint it needs). */
  persistedBytes(): Promise<Buffer>;
}

const sealRequest = (owner: string, eventId: string) => ({ owner, eventId, streamId: `person-${owner}`, type: 'TestRenamed', pii: { displayName: `${owner}'s name` } });

/**
 * The behaviour every `SubjectKeyStore` must have (SQLite, PostgreSQL). Store-specific
 * guarantees — cross-process invalidation, for one — are tested beside each store.
 */
export const subjectKeyStoreContract = (name: string, harness: SubjectKeyStoreHarness) => {
  describe(`subject key store contract: ${name}`, () => {
    let kek1: KeyEncryptionKey[];
    const opened: SubjectKeyStore[] = [];
    const open = async (keks = kek1) => {
      const store = await harness.open(keks);
      opened.push(store);
      return store;
    };
    const close = async (store: SubjectKeyStore) => {
      opened.splice(opened.indexOf(store), 1);
      await store.close();
    };

    beforeEach(async () => {
      await harness.reset();
      kek1 = parseKeks(generateKek('kek-1'));
    });
    afterEach(async () => {
      for (const store of opened.splice(0)) await store.close();
    });

    it('creates a 32-byte key on first use and returns the same key every time, also after reopening', async () => {
      const store = await open();
      const key = await store.keyFor('alice');
      expect(key).toHaveLength(KEY_BYTES);
      expect(await store.keyFor('alice')).toEqual(key);
      expect(await store.keyFor('bob')).not.toEqual(key);
      await close(store);
      const again = await open();
      expect(await again.keyFor('alice')).toEqual(key);
      expect(await again.lookup('alice')).toEqual({ state: 'active', key });
    });

    it('lookup says none for an unknown subject and creates nothing', async () => {
      const store = await open();
      expect(await store.lookup('nobody')).toEqual({ state: 'none' });
      expect(await harness.storedWrappedKey('nobody')).toBeNull();
      expect(await harness.kekUsage(store)).toEqual({});
    });

    it('keys asked for in the same turn are created together: distinct per subject, one per subject however often it is asked', async () => {
      const store = await open();
      const subjects = Array.from({ length: 40 }, (_, i) => `s${i}`);
      const keys = await Promise.all([...subjects, ...subjects].map((s) => store.keyFor(s)));
      for (let i = 0; i < subjects.length; i++) expect(keys[i + subjects.length]).toEqual(keys[i]);
      expect(new Set(keys.map((k) => k.toString('hex'))).size).toBe(subjects.length);
      expect(await harness.kekUsage(store)).toEqual({ 'kek-1': subjects.length });
      await close(store);
      const again = await open();
      expect(await Promise.all(subjects.map((s) => again.keyFor(s)))).toEqual(keys.slice(0, subjects.length));
    });

    it('two stores on the same storage asking for a new subject at once agree on one key', async () => {
      const a = await open();
      const b = await open();
      const subjects = Array.from({ length: 20 }, (_, i) => `both-${i}`);
      const [fromA, fromB] = await Promise.all([Promise.all(subjects.map((s) => a.keyFor(s))), Promise.all(subjects.map((s) => b.keyFor(s)))]);
      expect(fromB).toEqual(fromA);
      expect(await harness.kekUsage(a)).toEqual({ 'kek-1': subjects.length });
    });

    it('erasure destroys the key: the subject reads as erased, no key can be had for them, other subjects are untouched; it is idempotent', async () => {
      const store = await open();
      await store.keyFor('alice');
      const bobKey = await store.keyFor('bob');
      const at = '2026-11-21T10:00:00.000Z';
      expect(await store.erase('alice', at)).toEqual({ alreadyErased: false });
      expect(await store.lookup('alice')).toEqual({ state: 'erased', erasedAt: at });
      await expect(store.keyFor('alice')).rejects.toBeInstanceOf(SubjectKeyErased);
      await expect(store.keyFor('alice')).rejects.toMatchObject({ code: 'SUBJECT_ERASED', subjectId: 'alice' });
      expect(await store.erase('alice', '2026-11-22T00:00:00.000Z')).toEqual({ alreadyErased: true });
      expect(await store.lookup('alice')).toEqual({ state: 'erased', erasedAt: at });
      expect(await store.keyFor('bob')).toEqual(bobKey);
      expect(await harness.storedWrappedKey('alice')).toBeNull();
      expect(await harness.kekUsage(store)).toEqual({ 'kek-1': 1 });
    });

    it('erasing a subject that never had a key leaves a tombstone: no key can be created for them later, and that survives reopening', async () => {
      const store = await open();
      expect(await store.erase('carol', '2026-11-21T10:00:00.000Z')).toEqual({ alreadyErased: false });
      await expect(store.keyFor('carol')).rejects.toBeInstanceOf(SubjectKeyErased);
      await close(store);
      const again = await open();
      expect(await again.lookup('carol')).toEqual({ state: 'erased', erasedAt: '2026-11-21T10:00:00.000Z' });
      await expect(again.keyFor('carol')).rejects.toBeInstanceOf(SubjectKeyErased);
      expect(await again.erase('carol', '2026-11-22T00:00:00.000Z')).toEqual({ alreadyErased: true });
    });

    it('after erasure nothing can be sealed for the subject and what was sealed reads as erased, not as an error', async () => {
      const store = await open();
      const protector = new AesGcmPiiProtector(store);
      const sealed = await protector.seal(sealRequest('alice', 'e1'));
      const sealedBob = await protector.seal(sealRequest('bob', 'e2'));
      const event = (eventId: string, owner: string, pii: typeof sealed) => ({ eventId, streamId: `person-${owner}`, type: 'TestRenamed', pii });
      expect(await protector.reveal(event('e1', 'alice', sealed))).toEqual({ displayName: "alice's name" });
      await store.erase('alice', new Date().toISOString());
      expect(await protector.reveal(event('e1', 'alice', sealed))).toEqual({ erased: true, owner: 'alice' });
      await expect(protector.seal(sealRequest('alice', 'e3'))).rejects.toBeInstanceOf(SubjectKeyErased);
      expect(await protector.reveal(event('e2', 'bob', sealedBob))).toEqual({ displayName: "bob's name" });
    });

    it('the erased wrapped key is gone from the persisted bytes, not just flagged', async () => {
      const store = await open();
      await store.keyFor('alice');
      await store.keyFor('bob');
      const alice = await harness.storedWrappedKey('alice');
      const bob = await harness.storedWrappedKey('bob');
      if (!alice || !bob) throw new Error('expected both wrapped keys to be stored');
      // The search can find a wrapped key: both are there before the erasure.
      const before = await harness.persistedBytes();
      expect(before.includes(alice)).toBe(true);
      expect(before.includes(bob)).toBe(true);
      await store.erase('alice', new Date().toISOString());
      const after = await harness.persistedBytes();
      expect(after.includes(alice)).toBe(false);
      expect(after.includes(bob)).toBe(true);
      // Flushing a server's dirty pages (a CHECKPOINT) can take seconds on a busy machine.
    }, 30_000);

    it('rotation re-wraps every live key with the active KEK, keeps erased subjects erased, and lets the old KEK go', async () => {
      const store = await open();
      const aliceKey = await store.keyFor('alice');
      const bobKey = await store.keyFor('bob');
      await store.erase('carol', new Date().toISOString());
      await close(store);
      const kek2 = parseKeks(generateKek('kek-2'));
      const rotating = await open([...kek2, ...kek1]);
      expect(await harness.kekUsage(rotating)).toEqual({ 'kek-1': 2 });
      expect(await rotating.rewrap()).toBe(2);
      expect(await harness.kekUsage(rotating)).toEqual({ 'kek-2': 2 });
      expect(await rotating.rewrap()).toBe(0);
      // New keys are wrapped by the active KEK from the start.
      await rotating.keyFor('dave');
      expect(await harness.kekUsage(rotating)).toEqual({ 'kek-2': 3 });
      await close(rotating);
      const rotated = await open(kek2);
      expect(await rotated.keyFor('alice')).toEqual(aliceKey);
      expect(await rotated.keyFor('bob')).toEqual(bobKey);
      await expect(rotated.keyFor('carol')).rejects.toBeInstanceOf(SubjectKeyErased);
    });

    it('a key wrapped by a KEK that is not configured is a configuration error naming the KEK, never "erased" or "none"', async () => {
      const store = await open();
      await store.keyFor('alice');
      await close(store);
      const wrongKeks = await open(parseKeks(generateKek('kek-2')));
      await expect(wrongKeks.lookup('alice')).rejects.toThrow(/unknown KEK kek-1.*ATTEST_KEKS/);
      await expect(wrongKeks.keyFor('alice')).rejects.toThrow(/unknown KEK kek-1/);
      await close(wrongKeks);
      // Same kid, other bytes (two processes configured differently): also refused, and said so.
      const sameKidOtherBytes = await open(parseKeks(generateKek('kek-1')));
      await expect(sameKidOtherBytes.lookup('alice')).rejects.toThrow(/cannot be unwrapped with KEK kek-1.*same ATTEST_KEKS/);
    });
  });
};
