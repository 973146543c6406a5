import { Hash, nodeHash, nodeId, NodeReader, NodeRef } from '@attest/merkle';
import { ReadModelQueries } from '@attest/projection-runner';

/**
 * Which perfect nodes the log keeps in `merkle_nodes`, and how any perfect node is read back.
 *
 * Kept: level 0 (every leaf hash, id = leaf index) and every level from `TILE_HEIGHT` up. Levels
 * 1 … TILE_HEIGHT − 1 are not written: such a node covers at most 2^(TILE_HEIGHT−1) leaves of one
 * aligned tile of 2^TILE_HEIGHT, and is recomputed from those leaf hashes when a proof needs it
 * (one range read of ≤ 16 rows, ≤ 11 hashes for an inclusion proof). With a height of 4 the log
 * writes 1 + 1/16 node rows per leaf instead of 2 — the node rows were most of its write cost —
 * and a proof reads one more short range. Logs written before this rule still have rows at
 * levels 1–3; they are simply never read (docs/adr/0014).
 */
export const TILE_HEIGHT = 4;

export const isStoredLevel = (level: number): boolean => level === 0 || level >= TILE_HEIGHT;

/** SQLite binds at most 32,766 variables and unions at most 500 selects; stay far below. */
const NODES_PER_QUERY = 500;
const PARAMS_PER_QUERY = 5_000;

/**
 * Reads the perfect nodes `refs` in one query: stored ones by id (`IN (…)`), the others from the
 * leaf hashes of their tile (one id range per tile).
 * The reader it returns throws for a node that was not asked for or is missing.
 */
export const readNodes = async (query: ReadModelQueries, refs: readonly NodeRef[]): Promise<NodeReader> => {
  const found = new Map<number, Hash>();
  const stored: number[] = [];
  // Leaf ranges [start, end) of the derived nodes, merged per tile.
  const tiles = new Map<number, { start: number; end: number }>();
  for (const ref of refs) {
    if (isStoredLevel(ref.level)) {
      stored.push(nodeId(ref));
      continue;
    }
    const width = 2 ** ref.level;
    const start = ref.index * width;
    const tile = Math.floor(start / 2 ** TILE_HEIGHT);
    const range = tiles.get(tile);
    if (range) {
      range.start = Math.min(range.start, start);
      range.end = Math.max(range.end, start + width);
    } else tiles.set(tile, { start, end: start + width });
  }
  // One statement for a proof: the stored ids, then each tile's leaf range (level-0 ids are leaf
  // indices, so a tile's leaf hashes are one contiguous id range). A proof or an edge needs at
  // most ~80 nodes; only a caller asking for far more gets several statements.
  const parts: string[] = [];
  const params: number[] = [];
  const flush = async () => {
    if (parts.length === 0) return;
    const rows = await query.all<{ id: bigint; hash: Buffer }>(parts.join(' UNION ALL '), ...params);
    for (const row of rows) found.set(Number(row.id), row.hash);
    parts.length = 0;
    params.length = 0;
  };
  for (let i = 0; i < stored.length; i += NODES_PER_QUERY) {
    const ids = stored.slice(i, i + NODES_PER_QUERY);
    parts.push(`SELECT id, hash FROM merkle_nodes WHERE id IN (${ids.map(() => '?').join(',')})`);
    params.push(...ids);
    if (params.length >= PARAMS_PER_QUERY) await flush();
  }
  for (const { start, end } of tiles.values()) {
    parts.push('SELECT id, hash FROM merkle_nodes WHERE id >= ? AND id < ?');
    params.push(start, end);
    if (params.length >= PARAMS_PER_QUERY || parts.length >= 400) await flush();
  }
  await flush();
  const leaf = (index: number): Hash => {
    const hash = found.get(index);
    if (!hash) throw new Error(`merkle-log: leaf hash ${index} is missing; rebuild the projection`);
    return hash;
  };
  // A derived node: fold its 2^level leaf hashes pairwise, level by level.
  const derive = (node: NodeRef): Hash => {
    const width = 2 ** node.level;
    let row: Hash[] = [];
    for (let i = node.index * width; i < (node.index + 1) * width; i++) row.push(leaf(i));
    while (row.length > 1) {
      const next: Hash[] = [];
      for (let i = 0; i < row.length; i += 2) next.push(nodeHash(row[i] as Hash, row[i + 1] as Hash));
      row = next;
    }
    return row[0] as Hash;
  };
  return (node) => {
    if (!isStoredLevel(node.level)) return derive(node);
    const hash = found.get(nodeId(node));
    if (!hash) throw new Error(`merkle-log: node ${node.level}:${node.index} is missing; rebuild the projection`);
    return hash;
  };
};
