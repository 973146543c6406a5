/**
 * Drops the older half of a bounded cache (Maps iterate in insertion order). Evicting one entry
 * per insert through `keys().next()` is O(n) in V8 once many entries were deleted (the iterator
 * walks the tombstones); halving at once keeps eviction amortised O(1).
 */
export const evictOldestHalf = <K, V>(map: Map<K, V>): void => {
  let toDrop = Math.floor(map.size / 2);
  for (const key of map.keys()) {
    if (toDrop-- <= 0) break;
    map.delete(key);
  }
};
