import { evictOldestHalf } from './bounded-cache';

describe('evictOldestHalf', () => {
  it('drops the oldest half and keeps the newest entries in order', () => {
    const map = new Map<bigint, number>();
    for (let i = 0; i < 10; i++) map.set(BigInt(i), i);
    evictOldestHalf(map);
    expect([...map.keys()]).toEqual([5n, 6n, 7n, 8n, 9n]);
  });

  it('keeps a cache bounded under a long stream of inserts', () => {
    const map = new Map<number, number>();
    for (let i = 0; i < 100_000; i++) {
      map.set(i, i);
      if (map.size > 1_000) evictOldestHalf(map);
    }
    expect(map.size).toBeLessThanOrEqual(1_000);
    expect(map.has(99_999)).toBe(true);
    expect(map.has(0)).toBe(false);
  });
});
