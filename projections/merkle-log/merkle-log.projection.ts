import { StoredEvent } from '@attest/event-store';
import { entryTextOfStoredEvent } from '@attest/audit/verify/entry';
import { decompose, Hash, leafHashOfText, nodeHash, nodeIdAt } from '@attest/merkle';
import { Projection, ReadModelQueries, SqlValue } from '@attest/projection-runner';
import { isStoredLevel, readNodes } from './merkle-log.nodes';

/**
 * The Merkle log: every stored event, in global order, is the next leaf of an RFC 9162 tree.
 *
 * What is kept (docs/adr/0011, 0014): each leaf's position and event id (`merkle_leaves`), and the
 * *perfect* nodes — leaf hashes at level 0 and each complete 2^level subtree of level ≥ 4 once it
 * is full (levels 1–3 are recomputed from their tile's leaf hashes, see `merkle-log.nodes.ts`) —
 * keyed by one integer (`merkle_nodes`, id = level × 2^40 + index, see @attest/merkle `nodeId`).
 * Nodes are written once and never change, like Trillian/Tessera tiles; any root or proof of any
 * size is a fold of O(log n) of them.
 *
 * Appending a batch reads the tail (last leaf) and the tree's right edge (≤ log n nodes) once,
 * then works in memory: each leaf merges with the edge nodes of its level, exactly as a compact
 * range does, and the leaf and every stored node it completes (1/16 on average) are written with
 * multi-row inserts. Input is the event *as stored* (`input: 'stored'`), hashed as RFC 8785
 * canonical JSON, so the tree commits to exactly the bytes of record, ciphertext included.
 */
export const MERKLE_LOG = 'merkle-log';

const LAST_LEAF = 'SELECT position, leaf_index FROM merkle_leaves ORDER BY position DESC LIMIT 1';
/** Rows per multi-row insert: few statements per batch, few distinct statements cached. */
const ROWS_PER_INSERT = 100;

/** `INSERT … VALUES (?, …), …` for `rows` rows, built once per shape. */
const insertSql = new Map<string, string>();
const insertStatement = (table: string, columns: string, width: number, rows: number): string => {
  const key = `${table}:${rows}`;
  let sql = insertSql.get(key);
  if (!sql) {
    const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
    sql = `INSERT INTO ${table} (${columns}) VALUES ${Array.from({ length: rows }, () => tuple).join(', ')}`;
    insertSql.set(key, sql);
  }
  return sql;
};

/**
 * Inserts rows given as one flat list of values: `ROWS_PER_INSERT` rows per statement, the rest
 * in statements of 10 and of 1 row, so only three statements are ever prepared per table.
 */
const insertRows = async (tx: ReadModelQueries, table: string, columns: string, width: number, values: SqlValue[]): Promise<void> => {
  let i = 0;
  for (const rows of [ROWS_PER_INSERT, 10, 1]) {
    const step = rows * width;
    for (; values.length - i >= step; i += step) {
      await tx.run(insertStatement(table, columns, width, rows), ...(i === 0 && values.length === step ? values : values.slice(i, i + step)));
    }
  }
};

const applyBatch = async (events: readonly StoredEvent[], tx: ReadModelQueries): Promise<void> => {
  const last = await tx.get<{ position: bigint; leaf_index: bigint }>(LAST_LEAF);
  const lastPosition = last ? BigInt(last.position) : 0n;
  // Idempotent: events at or before the last leaf are already in the tree.
  const fresh = events.filter((event) => event.globalPosition > lastPosition);
  if (fresh.length === 0) return;
  let size = last ? Number(last.leaf_index) + 1 : 0;
  // The right edge as one hash per level (a compact range): level l holds the perfect node of
  // 2^l leaves iff bit l of `size` is set.
  const edge: (Hash | undefined)[] = [];
  if (size > 0) {
    const refs = decompose({ start: 0, end: size });
    // A missing edge node means the table lost rows: stop the projection rather than build a wrong tree.
    const read = await readNodes(tx, refs);
    for (const ref of refs) edge[ref.level] = read(ref);
  }
  const leafValues: SqlValue[] = [];
  const nodeValues: SqlValue[] = [];
  for (const event of fresh) {
    let hash = leafHashOfText(entryTextOfStoredEvent(event));
    leafValues.push(event.globalPosition, size, event.eventId);
    nodeValues.push(size, hash);
    // A full left sibling of the same level on the edge completes the parent; climb while it does.
    let level = 0;
    let index = size;
    while (index % 2 === 1) {
      hash = nodeHash(edge[level] as Hash, hash);
      edge[level] = undefined;
      level++;
      index = (index - 1) / 2;
      if (isStoredLevel(level)) nodeValues.push(nodeIdAt(level, index), hash);
    }
    edge[level] = hash;
    size++;
  }
  await insertRows(tx, 'merkle_leaves', 'position, leaf_index, event_id', 3, leafValues);
  await insertRows(tx, 'merkle_nodes', 'id, hash', 2, nodeValues);
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
