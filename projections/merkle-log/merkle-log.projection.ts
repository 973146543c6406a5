import { StoredEvent } from '@attest/event-store';
import { entryOfStoredEvent } from '@attest/audit/verify/entry';
import { leafHash, nodeHash, nodeId } from '@attest/merkle';
import { Projection, ReadModelQueries } from '@attest/projection-runner';

/**
 * The Merkle log: every stored event, in global order, is the next leaf of an RFC 9162 tree.
 *
 * What is kept (docs/adr/0006): each leaf's position and event id (`merkle_leaves`), and every
 * *perfect* node — leaf hashes at level 0 and each complete 2^level subtree once it is full —
 * keyed by one integer (`merkle_nodes`, id = level × 2^40 + index, see @attest/merkle `nodeId`).
 * Nodes are written once and never change, like Trillian/Tessera tiles; any root or proof of any
 * size is a fold of O(log n) of them. Appending a leaf writes it and the ≤ log n nodes it
 * completes (one on average), reading one sibling per completed node.
 *
 * Input is the event *as stored* (`input: 'stored'`), hashed as RFC 8785 canonical JSON, so the
 * tree commits to exactly the bytes of record, ciphertext included.
 */
export const MERKLE_LOG = 'merkle-log';

const LAST_LEAF = 'SELECT position, leaf_index FROM merkle_leaves ORDER BY position DESC LIMIT 1';
const INSERT_LEAF = 'INSERT INTO merkle_leaves (position, leaf_index, event_id) VALUES (?, ?, ?)';
const INSERT_NODE = 'INSERT INTO merkle_nodes (id, hash) VALUES (?, ?)';
const NODE = 'SELECT hash FROM merkle_nodes WHERE id = ?';

const apply = async (event: StoredEvent, tx: ReadModelQueries): Promise<void> => {
  const last = await tx.get<{ position: bigint; leaf_index: bigint }>(LAST_LEAF);
  // Idempotent: an event at or before the last leaf is already in the tree.
  if (last && event.globalPosition <= BigInt(last.position)) return;
  const index = last ? Number(last.leaf_index) + 1 : 0;
  let hash = leafHash(entryOfStoredEvent(event));
  await tx.run(INSERT_LEAF, event.globalPosition, index, event.eventId);
  await tx.run(INSERT_NODE, nodeId({ level: 0, index }), hash);
  // Each odd index closes a perfect subtree one level up; climb while it keeps doing so.
  let level = 0;
  let position = index;
  while (position % 2 === 1) {
    const left = await tx.get<{ hash: Buffer }>(NODE, nodeId({ level, index: position - 1 }));
    // A missing sibling means the table lost rows: stop the projection rather than build a wrong tree.
    if (!left) throw new Error(`merkle-log: node ${level}:${position - 1} is missing; rebuild the projection`);
    hash = nodeHash(left.hash, hash);
    level++;
    position = (position - 1) / 2;
    await tx.run(INSERT_NODE, nodeId({ level, index: position }), hash);
  }
};

export const merkleLogProjection: Projection = {
  name: MERKLE_LOG,
  version: 1,
  handles: 'all',
  input: 'stored',
  schema: [
    // INTEGER PRIMARY KEY is SQLite's rowid: the cheapest possible append and point read.
    'CREATE TABLE IF NOT EXISTS merkle_leaves (position INTEGER PRIMARY KEY, leaf_index INTEGER NOT NULL, event_id TEXT NOT NULL)',
    'CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_event_id ON merkle_leaves (event_id)',
    'CREATE TABLE IF NOT EXISTS merkle_nodes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL)',
  ],
  tables: ['merkle_leaves', 'merkle_nodes'],
  // The runner hands this projection the stored form because `input` is 'stored'.
  apply: (event, tx) => apply(event as StoredEvent, tx),
};
