import { StoredEvent } from '@attest/event-store';
import { entryOfStoredEvent } from '@attest/audit/verify/entry';
import { decompose, Hash, leafHash, nodeHash, nodeId } from '@attest/merkle';
import { Projection, ReadModelQueries, SqlValue } from '@attest/projection-runner';

/**
 * The Merkle log: every stored event, in global order, is the next leaf of an RFC 9162 tree.
 *
 * What is kept (docs/adr/0006): each leaf's position and event id (`merkle_leaves`), and every
 * *perfect* node — leaf hashes at level 0 and each complete 2^level subtree once it is full —
 * keyed by one integer (`merkle_nodes`, id = level × 2^40 + index, see @attest/merkle `nodeId`).
 * Nodes are written once and never change, like Trillian/Tessera tiles; any root or proof of any
 * size is a fold of O(log n) of them.
 *
 * Appending a batch reads the tail (last leaf) and the tree's right edge (≤ log n nodes) once,
 * then works in memory: each leaf merges with the edge nodes of its level, exactly as a compact
 * range does, and the leaf and every node it completes (one on average) are written with
 * multi-row inserts. Input is the event *as stored* (`input: 'stored'`), hashed as RFC 8785
 * canonical JSON, so the tree commits to exactly the bytes of record, ciphertext included.
 */
export const MERKLE_LOG = 'merkle-log';

const LAST_LEAF = 'SELECT position, leaf_index FROM merkle_leaves ORDER BY position DESC LIMIT 1';
/** Rows per multi-row insert: few statements per batch, few distinct statements cached. */
const ROWS_PER_INSERT = 100;

interface EdgeNode {
  level: number;
  index: number;
  hash: Hash;
}

const insertRows = async (tx: ReadModelQueries, table: string, columns: string, rows: SqlValue[][]): Promise<void> => {
  const width = columns.split(',').length;
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await tx.run(`INSERT INTO ${table} (${columns}) VALUES ${chunk.map(() => tuple).join(', ')}`, ...chunk.flat());
  }
};

/** The perfect nodes on the right edge of a tree of `size` leaves, largest first. */
const readEdge = async (tx: ReadModelQueries, size: number): Promise<EdgeNode[]> => {
  if (size === 0) return [];
  const refs = decompose({ start: 0, end: size });
  const ids = refs.map(nodeId);
  const rows = await tx.all<{ id: bigint; hash: Buffer }>(`SELECT id, hash FROM merkle_nodes WHERE id IN (${ids.map(() => '?').join(',')})`, ...ids);
  const byId = new Map(rows.map((row) => [Number(row.id), row.hash]));
  return refs.map((ref) => {
    const hash = byId.get(nodeId(ref));
    // A missing edge node means the table lost rows: stop the projection rather than build a wrong tree.
    if (!hash) throw new Error(`merkle-log: node ${ref.level}:${ref.index} is missing; rebuild the projection`);
    return { ...ref, hash };
  });
};

const applyBatch = async (events: readonly StoredEvent[], tx: ReadModelQueries): Promise<void> => {
  const last = await tx.get<{ position: bigint; leaf_index: bigint }>(LAST_LEAF);
  const lastPosition = last ? BigInt(last.position) : 0n;
  // Idempotent: events at or before the last leaf are already in the tree.
  const fresh = events.filter((event) => event.globalPosition > lastPosition);
  if (fresh.length === 0) return;
  let size = last ? Number(last.leaf_index) + 1 : 0;
  const edge = await readEdge(tx, size);
  const leafRows: SqlValue[][] = [];
  const nodeRows: SqlValue[][] = [];
  for (const event of fresh) {
    let node: EdgeNode = { level: 0, index: size, hash: leafHash(entryOfStoredEvent(event)) };
    leafRows.push([event.globalPosition, size, event.eventId]);
    nodeRows.push([nodeId(node), node.hash]);
    // A full left sibling of the same level on the edge completes the parent; climb while it does.
    for (let left = edge[edge.length - 1]; left && left.level === node.level; left = edge[edge.length - 1]) {
      edge.pop();
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      nodeRows.push([nodeId(node), node.hash]);
    }
    edge.push(node);
    size++;
  }
  await insertRows(tx, 'merkle_leaves', 'position, leaf_index, event_id', leafRows);
  await insertRows(tx, 'merkle_nodes', 'id, hash', nodeRows);
};

export const merkleLogProjection: Projection = {
  name: MERKLE_LOG,
  version: 1,
  handles: 'all',
  input: 'stored',
  schema: (dialect) =>
    dialect === 'sqlite'
      ? [
          // INTEGER PRIMARY KEY is SQLite's rowid: the cheapest possible append and point read.
          'CREATE TABLE IF NOT EXISTS merkle_leaves (position INTEGER PRIMARY KEY, leaf_index INTEGER NOT NULL, event_id TEXT NOT NULL)',
          'CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_event_id ON merkle_leaves (event_id)',
          'CREATE TABLE IF NOT EXISTS merkle_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL)',
        ]
      : [
          'CREATE TABLE IF NOT EXISTS merkle_leaves (position BIGINT PRIMARY KEY, leaf_index BIGINT NOT NULL, event_id TEXT NOT NULL)',
          'CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_event_id ON merkle_leaves (event_id)',
          'CREATE TABLE IF NOT EXISTS merkle_nodes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL)',
        ],
  tables: ['merkle_leaves', 'merkle_nodes'],
  // The runner hands this projection the stored form because `input` is 'stored'.
  apply: (event, tx) => applyBatch([event as StoredEvent], tx),
  applyBatch: (events, tx) => applyBatch(events as readonly StoredEvent[], tx),
};
