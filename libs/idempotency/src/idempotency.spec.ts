import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, deterministicId, Idempotency, IdempotencyKeyReused, InMemoryIdempotencyStore } from './idempotency';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store';

describe('Idempotency', () => {
  it('runs once per key and replays the original status and body', async () => {
    const idempotency = new Idempotency(new InMemoryIdempotencyStore());
    let runs = 0;
    const work = async () => ({ status: 201, body: { run: ++runs } });
    expect(await idempotency.run('tip', 'k1', { a: 1 }, work)).toEqual({ status: 201, body: { run: 1 }, replayed: false });
    expect(await idempotency.run('tip', 'k1', { a: 1 }, work)).toEqual({ status: 201, body: { run: 1 }, replayed: true });
    expect(runs).toBe(1);
  });

  it('refuses the same key with a different request, and keys are per scope', async () => {
    const idempotency = new Idempotency(new InMemoryIdempotencyStore());
    await idempotency.run('tip', 'k1', { a: 1 }, async () => ({ status: 201, body: {} }));
    await expect(idempotency.run('tip', 'k1', { a: 2 }, async () => ({ status: 201, body: {} }))).rejects.toBeInstanceOf(IdempotencyKeyReused);
    expect((await idempotency.run('deposit', 'k1', { a: 2 }, async () => ({ status: 201, body: {} }))).replayed).toBe(false);
  });

  it('concurrent requests with one key run the work once', async () => {
    const idempotency = new Idempotency(new InMemoryIdempotencyStore());
    let runs = 0;
    const work = async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 201, body: { ok: true } };
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => idempotency.run('tip', 'k', { a: 1 }, work)));
    expect(runs).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(results.every((r) => r.status === 201)).toBe(true);
  });

  it('stores nothing when the work throws or answers 5xx, so a retry runs again', async () => {
    const idempotency = new Idempotency(new InMemoryIdempotencyStore());
    await expect(idempotency.run('tip', 'k', {}, async () => Promise.reject(new Error('store down')))).rejects.toThrow('store down');
    await idempotency.run('tip', 'k', {}, async () => ({ status: 503, body: {} }));
    expect(await idempotency.run('tip', 'k', {}, async () => ({ status: 201, body: { second: true } }))).toMatchObject({ status: 201, replayed: false });
  });

  it('hashes requests canonically (key order does not matter)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 2n], c: null } })).toBe('{"a":{"c":null,"d":[1,"2"]},"b":1}');
  });

  it('derives stable RFC 9562 version-8 ids from scope and key', () => {
    const id = deterministicId('tip', 'k1');
    expect(id).toBe(deterministicId('tip', 'k1'));
    expect(id).not.toBe(deterministicId('tip', 'k2'));
    expect(id).not.toBe(deterministicId('deposit', 'k1'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps records durable in SQLite across reopen, and purges by age', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attest-idem-'));
    try {
      const path = join(dir, 'idempotency.sqlite');
      let store = new SqliteIdempotencyStore(path);
      await new Idempotency(store, () => new Date('2026-01-01T00:00:00Z')).run('tip', 'k', { a: 1 }, async () => ({ status: 422, body: { code: 'INSUFFICIENT_FUNDS' } }));
      await store.close();
      store = new SqliteIdempotencyStore(path);
      expect(await new Idempotency(store).run('tip', 'k', { a: 1 }, async () => ({ status: 201, body: {} }))).toEqual({
        status: 422,
        body: { code: 'INSUFFICIENT_FUNDS' },
        replayed: true,
      });
      expect(await store.purgeCreatedBefore('2026-01-02T00:00:00Z')).toBe(1);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
